// The Catch2 main for the unit-test binary; test cases live in *_test.cpp beside it.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

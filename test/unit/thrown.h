// thrown(call): runs `call`, which must throw pgark::Error, and returns that Error so that a test
// can check its code and message. Fails the test case when nothing is thrown.
#pragma once

#include <catch2/catch.hpp>

#include <stdexcept>

#include "common/error.h"

namespace pgark::test {

template <class F>
Error thrown(F&& call) {
    try {
        call();
    } catch (const Error& error) {
        return error;
    }
    FAIL("expected an Error, none was thrown");
    throw std::logic_error("unreachable");
}

}  // namespace pgark::test

// Helpers for the config and command unit tests: expecting an Error with an exact code and message,
// and a temporary directory tree for configuration files. Test-only; not thread-safe.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "common/error.h"

namespace pgark::test {

// Requires `call` to throw pgark::Error with `code` and exactly `message` (without the hint).
template <class Call>
void requireError(Call&& call, ErrorCode code, std::string_view message) {
    try {
        call();
    } catch (const Error& error) {
        INFO("message: " << error.message() << "\nhint: " << error.hint());
        CHECK(errorCodeName(error.code()) == errorCodeName(code));
        CHECK(error.message() == message);
        return;
    }
    FAIL("expected " << errorCodeName(code) << ": " << message);
}

// Like requireError, and also checks the hint.
template <class Call>
void requireErrorHint(Call&& call, ErrorCode code, std::string_view message, std::string_view hint) {
    try {
        call();
    } catch (const Error& error) {
        CHECK(errorCodeName(error.code()) == errorCodeName(code));
        CHECK(error.message() == message);
        CHECK(error.hint() == hint);
        return;
    }
    FAIL("expected " << errorCodeName(code) << ": " << message);
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/pgark-config-test-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }

    // Writes `text` to `relative` (parents created) and returns the full path.
    std::string write(const std::string& relative, std::string_view text) const {
        const std::filesystem::path full = std::filesystem::path(path_) / relative;
        std::filesystem::create_directories(full.parent_path());
        std::ofstream(full, std::ios::binary) << text;
        return full.string();
    }
    std::string mkdir(const std::string& relative) const {
        const std::filesystem::path full = std::filesystem::path(path_) / relative;
        std::filesystem::create_directories(full);
        return full.string();
    }

private:
    std::string path_;
};

}  // namespace pgark::test

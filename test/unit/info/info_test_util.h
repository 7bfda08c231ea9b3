// Helpers shared by the info tests: where the fixtures made by the real pgbackrest 2.45 live
// (test/fixtures/info, see its README) and small file/text utilities. Header-only, test-only.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pgark::test::info {

// The fixture folder, found relative to this header so the tests run from any build directory.
inline std::filesystem::path fixtureDir() {
    return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "fixtures" / "info";
}

inline std::string readBinary(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("unable to open fixture '" + path.string() + "'");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// `kind` is "plain" or "encrypted"; `file` "archive.info", "backup.info", "backup.manifest".
inline std::string fixture(std::string_view kind, std::string_view file) {
    return readBinary(fixtureDir() / std::string(kind) / std::string(file));
}

inline constexpr std::string_view kFixturePass = "fixturepass";  // repo1-cipher-pass of the encrypted fixtures
inline constexpr std::uint64_t kFixtureSystemId = 7710594626612865982ULL;  // db-system-id of the fixture cluster

}  // namespace pgark::test::info

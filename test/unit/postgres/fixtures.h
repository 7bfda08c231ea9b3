// Test helpers: locate and read the binary fixtures in test/fixtures/postgres (generated once from a
// real PostgreSQL 15 cluster, see the README there). PGARK_TEST_FIXTURES overrides the directory.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgark::test {

inline std::filesystem::path postgresFixtureDir() {
    if (const char* dir = std::getenv("PGARK_TEST_FIXTURES")) return std::filesystem::path(dir) / "postgres";
    // This header lives in test/unit/postgres; the fixtures in test/fixtures/postgres.
    return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "fixtures" / "postgres";
}

inline std::vector<std::byte> readPostgresFixture(const std::string& name) {
    const auto path = postgresFixtureDir() / name;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + path.string());
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> result(bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) result[i] = static_cast<std::byte>(bytes[i]);
    return result;
}

// pg_controldata.txt as "label" -> "value" (the text after the colon, trimmed).
inline std::map<std::string, std::string> readPgControlData() {
    const auto path = postgresFixtureDir() / "pg_controldata.txt";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("missing fixture " + path.string());
    std::map<std::string, std::string> result;
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto start = line.find_first_not_of(' ', colon + 1);
        result[line.substr(0, colon)] = start == std::string::npos ? "" : line.substr(start);
    }
    return result;
}

}  // namespace pgark::test

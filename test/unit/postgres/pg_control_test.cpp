#include "postgres/pg_control.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "common/error.h"
#include "postgres/crc32c.h"
#include "postgres/version.h"
#include "postgres/wal.h"
#include "storage/storage.h"
#include "unit/postgres/fixtures.h"

using namespace pgark;
using namespace pgark::postgres;

namespace {

PgControl sampleControl(unsigned version) {
    PgControl control;
    control.systemId = 7710577003564541732ULL;
    control.version = version;
    control.state = PgControlState::InProduction;
    control.time = 1795258770;
    control.checkpoint = 0x20000060;
    control.redo = 0x20000028;
    control.timeline = 2;
    control.prevTimeline = 1;
    control.minRecoveryPoint = 0;
    control.pageSize = kPageSize;
    control.relSegmentPages = kRelSegmentPages;
    control.walPageSize = 8192;
    control.walSegmentSize = kWalSegmentSizeDefault;
    control.dataChecksumVersion = 1;
    return control;
}

template <class T>
void poke(std::vector<std::byte>& buffer, std::size_t offset, T value) {
    std::memcpy(buffer.data() + offset, &value, sizeof(T));
}

// Rewrites the CRC after a test changed a field, so only the intended check fails.
void fixCrc(std::vector<std::byte>& buffer) {
    poke(buffer, 288, crc32c(std::span(buffer).first(288)));
}

// A Storage holding one read-only file, enough to drive pgControlLoad.
class OneFileStorage final : public storage::Storage {
public:
    OneFileStorage(std::string path, std::vector<std::byte> content) : path_(std::move(path)), content_(std::move(content)) {}

    std::string_view type() const noexcept override { return "one-file"; }
    bool has(storage::Feature) const noexcept override { return false; }
    std::string describe(std::string_view path) const override { return "/pgdata/" + std::string(path); }
    std::optional<storage::FileInfo> info(std::string_view, storage::InfoLevel) override { return std::nullopt; }
    void list(std::string_view, const storage::ListOptions&, const std::function<void(const storage::FileInfo&)>&) override {}
    std::unique_ptr<io::ReadStream> openRead(std::string_view path, const storage::ReadOptions& options) override {
        if (path != path_) {
            if (options.ignoreMissing) return nullptr;
            throwError(ErrorCode::FileMissing, "unable to open missing file '{}' for read", describe(path));
        }
        std::size_t size = content_.size();
        if (options.limit && *options.limit < size) size = static_cast<std::size_t>(*options.limit);
        return std::make_unique<Reader>(io::ByteView(content_.data(), size));
    }
    std::unique_ptr<io::WriteStream> openWrite(std::string_view, const storage::WriteOptions&) override {
        throwError(ErrorCode::Assert, "read-only");
    }
    void remove(std::string_view, const storage::RemoveOptions&) override {}
    void removePath(std::string_view, const storage::RemoveOptions&) override {}

private:
    // Hands out at most 100 bytes per read, so the loader's read loop is exercised.
    class Reader final : public io::ReadStream {
    public:
        explicit Reader(io::ByteView data) : data_(data) {}
        std::size_t read(io::MutableByteView out) override {
            const std::size_t n = std::min({out.size(), data_.size(), std::size_t{100}});
            std::memcpy(out.data(), data_.data(), n);
            data_ = data_.subspan(n);
            return n;
        }

    private:
        io::ByteView data_;
    };

    std::string path_;
    std::vector<std::byte> content_;
};

}  // namespace

TEST_CASE("pgControlFromBuffer agrees with pg_controldata on a real PostgreSQL 15 file", "[unit][postgres]") {
    const auto buffer = test::readPostgresFixture("pg_control");
    const auto expected = test::readPgControlData();
    REQUIRE(buffer.size() == 8192);

    const PgControl control = pgControlFromBuffer(buffer, "fixture");
    CHECK(std::to_string(control.systemId) == expected.at("Database system identifier"));
    CHECK(std::to_string(control.controlVersion) == expected.at("pg_control version number"));
    CHECK(std::to_string(control.catalogVersion) == expected.at("Catalog version number"));
    CHECK(control.version == kPgVersion15);
    CHECK(pgControlStateName(control.state) == expected.at("Database cluster state"));
    CHECK(lsnToString(control.checkpoint) == expected.at("Latest checkpoint location"));
    CHECK(lsnToString(control.redo) == expected.at("Latest checkpoint's REDO location"));
    CHECK(walSegmentForLsn(control.timeline, control.redo, control.walSegmentSize) ==
          expected.at("Latest checkpoint's REDO WAL file"));
    CHECK(std::to_string(control.timeline) == expected.at("Latest checkpoint's TimeLineID"));
    CHECK(lsnToString(control.minRecoveryPoint) == expected.at("Minimum recovery ending location"));
    CHECK(std::to_string(control.pageSize) == expected.at("Database block size"));
    CHECK(std::to_string(control.walPageSize) == expected.at("WAL block size"));
    CHECK(std::to_string(control.walSegmentSize) == expected.at("Bytes per WAL segment"));
    CHECK(std::to_string(control.dataChecksumVersion) == expected.at("Data page checksum version"));
    CHECK(control.pageChecksums());
    CHECK(control.relSegmentPages == kRelSegmentPages);

    SECTION("only the first 512 bytes are needed") {
        const PgControl head = pgControlFromBuffer(std::span(buffer).first(512), "fixture");
        CHECK(head.systemId == control.systemId);
    }
}

TEST_CASE("pgControlFromBuffer detects every supported version", "[unit][postgres]") {
    for (const auto& facts : pgVersionTable()) {
        INFO("version " << facts.version);
        const auto buffer = pgControlToBuffer(sampleControl(facts.version));
        const PgControl control = pgControlFromBuffer(buffer, "synthetic");
        CHECK(control.version == facts.version);
        CHECK(control.controlVersion == facts.controlVersion);
        CHECK(control.catalogVersion == facts.catalogVersion);
        CHECK(control.systemId == 7710577003564541732ULL);
        CHECK(control.state == PgControlState::InProduction);
        CHECK(control.time == 1795258770);
        CHECK(control.checkpoint == 0x20000060U);
        CHECK(control.redo == 0x20000028U);
        CHECK(control.timeline == 2U);
        CHECK(control.prevTimeline == 1U);
        CHECK(control.walSegmentSize == kWalSegmentSizeDefault);
        CHECK(control.dataChecksumVersion == 1U);
    }
}

TEST_CASE("pgControlFromBuffer rejects corrupt and unsupported files", "[unit][postgres]") {
    auto buffer = pgControlToBuffer(sampleControl(kPgVersion15));

    SECTION("a flipped byte fails the crc and names the path") {
        buffer[100] ^= std::byte{0x01};
        try {
            (void)pgControlFromBuffer(buffer, "/pg/global/pg_control");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Checksum);
            CHECK(e.message().find("pg_control file '/pg/global/pg_control' is corrupt") == 0);
            CHECK_FALSE(e.hint().empty());
        }
    }
    SECTION("a flipped crc byte fails too") {
        buffer[289] ^= std::byte{0x80};
        CHECK_THROWS_MATCHES(pgControlFromBuffer(buffer, "p"), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Checksum; }));
    }
    SECTION("bytes after the crc are not covered") {
        buffer[300] ^= std::byte{0x01};
        buffer[8000] ^= std::byte{0x01};
        CHECK_NOTHROW(pgControlFromBuffer(buffer, "p"));
    }
    SECTION("the real fixture with one flipped bit is corrupt") {
        auto real = test::readPostgresFixture("pg_control");
        real[37] ^= std::byte{0x04};
        CHECK_THROWS_MATCHES(pgControlFromBuffer(real, "fixture"), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Checksum; }));
    }
    SECTION("a short buffer is invalid") {
        try {
            (void)pgControlFromBuffer(std::span(buffer).first(511), "/pg/global/pg_control");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::FileInvalid);
            CHECK(e.message() == "pg_control file '/pg/global/pg_control' is too short: 511 bytes, expected at least 512");
        }
    }
    SECTION("an unknown version is not supported, with a hint") {
        PgControl pg18 = sampleControl(kPgVersion15);
        pg18.controlVersion = 1800;
        pg18.catalogVersion = 202506291;
        try {
            (void)pgControlFromBuffer(pgControlToBuffer(pg18), "/pg/global/pg_control");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::VersionNotSupported);
            CHECK(e.message() ==
                  "unexpected control version 1800 and catalog version 202506291 in pg_control file '/pg/global/pg_control'");
            CHECK(e.hint().find("PostgreSQL 12 to 17") != std::string::npos);
        }
    }
    SECTION("a page size other than 8192 is refused") {
        poke<std::uint32_t>(buffer, 216, 16384);
        fixCrc(buffer);
        try {
            (void)pgControlFromBuffer(buffer, "p");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Format);
            CHECK(e.message() == "page size is 16384 in pg_control file 'p' but must be 8192");
        }
    }
    SECTION("an impossible wal segment size is refused") {
        for (std::uint32_t size : {0U, 3U * 1024 * 1024, 512U * 1024, 2048U * 1024 * 1024}) {
            INFO("size " << size);
            poke<std::uint32_t>(buffer, 228, size);
            fixCrc(buffer);
            CHECK_THROWS_MATCHES(pgControlFromBuffer(buffer, "p"), Error,
                                 Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Format; }));
        }
        poke<std::uint32_t>(buffer, 228, 1024U * 1024 * 1024);
        fixCrc(buffer);
        CHECK(pgControlFromBuffer(buffer, "p").walSegmentSize == 1024U * 1024 * 1024);
    }
}

TEST_CASE("pgControlFromBuffer versionForce overrides detection", "[unit][postgres]") {
    PgControl patched = sampleControl(kPgVersion15);
    patched.controlVersion = 1300;
    patched.catalogVersion = 202209999;  // a patched build's catalog
    const auto buffer = pgControlToBuffer(patched);

    CHECK_THROWS_MATCHES(pgControlFromBuffer(buffer, "p"), Error, Catch::Predicate<Error>([](const Error& e) {
                             return e.code() == ErrorCode::VersionNotSupported;
                         }));
    const PgControl forced = pgControlFromBuffer(buffer, "p", {.versionForce = 150002});
    CHECK(forced.version == kPgVersion15);
    CHECK(forced.catalogVersion == 202209999U);

    SECTION("forcing an unsupported version fails") {
        CHECK_THROWS_MATCHES(pgControlFromBuffer(buffer, "p", {.versionForce = 110000}), Error,
                             Catch::Predicate<Error>([](const Error& e) {
                                 return e.code() == ErrorCode::VersionNotSupported &&
                                        e.message() == "forced PostgreSQL version 11 is not supported";
                             }));
    }
}

TEST_CASE("pgControlToBuffer refuses an unknown version without explicit numbers", "[unit][postgres]") {
    CHECK_THROWS_MATCHES(pgControlToBuffer(sampleControl(110000)), Error, Catch::Predicate<Error>([](const Error& e) {
                             return e.code() == ErrorCode::VersionNotSupported;
                         }));
}

TEST_CASE("pgControlLoadFile reads a file by path", "[unit][postgres]") {
    SECTION("the fixture") {
        const PgControl control = pgControlLoadFile((test::postgresFixtureDir() / "pg_control").string());
        CHECK(std::to_string(control.systemId) == test::readPgControlData().at("Database system identifier"));
    }
    SECTION("a missing file") {
        try {
            (void)pgControlLoadFile("/nonexistent/pgark/global/pg_control");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::FileMissing);
            CHECK(e.message() == "unable to open missing file '/nonexistent/pgark/global/pg_control' for read");
        }
    }
    SECTION("a truncated file names its path") {
        const auto dir = std::filesystem::temp_directory_path() / ("pgark-pgcontrol-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        const auto path = (dir / "pg_control").string();
        {
            std::FILE* file = std::fopen(path.c_str(), "wb");
            REQUIRE(file != nullptr);
            std::fwrite("short", 1, 5, file);
            std::fclose(file);
        }
        CHECK_THROWS_MATCHES(pgControlLoadFile(path), Error, Catch::Predicate<Error>([&](const Error& e) {
                                 return e.code() == ErrorCode::FileInvalid && e.message().find(path) != std::string::npos;
                             }));
        std::filesystem::remove_all(dir);
    }
}

TEST_CASE("pgControlLoad reads through a Storage", "[unit][postgres]") {
    OneFileStorage pgData("global/pg_control", test::readPostgresFixture("pg_control"));
    const PgControl control = pgControlLoad(pgData);
    CHECK(control.version == kPgVersion15);
    CHECK(std::to_string(control.systemId) == test::readPgControlData().at("Database system identifier"));

    SECTION("a corrupt file is named as the storage describes it") {
        auto bytes = test::readPostgresFixture("pg_control");
        bytes[0] ^= std::byte{0xFF};
        OneFileStorage corrupt("global/pg_control", bytes);
        CHECK_THROWS_MATCHES(pgControlLoad(corrupt), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return e.code() == ErrorCode::Checksum &&
                                        e.message().find("'/pgdata/global/pg_control'") != std::string::npos;
                             }));
    }
    SECTION("a missing file") {
        OneFileStorage empty("other", {});
        CHECK_THROWS_MATCHES(pgControlLoad(empty), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::FileMissing; }));
    }
}

TEST_CASE("pgControlStateName uses pg_controldata's words", "[unit][postgres]") {
    CHECK(pgControlStateName(PgControlState::InProduction) == "in production");
    CHECK(pgControlStateName(PgControlState::ShutDown) == "shut down");
    CHECK(pgControlStateName(PgControlState::InArchiveRecovery) == "in archive recovery");
    CHECK(pgControlStateName(static_cast<PgControlState>(42)) == "unrecognized status code");
}

// Configuration file sections -> options of one command (config/file_options.h).
#include "config/file_options.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::config;
using pgark::test::requireError;

namespace {

Ini ini(std::string_view text) {
    Ini result;
    result.parse(text, "/test.conf");
    return result;
}

std::vector<std::string> values(const RawOptions& options, std::string_view name) {
    const NameLookup lookup = lookupOptionName(name, NameMatch::Exact);
    const auto it = options.find(lookup.key);
    return it == options.end() ? std::vector<std::string>{"<unset>"} : it->second.values;
}

}  // namespace

TEST_CASE("fileOptions searches stanza:command, stanza, global:command, global", "[unit][config]") {
    const Ini file = ini(R"([global]
compress-type=gz
process-max=1
exclude=a
exclude=b
log-level-console=warn

[global:backup]
process-max=2
log-level-console=info

[main]
pg1-path=/pg
compress-type=lz4
process-max=3

[main:backup]
process-max=4
exclude=c

[other]
pg1-path=/other
)");
    std::vector<std::string> warnings;
    const RawOptions backup = fileOptions(file, CommandId::Backup, "main", warnings);
    CHECK(values(backup, "process-max") == std::vector<std::string>{"4"});
    CHECK(values(backup, "compress-type") == std::vector<std::string>{"lz4"});
    CHECK(values(backup, "log-level-console") == std::vector<std::string>{"info"});
    CHECK(values(backup, "pg1-path") == std::vector<std::string>{"/pg"});
    CHECK(values(backup, "exclude") == std::vector<std::string>{"c"});  // lists are not merged across sections

    const RawOptions restore = fileOptions(file, CommandId::Restore, "main", warnings);
    CHECK(values(restore, "process-max") == std::vector<std::string>{"3"});
    CHECK(values(restore, "log-level-console") == std::vector<std::string>{"warn"});
    CHECK(values(restore, "compress-type") == std::vector<std::string>{"<unset>"});  // not a restore option

    const RawOptions noStanza = fileOptions(file, CommandId::Backup, "", warnings);
    CHECK(values(noStanza, "process-max") == std::vector<std::string>{"2"});
    CHECK(values(noStanza, "exclude") == std::vector<std::string>{"a", "b"});
    CHECK(values(noStanza, "pg1-path") == std::vector<std::string>{"<unset>"});
    CHECK(warnings.empty());
}

TEST_CASE("fileOptions warns about options it ignores", "[unit][config]") {
    const Ini file = ini(R"([global]
pg1-path=/g
bogus-opt=1
stanza=abc
no-start-fast=y
reset-delta=y
start-fast=y

[global:backup]
set=xyz
recovery-option=a=b

[global:info]
start-fast=y

[x:backup]
pg1-port=6001
target=t
)");
    std::vector<std::string> warnings;
    const RawOptions backup = fileOptions(file, CommandId::Backup, "x", warnings);
    CHECK(warnings == std::vector<std::string>{
                          "configuration file contains command-line only option 'target'",
                          "configuration file contains command-line only option 'set'",
                          "configuration file contains option 'recovery-option' invalid for section 'global:backup'",
                          "configuration file contains stanza-only option 'pg1-path' in global section 'global'",
                          "configuration file contains invalid option 'bogus-opt'",
                          "configuration file contains command-line only option 'stanza'",
                          "configuration file contains negate option 'no-start-fast'",
                          "configuration file contains reset option 'reset-delta'",
                      });
    CHECK(values(backup, "pg1-port") == std::vector<std::string>{"6001"});
    CHECK(values(backup, "start-fast") == std::vector<std::string>{"y"});
    CHECK(values(backup, "pg1-path") == std::vector<std::string>{"<unset>"});
}

TEST_CASE("fileOptions refuses empty values, bad booleans and duplicates", "[unit][config]") {
    std::vector<std::string> warnings;
    requireError([&] { fileOptions(ini("[global]\nrepo1-path=\n"), CommandId::Backup, "", warnings); },
                 ErrorCode::OptionInvalidValue, "section 'global', key 'repo1-path' must have a value");
    requireError([&] { fileOptions(ini("[global]\nstart-fast=yes\n"), CommandId::Backup, "", warnings); },
                 ErrorCode::OptionInvalidValue, "boolean option 'start-fast' must be 'y' or 'n'");
    requireError([&] { fileOptions(ini("[global]\nrepo1-path=/a\nrepo1-path=/b\n"), CommandId::Backup, "", warnings); },
                 ErrorCode::OptionDuplicate, "option 'repo1-path' cannot be set multiple times in section '[global]'");
    requireError([&] { fileOptions(ini("[global]\nrepo1-path=/a\nrepo-path=/b\n"), CommandId::Backup, "", warnings); },
                 ErrorCode::OptionDuplicate,
                 "configuration file contains duplicate options ('repo1-path', 'repo-path') in section '[global]'");
    requireError([&] { fileOptions(ini("[global]\nrepo-block=y\n"), CommandId::Backup, "", warnings); },
                 ErrorCode::OptionInvalid, "option 'repo-block' requires an index");
    // A bad value in a section the command does not read is not an error.
    CHECK_NOTHROW(fileOptions(ini("[global:info]\nstart-fast=yes\n"), CommandId::Backup, "", warnings));
    // Nor is a bad boolean for an option the command does not have.
    CHECK_NOTHROW(fileOptions(ini("[global]\nstart-fast=yes\n"), CommandId::Info, "", warnings));
}

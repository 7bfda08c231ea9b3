// Locating and reading the configuration files.
#include "config/config_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"

namespace pgark::config {

namespace {

bool exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

// The whole file, or nullopt when it is missing and `required` is false.
std::optional<std::string> readFile(const std::string& path, bool required) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT) {
            if (!required) return std::nullopt;
            throw Error(ErrorCode::FileMissing, fmt::format("unable to open missing file '{}' for read", path))
                .withHint("check the path given with --config");
        }
        throwSys(ErrorCode::FileOpen, error, fmt::format("unable to open file '{}' for read", path));
    }
    std::string text;
    char buffer[8192];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof(buffer));
        if (got < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            ::close(fd);
            throwSys(ErrorCode::FileRead, error, fmt::format("unable to read file '{}'", path));
        }
        if (got == 0) break;
        text.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return text;
}

// The *.conf files directly in `path`, sorted by name; empty when the path is missing and not required.
std::vector<std::string> listIncludeFiles(const std::string& path, bool required) {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
        const int error = errno;
        if (error == ENOENT) {
            if (!required) return {};
            throw Error(ErrorCode::PathMissing, fmt::format("unable to list missing path '{}'", path))
                .withHint("check the path given with --config-include-path");
        }
        throwSys(ErrorCode::PathOpen, error, fmt::format("unable to list path '{}'", path));
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name.size() <= 5 || !name.ends_with(".conf")) continue;
        // Only files (or links to files): a directory named x.conf is not configuration.
        struct stat info {};
        const std::string full = path + "/" + std::string(name);
        if (::stat(full.c_str(), &info) == 0 && S_ISREG(info.st_mode)) names.emplace_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (std::string& name : names) name = path + "/" + name;
    return names;
}

}  // namespace

ConfigFiles loadConfigFiles(const ConfigFileSettings& settings) {
    const std::string& root = settings.root;
    std::string mainDefault;
    std::string includeDefault;
    bool legacyFallback = false;
    if (settings.configPath) {
        // A base path chosen by the user holds pgark.conf, or a pgBackRest set-up's pgbackrest.conf.
        const std::string& base = *settings.configPath;
        mainDefault = exists(base + "/pgark.conf") ? base + "/pgark.conf" : base + "/pgbackrest.conf";
        includeDefault = base + "/conf.d";
    } else if (exists(root + "/etc/pgark/pgark.conf")) {
        mainDefault = root + "/etc/pgark/pgark.conf";
        includeDefault = root + "/etc/pgark/conf.d";
    } else {
        mainDefault = root + "/etc/pgbackrest/pgbackrest.conf";
        includeDefault = root + "/etc/pgbackrest/conf.d";
        legacyFallback = !settings.config.has_value();
    }

    ConfigFiles result;
    auto parse = [&result](const std::string& path, const std::string& text) {
        result.ini.parse(text, path);
        result.files.push_back(path);
    };

    if (!settings.noConfig) {
        const std::string path = settings.config.value_or(mainDefault);
        if (auto text = readFile(path, settings.config.has_value())) {
            parse(path, *text);
        } else if (legacyFallback) {
            const std::string legacy = root + "/etc/pgbackrest.conf";
            if (auto legacyText = readFile(legacy, false)) parse(legacy, *legacyText);
        }
    }

    // --config alone names the whole configuration: pgBackRest then skips the default include path.
    const bool includeWanted = !settings.config || settings.configPath || settings.configIncludePath;
    if (includeWanted) {
        const bool required = settings.configIncludePath.has_value();
        for (const std::string& file : listIncludeFiles(settings.configIncludePath.value_or(includeDefault), required))
            if (auto text = readFile(file, false)) parse(file, *text);
    }
    return result;
}

}  // namespace pgark::config

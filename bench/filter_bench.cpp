// filter_bench: throughput of pgark's IO filters over in-memory data. A program run by hand
// (bench/README.md, bench/filters.sh), never by CI.
//
// Each operation runs the data through a FilterChain reader with the default 1 MiB buffers, the
// way a backup worker does, and is repeated; the best run counts (as `lz4 -b` and `zstd -b` do).
// Both wall-clock and process CPU time are reported, so results can be compared with tools that
// use either clock. MB = 1,000,000 bytes of *uncompressed* data, decompression included.
//
//   filter_bench [--size MiB] [--input FILE]... [--dump DIR] [--ops op,op,...] [--min-seconds S]
//
// Without --input it benchmarks two generated data sets: "text" (pgbench-like table text,
// highly compressible) and "half" (alternating 4 KiB blocks of random bytes and that text).
// --dump DIR writes those data sets to DIR/text.dat and DIR/half.dat and exits.
// Output: one line per data set and operation:
//   <set> <op> <wall MB/s> <cpu MB/s> <output bytes / input bytes>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/compress/compress.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/filter.h"

using namespace pgark;

namespace {

// A ReadStream over bytes held elsewhere.
class MemoryReadStream final : public io::ReadStream {
public:
    explicit MemoryReadStream(const std::string& data) : data_(data) {}
    std::size_t read(io::MutableByteView out) override {
        const std::size_t n = std::min(out.size(), data_.size() - pos_);
        std::memcpy(out.data(), data_.data() + pos_, n);
        pos_ += n;
        return n;
    }

private:
    const std::string& data_;
    std::size_t pos_ = 0;
};

class Pattern {
public:
    explicit Pattern(std::uint64_t seed) : state_(seed | 1) {}
    std::uint64_t next() noexcept {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }

private:
    std::uint64_t state_;
};

// What `COPY pgbench_accounts / pgbench_history TO STDOUT` looks like: three blank-padded
// account rows for each history row with varying numbers and timestamps.
std::string pgbenchText(std::size_t size, std::uint64_t seed) {
    std::string text;
    text.reserve(size + 256);
    Pattern random(seed);
    const std::string filler(84, ' ');
    for (std::uint64_t aid = 1; text.size() < size; ++aid) {
        const std::uint64_t r = random.next();
        fmt::format_to(std::back_inserter(text), "{}\t{}\t{}\t{}\n", aid, aid / 100000 + 1,
                       static_cast<std::int64_t>(r % 10001) - 5000, filler);
        if (aid % 3 == 0) {
            fmt::format_to(std::back_inserter(text), "{}\t{}\t{}\t{}\t2024-05-01 12:{:02}:{:02}.{:06}\t\n", r % 10 + 1,
                           r % 100 / 10 + 1, r % 100000 + 1, static_cast<std::int64_t>((r >> 20) % 8192) - 4096,
                           (r >> 33) % 60, (r >> 40) % 60, (r >> 44) % 1000000);
        }
    }
    text.resize(size);
    return text;
}

std::string halfRandom(std::size_t size) {
    const std::string text = pgbenchText(size, 11);
    std::string data = text;
    Pattern random(5);
    for (std::size_t block = 0; block * 4096 < size; block += 2) {
        const std::size_t end = std::min(size, (block + 1) * 4096);
        for (std::size_t i = block * 4096; i < end; ++i) data[i] = static_cast<char>(random.next() >> 56);
    }
    return data;
}

struct DataSet {
    std::string name;
    std::string data;
};

double cpuSeconds() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Runs `data` through a chain built by `make`; returns the output size.
std::uint64_t runChain(const std::function<io::FilterChain()>& make, const std::string& data, std::string* keep) {
    io::FilterChain chain = make();
    MemoryReadStream source(data);
    auto reader = chain.reader(source);
    static std::vector<std::byte> chunk(io::kDefaultBufferSize);
    std::uint64_t total = 0;
    for (std::size_t n; (n = reader->read(chunk)) != 0;) {
        total += n;
        if (keep != nullptr) keep->append(io::asText({chunk.data(), n}));
    }
    return total;
}

struct Measure {
    double wallSeconds = 1e30;
    double cpuSeconds = 1e30;
    std::uint64_t outputBytes = 0;
};

Measure measure(const std::function<io::FilterChain()>& make, const std::string& data, double minSeconds) {
    Measure best;
    double spent = 0;
    for (int run = 0; run < 10 && (run < 2 || spent < minSeconds); ++run) {
        const auto wallStart = std::chrono::steady_clock::now();
        const double cpuStart = cpuSeconds();
        best.outputBytes = runChain(make, data, nullptr);
        const double cpu = cpuSeconds() - cpuStart;
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
        best.wallSeconds = std::min(best.wallSeconds, wall);
        best.cpuSeconds = std::min(best.cpuSeconds, cpu);
        spent += wall;
    }
    return best;
}

struct Op {
    std::string name;
    std::function<io::FilterChain()> make;
    std::function<io::FilterChain()> prepare;  // makes this op's input from the data set (decompress/decrypt)
};

io::FilterChain chainOf(std::unique_ptr<io::Filter> filter) {
    io::FilterChain chain;
    chain.add(std::move(filter));
    return chain;
}

std::vector<Op> allOps() {
    using compress::CompressType;
    const std::string pass = crypto::cipherPassGenerate();
    auto compressOp = [](CompressType type, int level) {
        return [type, level] { return chainOf(compress::makeCompressFilter(type, level)); };
    };
    auto decompressOp = [](CompressType type) { return [type] { return chainOf(compress::makeDecompressFilter(type)); }; };
    return {
        {"sha1", [] { return chainOf(crypto::makeSha1Filter()); }, nullptr},
        {"lz4-1", compressOp(CompressType::Lz4, 1), nullptr},
        {"lz4-1-d", decompressOp(CompressType::Lz4), compressOp(CompressType::Lz4, 1)},
        {"zst-3", compressOp(CompressType::Zst, 3), nullptr},
        {"zst-3-d", decompressOp(CompressType::Zst), compressOp(CompressType::Zst, 3)},
        {"gz-6", compressOp(CompressType::Gz, 6), nullptr},
        {"gz-6-d", decompressOp(CompressType::Gz), compressOp(CompressType::Gz, 6)},
        {"bz2-9", compressOp(CompressType::Bz2, 9), nullptr},
        {"aes-256-cbc", [pass] { return chainOf(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, pass)); }, nullptr},
        {"aes-256-cbc-d", [pass] { return chainOf(crypto::makeCipherFilter(crypto::CipherMode::Decrypt, pass)); },
         [pass] { return chainOf(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, pass)); }},
    };
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throwError(ErrorCode::FileOpen, "unable to open file '{}' for read", path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

int usage() {
    std::cerr << "usage: filter_bench [--size MiB] [--input FILE]... [--dump DIR] [--ops op,op,...] "
                 "[--min-seconds S]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::size_t sizeMiB = 32;
        double minSeconds = 1.0;
        std::vector<std::string> inputs;
        std::string dumpDir;
        std::string onlyOps;
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (i + 1 >= argc) return usage();
            const std::string value = argv[++i];
            if (arg == "--size")
                sizeMiB = std::stoul(value);
            else if (arg == "--input")
                inputs.push_back(value);
            else if (arg == "--dump")
                dumpDir = value;
            else if (arg == "--ops")
                onlyOps = "," + value + ",";
            else if (arg == "--min-seconds")
                minSeconds = std::stod(value);
            else
                return usage();
        }

        std::vector<DataSet> sets;
        if (inputs.empty()) {
            const std::size_t size = sizeMiB * 1024 * 1024;
            sets.push_back({"text", pgbenchText(size, 3)});
            sets.push_back({"half", halfRandom(size)});
        } else {
            for (const std::string& path : inputs) {
                const std::size_t slash = path.find_last_of('/');
                std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
                if (name.ends_with(".dat")) name.resize(name.size() - 4);
                sets.push_back({name, readFile(path)});
            }
        }
        if (!dumpDir.empty()) {
            for (const DataSet& set : sets) {
                std::ofstream out(dumpDir + "/" + set.name + ".dat", std::ios::binary);
                out << set.data;
                if (!out) throwError(ErrorCode::FileWrite, "unable to write file '{}/{}.dat'", dumpDir, set.name);
            }
            return 0;
        }

        std::cout << "# set op wall_MB/s cpu_MB/s out/in\n";
        for (const DataSet& set : sets) {
            for (const Op& op : allOps()) {
                if (!onlyOps.empty() && onlyOps.find("," + op.name + ",") == std::string::npos) continue;
                std::string input;
                if (op.prepare)
                    runChain(op.prepare, set.data, &input);
                const std::string& data = op.prepare ? input : set.data;
                const Measure m = measure(op.make, data, minSeconds);
                // Decompression speed is counted in uncompressed bytes, as lz4 -b and zstd -b do.
                const double bytes = static_cast<double>(set.data.size());
                const double ratio = static_cast<double>(m.outputBytes) / static_cast<double>(data.size());
                std::cout << fmt::format("{} {} {:.1f} {:.1f} {:.4f}\n", set.name, op.name, bytes / m.wallSeconds / 1e6,
                                         bytes / m.cpuSeconds / 1e6, ratio)
                          << std::flush;
            }
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "filter_bench: " << e.what() << "\n";
        return 1;
    }
}

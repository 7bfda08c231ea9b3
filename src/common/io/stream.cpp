// Helpers over ReadStream / WriteStream.
#include "common/io/stream.h"

#include <vector>

namespace pgark::io {

std::string readAll(ReadStream& source) {
    std::string result;
    std::vector<std::byte> chunk(64 * 1024);
    for (;;) {
        const std::size_t n = source.read(chunk);
        if (n == 0) break;
        result.append(reinterpret_cast<const char*>(chunk.data()), n);
    }
    return result;
}

std::size_t copyStream(ReadStream& source, WriteStream& sink, std::size_t bufferSize) {
    std::vector<std::byte> chunk(bufferSize);
    std::size_t total = 0;
    for (;;) {
        const std::size_t n = source.read(chunk);
        if (n == 0) break;
        sink.write({chunk.data(), n});
        total += n;
    }
    return total;
}

}  // namespace pgark::io

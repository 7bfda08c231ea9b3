// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF),
// the checksum PostgreSQL stores in pg_control and WAL records. Uses the SSE4.2 crc32 instruction
// when the CPU has it (checked once at run time) and a table otherwise. Stateless and thread-safe.
#pragma once

#include <cstdint>

#include "common/io/buffer.h"

namespace pgark::postgres {

// The CRC-32C of `data`; crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(io::ByteView data) noexcept;

// Continues a CRC over more bytes: crc32cExtend(crc32c(a), b) == crc32c(a followed by b).
// crc32cExtend(0, data) == crc32c(data).
std::uint32_t crc32cExtend(std::uint32_t crc, io::ByteView data) noexcept;

// The portable table implementation, whatever the CPU offers (tests compare both paths).
std::uint32_t crc32cPortable(std::uint32_t crc, io::ByteView data) noexcept;

// True when crc32c() runs on the SSE4.2 instruction.
bool crc32cHardware() noexcept;

}  // namespace pgark::postgres

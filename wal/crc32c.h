// CRC32C (Castagnoli), the checksum of every WAL record.
//
// Hand-rolled because Debian 12 packages no CRC32C library for C++ (abseil's absl/crc arrived
// after the 20220623 release Debian ships). Uses the SSE4.2 crc32 instruction when the CPU has
// it (about 8 bytes per cycle) and a byte table otherwise; both give the same values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::wal {

// Continues a CRC32C over more bytes: Crc32c(b, Crc32c(a)) == Crc32c(a followed by b).
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace strata::wal

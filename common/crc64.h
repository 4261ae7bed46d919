// CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9, init 0, no final xor): the checksum
// Redis puts at the end of DUMP and FUNCTION DUMP payloads and RDB files.
// crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata {

uint64_t Crc64(uint64_t crc, const void* data, size_t len);

}  // namespace strata

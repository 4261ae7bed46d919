// CRC-64/Jones, table-driven (one byte per step: payloads here are small).
#include "common/crc64.h"

namespace strata {

namespace {

struct Table {
  uint64_t t[256];
  Table() {
    constexpr uint64_t kPoly = 0x95ac9329ac4bc9b5ULL;  // 0xad93d23594c935a9, bit-reversed
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[i] = c;
    }
  }
};
const Table kTable;

}  // namespace

uint64_t Crc64(uint64_t crc, const void* data, size_t len) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < len; ++i) crc = kTable.t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

}  // namespace strata

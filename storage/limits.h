// Thresholds at which small collections leave their compact encoding (Redis's config names).
// Process-wide: CONFIG SET changes them at runtime; families read them when they grow a value.
#pragma once

#include <atomic>
#include <cstdint>

namespace strata::storage {

struct EncodingLimits {
  std::atomic<int64_t> hash_max_listpack_entries{128};
  std::atomic<int64_t> hash_max_listpack_value{64};
  std::atomic<int64_t> set_max_intset_entries{512};
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};
  // > 0: entries per list node; < 0: bytes per node, -1 = 4 KiB ... -5 = 64 KiB (Redis's rule).
  std::atomic<int64_t> list_max_listpack_size{-2};
  std::atomic<int64_t> list_compress_depth{0};  // accepted; nodes are not compressed
  // Streams: a node takes entries until either is reached (0: no limit), as in Redis.
  std::atomic<int64_t> stream_node_max_bytes{4096};
  std::atomic<int64_t> stream_node_max_entries{100};
};

EncodingLimits& Limits();

}  // namespace strata::storage

// One key as the backing tier stores it: what the in-memory store captures for a checkpoint
// (storage/tier.h) and a backend writes and reads back (backend/backend.h). It lives below
// both so that neither depends on the other: the store knows no SQL, the backends no keyspace.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

struct StoredRow {
  uint32_t db = 0;
  std::string key;
  uint8_t type = 0;         // storage::ObjType
  std::string value;        // raw bytes (strings) or storage/codec.h encoding (collections)
  int64_t expire_ms = -1;   // absolute Unix ms; -1 = no TTL (NULL in SQL)
  uint64_t lsn = 0;         // the checkpoint that wrote it
};

}  // namespace strata

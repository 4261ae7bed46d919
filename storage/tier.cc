#include "storage/tier.h"

#include <algorithm>

#include "storage/codec.h"
#include "storage/keyspace.h"

namespace strata::storage {

void CaptureShard(Shard* s) {
  ShardTier& t = *s->tier;
  t.capture_pending = false;
  std::vector<std::string>& keys = t.capture_keys;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const int64_t now = t.shared->capture_ms;
  for (std::string& key : keys) {
    uint64_t hash = HashKey(key);
    const Entry* e = s->dict().Find(key, hash);
    if (e == nullptr || e->IsExpired(now)) {
      t.deletes.push_back(std::move(key));
      continue;
    }
    StoredRow row;
    row.db = t.db;
    row.type = static_cast<uint8_t>(e->type());
    row.expire_ms = e->expire_ms();
    row.lsn = t.shared->capture_lsn;
    EncodeValue(*e, &row.value);
    row.key = std::move(key);
    t.rows.push_back(std::move(row));
    t.index.insert(hash);  // the backend has it once this checkpoint commits
  }
  keys.clear();
}

}  // namespace strata::storage

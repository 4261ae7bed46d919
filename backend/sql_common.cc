#include "backend/sql_common.h"

#include <xxhash.h>

#include <cinttypes>

#include "common/format.h"

namespace strata::backend {

uint64_t Backend::KeyPosition(std::string_view key) {
  return XXH3_64bits(key.data(), key.size()) >> 2;
}

bool CheckSchemaVersion(int64_t stored, std::string* error) {
  if (stored >= kOldestMigratableVersion && stored <= kSchemaVersion) return true;
  if (stored > kSchemaVersion) {
    *error = Format("backend schema version %" PRId64
                    " is newer than this server supports (%d); upgrade strata",
                    stored, kSchemaVersion);
  } else {
    *error = Format("backend schema version %" PRId64 " is not valid (expected %d to %d)",
                    stored, kOldestMigratableVersion, kSchemaVersion);
  }
  return false;
}

PageCut CutPage(const std::vector<KeyInfo>& fetched, size_t count) {
  PageCut cut;
  if (fetched.size() <= count) {
    cut.keep = fetched.size();
    return cut;
  }
  uint64_t p = fetched[count].pos;
  // Rows come in position order: the run at p starts at the first row with pos == p.
  while (cut.keep < count && fetched[cut.keep].pos < p) ++cut.keep;
  if (cut.keep > 0) {
    cut.next = p;
  } else {
    cut.whole_run = true;
    cut.run_pos = p;
    cut.next = p >= kMaxKeyPosition ? 0 : p + 1;
  }
  return cut;
}

void PlaceRow(const std::vector<std::string>& keys, size_t begin, size_t end, Row&& row,
              std::vector<std::optional<Row>>* out) {
  size_t last = end;
  for (size_t i = begin; i < end; ++i) {
    if (keys[i] != row.key) continue;
    if (last != end) (*out)[last] = row;
    last = i;
  }
  if (last != end) (*out)[last] = std::move(row);
}

uint64_t CountFound(const std::vector<std::optional<Row>>& out) {
  uint64_t n = 0;
  for (const auto& r : out) n += r.has_value();
  return n;
}

}  // namespace strata::backend

#include "backend/sql_common.h"

#include <cinttypes>

#include "common/format.h"

namespace strata::backend {

bool CheckSchemaVersion(int64_t stored, std::string* error) {
  if (stored == kSchemaVersion) return true;
  if (stored > kSchemaVersion) {
    *error = Format("backend schema version %" PRId64
                    " is newer than this server supports (%d); upgrade strata",
                    stored, kSchemaVersion);
  } else {
    *error = Format("backend schema version %" PRId64 " is not valid (expected %d)", stored,
                    kSchemaVersion);
  }
  return false;
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

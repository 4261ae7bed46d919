// CommandContext's key lookups: the keys the dispatcher resolved, by argument position.
#include <algorithm>
#include <cassert>
#include <cstdlib>

#include "commands/command.h"

namespace strata::cmd {

const storage::KeyRef& CommandContext::FindKey(size_t pos, size_t db) const {
  // Keys come in key-spec order, which is argument order for every command but a few with
  // two specs: binary search when sorted (DEL with many keys), else a linear scan.
  auto matches = [&](const ResolvedKey& k) { return k.pos == pos && k.db == db; };
  if (keys.size() > 8) {
    auto it = std::lower_bound(keys.begin(), keys.end(), pos,
                               [](const ResolvedKey& k, size_t p) { return k.pos < p; });
    for (; it != keys.end() && it->pos == pos; ++it)
      if (it->db == db) return it->ref;
  }
  for (const ResolvedKey& k : keys)
    if (matches(k)) return k.ref;
  // A handler touched a key its key specs do not name: its shard is not held.
  assert(!"key not resolved by the dispatcher");
  std::abort();
}

}  // namespace strata::cmd

// Sorted sets: commands over storage/zset_object.h. (Being written; registers nothing yet.)
#include "commands/command.h"

namespace strata::cmd {

void RegisterZSetFamily(CommandRegistry& r) { (void)r; }

}  // namespace strata::cmd

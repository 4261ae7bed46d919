// Hashes: commands over storage/hash_object.h. (Being written; registers nothing yet.)
#include "commands/command.h"

namespace strata::cmd {

void RegisterHashFamily(CommandRegistry& r) { (void)r; }

}  // namespace strata::cmd

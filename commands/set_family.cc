// Sets: commands over storage/set_object.h. (Being written; registers nothing yet.)
#include "commands/command.h"

namespace strata::cmd {

void RegisterSetFamily(CommandRegistry& r) { (void)r; }

}  // namespace strata::cmd

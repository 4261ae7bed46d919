// Lists: commands over storage/list_object.h. (Being written; registers nothing yet.)
#include "commands/command.h"

namespace strata::cmd {

void RegisterListFamily(CommandRegistry& r) { (void)r; }

}  // namespace strata::cmd

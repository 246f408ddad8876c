#include <cstdio>

#include "cmd/build_info.h"
#include "cmd/commands.h"

namespace vigil::cmd {

int RunVersion(int, char**) {
  std::printf("vigil, version %s (revision: %s)\n", kVersion, kRevision);
  return 0;
}

}  // namespace vigil::cmd

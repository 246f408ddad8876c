#include "base/memory.h"

#include <chrono>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace vigil {

double ReleaseFreeMemory() {
#if defined(__GLIBC__)
  auto t0 = std::chrono::steady_clock::now();
  malloc_trim(0);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
#else
  return 0;
#endif
}

}  // namespace vigil

// Returning freed heap memory to the operating system.
//
// glibc's malloc keeps freed chunks inside its arenas (one per thread, up to 8 × cores),
// so after a burst of temporary allocations (a first scrape creating a million series, a
// WAL replay) the process keeps hundreds of megabytes of RSS that hold nothing. The server
// calls ReleaseFreeMemory() after start-up and periodically, so RSS tracks live memory.
#pragma once

namespace vigil {

// Gives free pages of every malloc arena back to the kernel (glibc: malloc_trim(0)).
// Returns the seconds it took. A no-op returning 0 on other C libraries. Thread-safe.
double ReleaseFreeMemory();

}  // namespace vigil

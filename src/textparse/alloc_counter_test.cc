// Replaces the global operator new of the test binary to count heap allocations, so that
// tests can assert that a hot path allocates nothing. Kept in its own file so that no other
// translation unit sees (and warns about) the malloc/free pairing.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {
size_t g_allocations = 0;
}  // namespace

namespace vigil::textparse::testing {
size_t AllocationCount() { return g_allocations; }
}  // namespace vigil::textparse::testing

void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

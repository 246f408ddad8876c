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

// The whole non-aligned family is replaced so that every pair stays malloc/free (ASan checks
// that allocation and deallocation functions match).
namespace {
void* CountedAlloc(size_t n) {
  ++g_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

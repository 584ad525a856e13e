// --define=allocator=glibc_tuned: glibc's malloc, set up before main as
// glibc_env's environment would (MALLOC_ARENA_MAX=2, MALLOC_TRIM_THRESHOLD_
// and MALLOC_MMAP_THRESHOLD_ at 128 KiB), so the binary behaves the same
// wherever it is started. Few arenas leave few heaps for a burst to strand
// memory in, and the low thresholds give back free memory at the top of a
// heap, and large blocks at once, instead of keeping them for the next burst.
#include <malloc.h>

namespace {

constexpr int kArenas = 2;
constexpr int kThresholdBytes = 128 << 10;

// Run while the binary's static initializers run: before main, so before any
// thread exists (M_ARENA_MAX only limits arenas created afterwards).
const bool tuned = [] {
  mallopt(M_ARENA_MAX, kArenas);
  mallopt(M_TRIM_THRESHOLD, kThresholdBytes);
  mallopt(M_MMAP_THRESHOLD, kThresholdBytes);
  return true;
}();

}  // namespace

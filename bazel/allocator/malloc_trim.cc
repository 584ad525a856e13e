// --define=allocator=glibc_trim: glibc's malloc, plus one thread that hands
// memory freed after a burst back to the kernel. glibc returns memory on its
// own only from the top of each arena's heap; a burst that leaves a single
// live chunk above its freed memory (common with many threads and arenas)
// keeps the process at its peak RSS for good. malloc_trim(0) also releases
// the free pages inside the heaps (madvise), whatever lies above them.
//
// Once a second the thread reads how much lies free in the arenas
// (mallinfo2's fordblks) and trims when that is at least kMinFreeBytes and has
// grown by kMinGrowthBytes since the last trim: after a burst, not at every
// tick of a steady state whose free lists do not change.
#include <malloc.h>
#include <pthread.h>

#include <chrono>
#include <cstddef>
#include <thread>

namespace {

constexpr size_t kMinFreeBytes = 16 << 20;
constexpr size_t kMinGrowthBytes = 4 << 20;
constexpr std::chrono::seconds kInterval{1};

void TrimLoop() {
  pthread_setname_np(pthread_self(), "malloc_trim");
  size_t free_at_last_trim = 0;
  for (;;) {
    std::this_thread::sleep_for(kInterval);
    const size_t free_bytes = mallinfo2().fordblks;
    if (free_bytes < free_at_last_trim) free_at_last_trim = free_bytes;
    if (free_bytes >= kMinFreeBytes && free_bytes - free_at_last_trim >= kMinGrowthBytes) {
      malloc_trim(0);
      free_at_last_trim = free_bytes;
    }
  }
}

// Started before main, by the binary's malloc library (alwayslink); detached
// so that exit() does not wait for it.
const bool started = [] {
  std::thread(TrimLoop).detach();
  return true;
}();

}  // namespace

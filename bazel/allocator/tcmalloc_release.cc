// --define=allocator=tcmalloc: gperftools' tcmalloc returns free pages to the
// kernel only a little at a time as the program frees more
// (TCMALLOC_RELEASE_RATE), so a server gone quiet after a burst stays at its
// peak. One thread ("tcmalloc_rel") checks once a second how much its page
// heap holds free and still mapped, and releases it all at 16 MB or more.
#include <gperftools/malloc_extension_c.h>
#include <pthread.h>

#include <chrono>
#include <cstddef>
#include <thread>

namespace {

constexpr size_t kMinFreeBytes = 16 << 20;
constexpr std::chrono::seconds kInterval{1};

void ReleaseLoop() {
  pthread_setname_np(pthread_self(), "tcmalloc_rel");
  for (;;) {
    std::this_thread::sleep_for(kInterval);
    size_t free_bytes = 0;
    if (MallocExtension_GetNumericProperty("tcmalloc.pageheap_free_bytes", &free_bytes) &&
        free_bytes >= kMinFreeBytes) {
      MallocExtension_ReleaseFreeMemory();
    }
  }
}

// Started before main, by the binary's malloc library (alwayslink); detached
// so that exit() does not wait for it.
const bool started = [] {
  std::thread(ReleaseLoop).detach();
  return true;
}();

}  // namespace

// The binary runs on the allocator its build chose (AFFONSO_ALLOCATOR_*, from
// --define=allocator), and that allocator is set up as bazel/allocator says.
#include <dirent.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

bool HasSymbol(const char* name) { return dlsym(RTLD_DEFAULT, name) != nullptr; }

// Names of this process's threads (/proc/self/task/*/comm).
std::vector<std::string> ThreadNames() {
  std::vector<std::string> names;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return names;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream comm(std::string("/proc/self/task/") + entry->d_name + "/comm");
    std::string name;
    std::getline(comm, name);
    names.push_back(name);
  }
  closedir(dir);
  return names;
}

bool HasThread(const std::string& name) {
  for (const std::string& thread : ThreadNames()) {
    if (thread == name) return true;
  }
  return false;
}

TEST(MallocTest, AllocatesAndFrees) {
  std::vector<void*> blocks;
  for (int i = 0; i < 10000; ++i) blocks.push_back(std::malloc(16 + i % 4096));
  for (void* block : blocks) {
    ASSERT_NE(block, nullptr);
    std::free(block);
  }
}

#if defined(AFFONSO_ALLOCATOR_JEMALLOC)
TEST(MallocTest, IsJemallocWithItsBackgroundThread) {
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  ASSERT_NE(mallctl, nullptr);
  bool background = false;
  size_t size = sizeof(background);
  ASSERT_EQ(mallctl("opt.background_thread", &background, &size, nullptr, 0), 0);
  EXPECT_TRUE(background);
  ssize_t decay = 0;
  size = sizeof(decay);
  ASSERT_EQ(mallctl("opt.dirty_decay_ms", &decay, &size, nullptr, 0), 0);
  EXPECT_EQ(decay, 5000);
}
#elif defined(AFFONSO_ALLOCATOR_TCMALLOC)
TEST(MallocTest, IsTcmalloc) {
  EXPECT_TRUE(HasSymbol("MallocExtension_GetNumericProperty"));
  EXPECT_FALSE(HasSymbol("mallctl"));
  EXPECT_TRUE(HasThread("tcmalloc_rel"));
}
#else  // glibc, glibc_tuned, glibc_trim
TEST(MallocTest, IsGlibc) {
  EXPECT_FALSE(HasSymbol("mallctl"));
  EXPECT_FALSE(HasSymbol("MallocExtension_GetNumericProperty"));
}

#if defined(AFFONSO_ALLOCATOR_GLIBC_TUNED)
// A block at the mmap threshold is mapped on its own, so freeing it gives it
// back at once: at glibc's default (128 KiB, rising with each freed mapped
// block up to 32 MiB) a freed 1 MiB block first raises the threshold.
TEST(MallocTest, TunedBeforeMainMapsLargeBlocksAlways) {
  // volatile: the compiler may not drop a malloc / free pair it can see.
  for (int i = 0; i < 4; ++i) {
    void* volatile block = std::malloc(1 << 20);
    ASSERT_NE(block, nullptr);
    std::free(block);
  }
  // Still mapped on its own after frees: the dynamic threshold is off once set.
  const size_t mapped_before = mallinfo2().hblkhd;
  void* volatile block = std::malloc(1 << 20);
  EXPECT_GE(mallinfo2().hblkhd, mapped_before + (1 << 20));
  std::free(block);
}
#endif

TEST(MallocTest, TrimThreadOnlyInGlibcTrim) {
#if defined(AFFONSO_ALLOCATOR_GLIBC_TRIM)
  EXPECT_TRUE(HasThread("malloc_trim"));
#else
  EXPECT_FALSE(HasThread("malloc_trim"));
#endif
  EXPECT_FALSE(HasThread("tcmalloc_rel"));
}
#endif

}  // namespace

// --define=allocator=jemalloc: jemalloc's settings, read at its first
// allocation (MALLOC_CONF in the environment still overrides them).
// jemalloc returns freed pages to the kernel only as it decays them
// (dirty_decay_ms), and without its background thread only while the process
// keeps allocating: a server gone idle after a burst would stay at its peak.
// The background threads ("jemalloc_bg_thd") purge on that clock, idle or
// not; 5 s instead of the default 10 s, so RSS is back within seconds.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "background_thread:true,dirty_decay_ms:5000";
}

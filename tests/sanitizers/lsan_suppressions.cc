// LeakSanitizer suppressions compiled into every binary of --config=asan
// (LSan asks for them through this hook, so no file path has to reach the
// sandboxed tests). Leaks inside uninstrumented third-party libraries only,
// each with why; never one of our frames.

extern "C" const char* __lsan_default_suppressions() {
  return
      // libpqxx 6.4 (Debian 12) loses the PGresult of a PREPARE sent on a
      // connection that has just died: its error path ("Could not obtain
      // client encoding: not connected") throws before a pqxx::result owns
      // the PGresult. 2 KiB per dead connection; storage:pool_pgtest kills a
      // backend on purpose.
      "leak:pqxx::connection_base::register_prepared\n"
      // The same library, the same loss (one PGresult, 2 KiB) when the
      // connection dies under a statement: pg_terminate_backend, a cut TCP
      // proxy (storage:pool_pgtest, tests:db_faults_pgtest). LSan's stack
      // ends inside libpqxx there (no frame pointers, no symbol), so the
      // suppression names the library: its frames are never ours.
      "leak:libpqxx-6.4.so\n";
}

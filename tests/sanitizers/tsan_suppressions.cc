// ThreadSanitizer suppressions compiled into every binary of --config=tsan
// (TSan asks for them through this hook). Third-party frames only, each with
// why; never one of our frames, and no data race: for those see the
// annotations beside this file.

extern "C" const char* __tsan_default_suppressions() {
  return
      // Thread leaks of gRPC's own threads (created by grpc_core::Thread in
      // libgpr): gRPC joins its executor threads in a shutdown of its own that
      // can still be running when the test's main() returns, and TSan then
      // reports a finished thread nobody joined.
      "thread:grpc_core::Thread::Thread\n";
}

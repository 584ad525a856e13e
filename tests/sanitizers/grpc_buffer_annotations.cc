// ThreadSanitizer annotations for message bytes that Debian's uninstrumented
// gRPC hands from the sending thread to the receiving one (linked into every
// binary by --config=tsan, with absl_sync_annotations.cc).
//
// gRPC serializes a message into slices, passes them to the transport and,
// on the receiving side, through its completion queue; over the in-process
// channel the receiver parses the very slices the sender wrote. The queue's
// hand-over is lock-free code inside libgrpc, which TSan cannot see, so the
// parse looked like a race with the serialization. As gRPC would if it were
// instrumented, the sender releases each slice it hands to
// grpc_call_start_batch and the reader acquires each slice it gets from a
// byte buffer; slices copied on the way (a TCP channel) carry other
// addresses and are unaffected.
//
// Completion tags cross the same way: the gRPC C++ headers (compiled into
// our code, so instrumented) build a tag, e.g. a callback call's
// CallbackWithStatusTag, hand it to grpc_call_start_batch, and another
// thread gets it back from grpc_completion_queue_next / _pluck (gRPC's
// "nexting" thread runs callback tags that way) and reads it. So every tag
// handed in is released and every tag handed out acquired. Nothing is
// suppressed.

#include <dlfcn.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

namespace {

template <typename Fn>
Fn Real(const char* name) {
  void* real = dlsym(RTLD_NEXT, name);
  if (real == nullptr) {
    std::fprintf(stderr, "tsan annotations: no %s in gRPC\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(real);
}

// A slice's bytes stand for the whole slice: that is where both sides
// meet.
void* Address(const grpc_slice& slice) { return const_cast<uint8_t*>(GRPC_SLICE_START_PTR(slice)); }

}  // namespace

extern "C" {

grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops, size_t nops, void* tag,
                                      void* reserved) {
  static const auto real =
      Real<grpc_call_error (*)(grpc_call*, const grpc_op*, size_t, void*, void*)>(
          "grpc_call_start_batch");
  for (size_t i = 0; i < nops; ++i) {
    if (ops[i].op != GRPC_OP_SEND_MESSAGE) continue;
    grpc_byte_buffer* buffer = ops[i].data.send_message.send_message;
    if (buffer == nullptr || buffer->type != GRPC_BB_RAW) continue;
    const grpc_slice_buffer& slices = buffer->data.raw.slice_buffer;
    for (size_t s = 0; s < slices.count; ++s) __tsan_release(Address(slices.slices[s]));
  }
  if (tag != nullptr) __tsan_release(tag);
  return real(call, ops, nops, tag, reserved);
}

grpc_event grpc_completion_queue_next(grpc_completion_queue* queue, gpr_timespec deadline,
                                      void* reserved) {
  static const auto real = Real<grpc_event (*)(grpc_completion_queue*, gpr_timespec, void*)>(
      "grpc_completion_queue_next");
  const grpc_event event = real(queue, deadline, reserved);
  if (event.type == GRPC_OP_COMPLETE && event.tag != nullptr) __tsan_acquire(event.tag);
  return event;
}

grpc_event grpc_completion_queue_pluck(grpc_completion_queue* queue, void* tag,
                                       gpr_timespec deadline, void* reserved) {
  static const auto real = Real<grpc_event (*)(grpc_completion_queue*, void*, gpr_timespec, void*)>(
      "grpc_completion_queue_pluck");
  const grpc_event event = real(queue, tag, deadline, reserved);
  if (event.type == GRPC_OP_COMPLETE && event.tag != nullptr) __tsan_acquire(event.tag);
  return event;
}

int grpc_byte_buffer_reader_next(grpc_byte_buffer_reader* reader, grpc_slice* slice) {
  static const auto real =
      Real<int (*)(grpc_byte_buffer_reader*, grpc_slice*)>("grpc_byte_buffer_reader_next");
  const int more = real(reader, slice);
  if (more) __tsan_acquire(Address(*slice));
  return more;
}

int grpc_byte_buffer_reader_peek(grpc_byte_buffer_reader* reader, grpc_slice** slice) {
  static const auto real =
      Real<int (*)(grpc_byte_buffer_reader*, grpc_slice**)>("grpc_byte_buffer_reader_peek");
  const int more = real(reader, slice);
  if (more) __tsan_acquire(Address(**slice));
  return more;
}

}  // extern "C"

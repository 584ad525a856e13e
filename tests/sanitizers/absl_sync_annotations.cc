// ThreadSanitizer annotations for Debian's uninstrumented Abseil
// synchronization (linked into every binary by --config=tsan).
//
// libabsl_synchronization.so is compiled without -fsanitize=thread, so TSan
// sees neither the acquire nor the release of an absl::Mutex: every access to
// data that a Mutex guards would be reported as a race (gRPC's internal
// locks are absl::Mutex too). Built with TSan, Abseil announces its lock
// operations through TSan's public mutex interface
// (<sanitizer/tsan_interface.h>); this file does the same from outside: it
// defines the public lock/unlock/wait entry points, which the dynamic linker
// then binds in place of the library's (for our code, for gRPC's and for the
// library's own calls through its PLT), calls the
// library's implementation through dlsym(RTLD_NEXT), and announces each
// operation around the call as Abseil would. Nothing is suppressed: TSan
// learns happens-before edges that really exist.
//
// Destruction is not announced: gRPC frees its mutexes after dropping a
// shared_ptr whose (uninstrumented) reference count TSan cannot see, so the
// destroy would look like a race with the last unlock.
//
// Between pre_* and post_* TSan ignores the thread's memory accesses, as it
// does inside an instrumented Abseil: that covers the Condition predicates
// the library evaluates while it holds or hands over the lock, which TSan
// could not attribute to the right owner.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define AFFONSO_STRINGIZE_(x) #x
#define AFFONSO_STRINGIZE(x) AFFONSO_STRINGIZE_(x)

// The library's implementation of `symbol` ("5Mutex4LockEv": the mangled
// name after absl's inline namespace); `constant` for a const member.
template <typename Fn>
Fn Real(const char* symbol, bool constant = false) {
  const std::string ns = AFFONSO_STRINGIZE(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name =
      std::string(constant ? "_ZNK" : "_ZN") + "4absl" + std::to_string(ns.size()) + ns + symbol;
  void* real = dlsym(RTLD_NEXT, name.c_str());
  if (real == nullptr) {
    std::fprintf(stderr, "tsan annotations: no %s in Abseil\n", name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(real);
}

constexpr unsigned kWrite = 0;
constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;

// The library calls its own entry points through the PLT, so they reach these
// wrappers too (AwaitWithTimeout calls AwaitWithDeadline, LockWhenWithTimeout
// LockWhenWithDeadline): only the outermost call on a thread is announced.
thread_local int depth = 0;

template <typename Call>
auto Inner(Call call) {
  ++depth;
  auto result = call();
  --depth;
  return result;
}

// A lock operation (Lock, LockWhen*, ReaderLock*): `mu` is held on return.
template <typename Call>
auto AsLock(void* mu, unsigned mode, Call call) {
  if (depth > 0) return call();
  __tsan_mutex_pre_lock(mu, mode);
  auto result = Inner(call);
  __tsan_mutex_post_lock(mu, mode, 0);
  return result;
}

template <typename Call>
bool AsTryLock(void* mu, unsigned mode, Call call) {
  if (depth > 0) return call();
  __tsan_mutex_pre_lock(mu, mode | kTry);
  const bool locked = Inner(call);
  __tsan_mutex_post_lock(mu, mode | kTry | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

template <typename Call>
auto AsUnlock(void* mu, unsigned mode, Call call) {
  if (depth > 0) return call();
  __tsan_mutex_pre_unlock(mu, mode);
  auto result = Inner(call);
  __tsan_mutex_post_unlock(mu, mode);
  return result;
}

// A wait that releases `mu` and holds it again on return (Await*, CondVar
// waits): unlocked before it, locked after it. The mutex may be held in
// either mode; the library records which in the mutex word, which we cannot
// read here, so waits are announced as write holds: the mode our code and
// gRPC wait in.
template <typename Call>
auto AsWait(void* mu, Call call) {
  if (depth > 0) return call();
  __tsan_mutex_pre_unlock(mu, kWrite);
  auto result = Inner(call);
  __tsan_mutex_post_unlock(mu, kWrite);
  __tsan_mutex_pre_lock(mu, kWrite);
  __tsan_mutex_post_lock(mu, kWrite, 0);
  return result;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  AsLock(this, kWrite, [&] { return real(this), 0; });
}

void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  AsLock(this, kRead, [&] { return real(this), 0; });
}

bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  return AsTryLock(this, kWrite, [&] { return real(this); });
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  return AsTryLock(this, kRead, [&] { return real(this); });
}

void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  AsUnlock(this, kWrite, [&] { return real(this), 0; });
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  AsUnlock(this, kRead, [&] { return real(this), 0; });
}

// The LockWhen*WithTimeout/Deadline forms hold the mutex on return whatever
// they return.
void Mutex::LockWhen(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex8LockWhenERKNS0_9ConditionE");
  AsLock(this, kWrite, [&] { return real(this, cond), 0; });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AsLock(this, kWrite, [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AsLock(this, kWrite, [&] { return real(this, cond, deadline); });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  AsLock(this, kRead, [&] { return real(this, cond), 0; });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AsLock(this, kRead, [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AsLock(this, kRead, [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex5AwaitERKNS0_9ConditionE");
  AsWait(this, [&] { return real(this, cond), 0; });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AsWait(this, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AsWait(this, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  static const auto real = Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  AsWait(mu, [&] { return real(this, mu), 0; });
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, absl::Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return AsWait(mu, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, absl::Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return AsWait(mu, [&] { return real(this, mu, deadline); });
}

// absl::Notification: its lock operations reach the wrappers above, but a
// wait that finds the notification already given returns on an atomic flag
// the library reads and writes, unseen. Notify releases, a wait that saw the
// notification acquires. (HasBeenNotified() is inline: its acquire load of
// that flag stays unpaired; nothing of ours relies on it.)
void Notification::Notify() {
  static const auto real = Real<void (*)(Notification*)>("12Notification6NotifyEv");
  if (depth == 0) __tsan_release(this);
  Inner([&] { return real(this), 0; });
}

void Notification::WaitForNotification() const {
  static const auto real = Real<void (*)(const Notification*)>(
      "12Notification19WaitForNotificationEv", /*constant=*/true);
  Inner([&] { return real(this), 0; });
  if (depth == 0) __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  static const auto real = Real<bool (*)(const Notification*, absl::Duration)>(
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE", /*constant=*/true);
  const bool notified = Inner([&] { return real(this, timeout); });
  if (notified && depth == 0) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static const auto real = Real<bool (*)(const Notification*, absl::Time)>(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE", /*constant=*/true);
  const bool notified = Inner([&] { return real(this, deadline); });
  if (notified && depth == 0) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl

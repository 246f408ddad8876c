// Annotated mutexes. libstdc++'s std::mutex carries no thread-safety attributes, so
// Vigil code locks these instead; the clang build then checks VIGIL_GUARDED_BY members.
#pragma once

#include <mutex>
#include <shared_mutex>

#include "base/thread_annotations.h"

namespace vigil {

class VIGIL_CAPABILITY("mutex") Mutex {
 public:
  void Lock() VIGIL_ACQUIRE() { mu_.lock(); }
  void Unlock() VIGIL_RELEASE() { mu_.unlock(); }
  std::mutex& native() { return mu_; }  // for std::condition_variable

 private:
  std::mutex mu_;
};

class VIGIL_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) VIGIL_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() VIGIL_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* mu_;
};

class VIGIL_CAPABILITY("rwmutex") RWMutex {
 public:
  void Lock() VIGIL_ACQUIRE() { mu_.lock(); }
  void Unlock() VIGIL_RELEASE() { mu_.unlock(); }
  void ReaderLock() VIGIL_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void ReaderUnlock() VIGIL_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

class VIGIL_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(RWMutex* mu) VIGIL_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterLock() VIGIL_RELEASE() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  RWMutex* mu_;
};

class VIGIL_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(RWMutex* mu) VIGIL_ACQUIRE_SHARED(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderLock() VIGIL_RELEASE() { mu_->ReaderUnlock(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  RWMutex* mu_;
};

}  // namespace vigil

// Result<T>: either a value of type T or a non-OK Status.
//
// Member names follow std::expected (has_value, value, error, operator*, operator->,
// value_or) so that moving to C++23 is `template <class T> using Result =
// std::expected<T, Status>`. Accessing value() of an error Result is a bug (checked).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <variant>

#include "base/status.h"

namespace vigil {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : v_(v) {}          // NOLINT(google-explicit-constructor)
  Result(T&& v) : v_(std::move(v)) {}    // NOLINT(google-explicit-constructor)
  Result(Status s) : v_(std::move(s)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) {
      v_ = Status::Internal("Result constructed from an OK status");
    }
  }
  template <typename U>
  requires(std::is_convertible_v<U&&, T> && !std::is_same_v<std::decay_t<U>, Status> &&
           !std::is_same_v<std::decay_t<U>, T>) Result(U&& u)
      : v_(T(std::forward<U>(u))) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    Check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    Check();
    return std::get<0>(v_);
  }
  T&& value() && {
    Check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <typename U>
  T value_or(U&& u) const& {
    return has_value() ? std::get<0>(v_) : T(std::forward<U>(u));
  }

  // The error; OK when a value is held.
  Status error() const { return has_value() ? Status::OK() : std::get<1>(v_); }
  // Same as error(), for code that reads better with it.
  Status status() const { return error(); }
  void IgnoreError() const {}

 private:
  void Check() const {
    if (!has_value()) {
      std::fprintf(stderr, "Result::value() on error: %s\n", std::get<1>(v_).ToString().c_str());
      std::abort();
    }
  }
  std::variant<T, Status> v_;
};

}  // namespace vigil

// Evaluates `rexpr` (a Result); on error returns its Status, else assigns the value to `lhs`
// (which may be a declaration: VIGIL_ASSIGN_OR_RETURN(auto x, F());).
#define VIGIL_ASSIGN_OR_RETURN(lhs, rexpr) \
  VIGIL_ASSIGN_OR_RETURN_IMPL(VIGIL_STATUS_CONCAT(vigil_result_, __LINE__), lhs, rexpr)
#define VIGIL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.has_value()) return tmp.error();          \
  lhs = std::move(tmp).value()

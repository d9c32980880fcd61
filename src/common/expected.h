#pragma once

// Expected<T>: a value or an Error. g++ 12 in C++20 mode has no std::expected and Debian
// bookworm packages no tl::expected, so this is the small subset tenantdb uses. When the
// project moves to C++23 this becomes `template <class T> using Expected = std::expected<T,
// Error>`.

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/error.h"

namespace tenantdb {

struct Unexpected {
  Error error;
};
inline Unexpected MakeUnexpected(Error e) { return Unexpected{std::move(e)}; }

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}         // NOLINT: implicit
  Expected(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  Expected(Error e) : v_(std::in_place_index<1>, std::move(e)) {}             // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(v_));
  }

  void IgnoreError() const {}

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Unexpected u) : error_(std::move(u.error)), ok_(false) {}  // NOLINT
  Expected(Error e) : error_(std::move(e)), ok_(false) {}             // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }
  void IgnoreError() const {}

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace tenantdb

// TENANTDB_TRY(auto x, Expr()): returns the error from the enclosing function if Expr failed.
#define TENANTDB_CONCAT_INNER(a, b) a##b
#define TENANTDB_CONCAT(a, b) TENANTDB_CONCAT_INNER(a, b)
#define TENANTDB_TRY_IMPL(tmp, decl, expr)                 \
  auto tmp = (expr);                                       \
  if (!tmp.has_value()) {                                  \
    return ::tenantdb::Unexpected{std::move(tmp).error()}; \
  }                                                        \
  decl = std::move(tmp).value()
#define TENANTDB_TRY(decl, expr) \
  TENANTDB_TRY_IMPL(TENANTDB_CONCAT(tenantdb_try_, __LINE__), decl, expr)
#define TENANTDB_TRY_VOID(expr)                                            \
  do {                                                                     \
    auto tenantdb_try_void = (expr);                                       \
    if (!tenantdb_try_void.has_value()) {                                  \
      return ::tenantdb::Unexpected{std::move(tenantdb_try_void).error()}; \
    }                                                                      \
  } while (false)

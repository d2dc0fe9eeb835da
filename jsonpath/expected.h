#pragma once
// Expected<T, E>: a value or an error, the subset of C++23 std::expected that stepd uses.
// Becomes an alias of std::expected once the toolchain has it. Not thread-safe (a value type).

#include <new>
#include <type_traits>
#include <utility>

namespace stepd {

template <typename E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : has_value_(true) { new (&value_) T(std::move(value)); }  // NOLINT: implicit
  Expected(Unexpected<E> error) : has_value_(false) {  // NOLINT: implicit by design
    new (&error_) E(std::move(error).error());
  }
  Expected(const Expected& other) : has_value_(other.has_value_) {
    if (has_value_) {
      new (&value_) T(other.value_);
    } else {
      new (&error_) E(other.error_);
    }
  }
  Expected(Expected&& other) noexcept : has_value_(other.has_value_) {
    if (has_value_) {
      new (&value_) T(std::move(other.value_));
    } else {
      new (&error_) E(std::move(other.error_));
    }
  }
  Expected& operator=(const Expected& other) {
    if (this != &other) {
      Destroy();
      new (this) Expected(other);
    }
    return *this;
  }
  Expected& operator=(Expected&& other) noexcept {
    if (this != &other) {
      Destroy();
      new (this) Expected(std::move(other));
    }
    return *this;
  }
  ~Expected() { Destroy(); }

  bool has_value() const { return has_value_; }
  explicit operator bool() const { return has_value_; }

  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  T& operator*() & { return value_; }
  const T& operator*() const& { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

  E& error() & { return error_; }
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  void Destroy() {
    if (has_value_) {
      value_.~T();
    } else {
      error_.~E();
    }
  }

  bool has_value_;
  union {
    T value_;
    E error_;
  };
};

}  // namespace stepd

// Evaluates `expr` (an Expected); on error returns the error from the enclosing function,
// otherwise assigns the value to `lhs`, which may be a declaration (`Value v`) and so cannot be
// parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define STEPD_TRY_CONCAT_INNER(a, b) a##b
#define STEPD_TRY_CONCAT(a, b) STEPD_TRY_CONCAT_INNER(a, b)
#define STEPD_ASSIGN_OR_RETURN(lhs, expr) \
  STEPD_ASSIGN_OR_RETURN_IMPL(STEPD_TRY_CONCAT(stepd_result_, __LINE__), lhs, expr)
#define STEPD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)     \
  auto tmp = (expr);                                    \
  if (!tmp.has_value()) {                               \
    return ::stepd::Unexpected(std::move(tmp).error()); \
  }                                                     \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

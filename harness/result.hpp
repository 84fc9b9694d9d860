// The harness's one error convention. A function that can fail returns Result<T>: its value, or an
// Error whose message says what went wrong and where (a file, a line, a benchmark), ready to print
// after "ptbench <command>: ". A caller that adds context prefixes the message (with_context).
// Which exit code a failure earns is decided once, by the command (exit_codes.hpp), not here.
// Absence that is not a failure (an optional column, a probe that printed nothing to compare)
// stays std::optional.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ptbench::harness {

struct Error {
  std::string message;
};

inline Error fail(std::string message) {
  return Error{std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }

  // The message of a failed result (only valid when !ok()).
  const std::string& error() const { return std::get<1>(v_).message; }
  // The failure, with "context: " put before its message, to pass up as another Result's error.
  Error with_context(const std::string& context) const { return fail(context + ": " + error()); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error.message)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return error_; }
  Error with_context(const std::string& context) const { return fail(context + ": " + error_); }

 private:
  std::string error_;
  bool failed_ = false;
};

}  // namespace ptbench::harness

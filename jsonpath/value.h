#pragma once
// Value: one JSON value, either a view into a parsed document or a node built in an Arena, in 16
// trivially copyable bytes.
//
// Lifetimes: a Value never owns anything. A Value from Parse() (document.h) is valid while
// that Document lives and is not re-parsed; a Value built by a template, an intrinsic or a
// ResultPath merge is valid until its Arena is Reset(). Arena containers may hold views into a
// document, so an arena-built value is valid only while both live. Strings are views too.
//
// Scalars read from a document are decoded into the Value itself (a string keeps a view of the
// document's text or string buffer); arrays and objects stay views of the document, so selecting
// a subtree of a 200 KB input copies nothing. A document is either a simdjson DOM (its tape) or,
// for large inputs, a LazyJson (its validated text, decoded where read; see document.h). Object
// key order is kept as written.
//
// Numbers keep their JSON kind: integers that fit int64 (or uint64) stay exact, everything
// else is a double.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>

#include <simdjson.h>

#include "jsonpath/internal/dom_tape.h"
#include "jsonpath/internal/lazy_json.h"

namespace stepd {

class Arena;
class Value;

enum class JsonType : std::uint8_t { kMissing, kNull, kBool, kNumber, kString, kArray, kObject };
enum class NumberKind : std::uint8_t { kInt64, kUint64, kDouble };

struct Member;

class Value {
 public:
  // A Value is Missing by default: "no value", as when a path matches nothing.
  Value() : Value(JsonType::kMissing, Repr::kInline, NumberKind::kInt64) {}

  static Value Missing() { return {}; }
  static Value Null() { return Value(JsonType::kNull, Repr::kInline, NumberKind::kInt64); }
  static Value Bool(bool b);
  static Value Int(std::int64_t i);
  static Value Uint(std::uint64_t u);  // stored as Int when it fits
  static Value Double(double d);
  // `text` must outlive the Value and be shorter than 4 GiB (documents are far smaller).
  static Value String(std::string_view text);
  // Arena containers: `items`/`members` must outlive the Value (normally arena storage).
  static Value Array(const Value* items, std::size_t count);
  static Value Object(const Member* members, std::size_t count);
  static Value FromDom(simdjson::dom::element element);

  JsonType type() const { return type_; }
  bool IsMissing() const { return type_ == JsonType::kMissing; }
  bool IsNull() const { return type_ == JsonType::kNull; }
  bool IsBool() const { return type_ == JsonType::kBool; }
  bool IsNumber() const { return type_ == JsonType::kNumber; }
  bool IsString() const { return type_ == JsonType::kString; }
  bool IsArray() const { return type_ == JsonType::kArray; }
  bool IsObject() const { return type_ == JsonType::kObject; }
  bool IsContainer() const { return IsArray() || IsObject(); }
  // A view into a Document (either representation), as opposed to an inline scalar or an arena
  // node.
  bool IsDomView() const { return repr_ == Repr::kDom || repr_ == Repr::kLazy; }

  // Scalar accessors; each requires the matching type.
  bool AsBool() const { return bool_; }
  NumberKind number_kind() const { return number_; }
  bool IsInteger() const { return IsNumber() && number_ != NumberKind::kDouble; }
  std::int64_t AsInt() const { return int_; }     // requires number_kind() == kInt64
  std::uint64_t AsUint() const { return uint_; }  // requires number_kind() == kUint64
  double AsDouble() const;                        // any number, converted
  std::string_view AsString() const { return {chars_, count_}; }

  // Containers (arrays and objects, document views or arena nodes alike).
  // Size(): elements of an array or members of an object.
  std::size_t Size() const { return repr_ == Repr::kArena ? count_ : ViewSize(); }
  // Array element `index`, or Missing when out of range. O(1) for arena arrays, O(index) for
  // document arrays.
  Value At(std::size_t index) const;
  // Object member named `key` (first match), or Missing.
  Value Find(std::string_view key) const;

  // The JSON text of this container exactly as the writer prints it, when the document holds
  // it verbatim (a compact, canonical subtree of a lazily parsed input); empty otherwise. Valid
  // as long as the Value.
  std::string_view VerbatimJson() const {
    return repr_ == Repr::kLazy ? lazy_->VerbatimText(count_) : std::string_view();
  }

  // An arena object's members, or an arena array's elements, in place (for copying them in bulk,
  // or walking them in a loop of one's own); empty for any other value.
  std::span<const Member> ArenaMembers() const;
  std::span<const Value> ArenaElements() const;

  // Calls fn(Value) for every array element in order.
  template <typename Fn>
  void ForEachElement(Fn&& fn) const;
  // Calls fn(std::string_view key, Value value) for every object member in order.
  template <typename Fn>
  void ForEachMember(Fn&& fn) const;
  // Like the above, but stops (and returns false) as soon as fn returns false.
  template <typename Fn>
  bool AllElements(Fn&& fn) const;
  template <typename Fn>
  bool AllMembers(Fn&& fn) const;

 private:
  enum class Repr : std::uint8_t { kInline, kDom, kLazy, kArena };
  using LazyJson = internal::LazyJson;
  // Every member is set here at once: a tag written byte by byte and then copied as a word
  // stalls store forwarding on every copy.
  Value(JsonType type, Repr repr, NumberKind number, std::uint32_t count = 0)
      : int_(0), count_(count), type_(type), repr_(repr), number_(number), unused_(0) {}

  // A document view is the simdjson document plus the index of the value on its tape (tapes
  // stay below 4 GiB), so that a Value fits two registers; it is read on the tape directly
  // (internal/dom_tape.h).
  internal::DomTape Tape() const {
    return internal::DomTape(*static_cast<const simdjson::dom::document*>(document_));
  }
  // The value at tape index `i` of `tape`, the tape of the simdjson document at `document`.
  static Value FromTape(const void* document, const internal::DomTape& tape, std::uint32_t i);
  // Size() of anything but an arena node (only containers are): scalars have none.
  std::size_t ViewSize() const;
  // A lazy view is the LazyJson plus the value's token; scalars are decoded here.
  static Value FromLazy(const LazyJson& json, LazyJson::Token token);

  friend class Document;
  friend class ArrayCursor;
  friend class ObjectCursor;

  union {
    bool bool_;
    std::int64_t int_;
    std::uint64_t uint_;
    double double_;
    const char* chars_;      // kString
    const Value* items_;     // arena array
    const Member* members_;  // arena object
    const void* document_;   // document view: the simdjson::dom::document
    const LazyJson* lazy_;   // lazy view
  };
  std::uint32_t count_;  // string length, arena container size, tape index or lazy token
  JsonType type_;
  Repr repr_;
  NumberKind number_;
  // Makes the last byte a member: with a padding byte gcc copies the second word as 4 + 1 + 1 +
  // 1 bytes, and reading it back as a word then stalls on store forwarding after every call
  // that returns a Value.
  std::uint8_t unused_;
};

struct Member {
  std::string_view key;
  Value value;
};

// Walks an array's elements one at a time (for walking two arrays side by side, which the
// callback form cannot do). A non-array yields nothing.
class ArrayCursor {
 public:
  explicit ArrayCursor(Value array);
  bool Done() const;
  Value Get() const;
  void Next();

 private:
  Value array_;
  std::size_t index_ = 0;
  // The current element: its token in a lazy array, its tape index in a document array.
  std::uint32_t token_ = 0;
  std::uint32_t close_ = 0;  // document arrays: the tape index of the closing bracket
};

// Walks an object's members one at a time, like ArrayCursor.
class ObjectCursor {
 public:
  explicit ObjectCursor(Value object);
  bool Done() const;
  std::string_view Key() const;
  Value Get() const;
  void Next();

 private:
  Value object_;
  std::size_t index_ = 0;
  // The current key: its token in a lazy object, its tape index in a document object.
  std::uint32_t token_ = 0;
  std::uint32_t close_ = 0;  // document objects: the tape index of the closing brace
};

inline std::span<const Member> Value::ArenaMembers() const {
  if (type_ != JsonType::kObject || repr_ != Repr::kArena) {
    return {};
  }
  return {members_, count_};
}

inline std::span<const Value> Value::ArenaElements() const {
  if (type_ != JsonType::kArray || repr_ != Repr::kArena) {
    return {};
  }
  return {items_, count_};
}

static_assert(sizeof(Value) == 16, "Value is passed by value, in two registers");
static_assert(std::is_trivially_copyable_v<Value>);
static_assert(std::is_trivially_destructible_v<Member>);
static_assert(std::is_trivially_copyable_v<Member>, "members are copied in bulk");

// JSON equality: objects by key set and values (order ignored), arrays element-wise, numbers by
// numeric value (1 == 1.0; two integers compare exactly), everything else by type and value.
bool DeepEquals(Value a, Value b);

// A hash consistent with DeepEquals (equal values hash equally).
std::size_t DeepHash(Value v);

// Whether `a` and `b` are one handle: the same view of a document or the same arena node, which
// hold the same JSON while the documents and arenas behind them live unchanged. Values built
// apart are never one handle, however equal; equal scalars may or may not be.
inline bool SameHandle(Value a, Value b) { return std::memcmp(&a, &b, sizeof(Value)) == 0; }

// Copies `v` and everything under it into `arena`, so that it no longer refers to a document.
Value DeepCopy(Value v, Arena& arena);

// The JSON type name as AWS error texts spell it.
std::string_view TypeName(JsonType type);

// --- inline and template definitions ---

inline Value Value::Bool(bool b) {
  Value v(JsonType::kBool, Repr::kInline, NumberKind::kInt64);
  v.bool_ = b;
  return v;
}

inline Value Value::Int(std::int64_t i) {
  Value v(JsonType::kNumber, Repr::kInline, NumberKind::kInt64);
  v.int_ = i;
  return v;
}

inline Value Value::Uint(std::uint64_t u) {
  if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Int(static_cast<std::int64_t>(u));
  }
  Value v(JsonType::kNumber, Repr::kInline, NumberKind::kUint64);
  v.uint_ = u;
  return v;
}

inline Value Value::Double(double d) {
  Value v(JsonType::kNumber, Repr::kInline, NumberKind::kDouble);
  v.double_ = d;
  return v;
}

inline Value Value::String(std::string_view text) {
  Value v(JsonType::kString, Repr::kInline, NumberKind::kInt64,
          static_cast<std::uint32_t>(text.size()));
  v.chars_ = text.data();
  return v;
}

inline Value Value::Array(const Value* items, std::size_t count) {
  Value v(JsonType::kArray, Repr::kArena, NumberKind::kInt64, static_cast<std::uint32_t>(count));
  v.items_ = items;
  return v;
}

inline Value Value::Object(const Member* members, std::size_t count) {
  Value v(JsonType::kObject, Repr::kArena, NumberKind::kInt64, static_cast<std::uint32_t>(count));
  v.members_ = members;
  return v;
}

inline Value Value::FromTape(const void* document, const internal::DomTape& tape, std::uint32_t i) {
  switch (tape.Type(i)) {
    case '{': {
      Value v(JsonType::kObject, Repr::kDom, NumberKind::kInt64, i);
      v.document_ = document;
      return v;
    }
    case '[': {
      Value v(JsonType::kArray, Repr::kDom, NumberKind::kInt64, i);
      v.document_ = document;
      return v;
    }
    case '"':
      return String(tape.String(i));
    case 'l':
      return Int(tape.NumberAt<std::int64_t>(i));
    case 'u':
      return Uint(tape.NumberAt<std::uint64_t>(i));
    case 'd':
      return Double(tape.NumberAt<double>(i));
    case 't':
      return Bool(true);
    case 'f':
      return Bool(false);
    case 'n':
      return Null();
    default:
      return Missing();
  }
}

template <typename Fn>
void Value::ForEachElement(Fn&& fn) const {
  AllElements([&](Value v) {
    fn(v);
    return true;
  });
}

template <typename Fn>
void Value::ForEachMember(Fn&& fn) const {
  AllMembers([&](std::string_view k, Value v) {
    fn(k, v);
    return true;
  });
}

template <typename Fn>
bool Value::AllElements(Fn&& fn) const {
  if (type_ != JsonType::kArray) {
    return true;
  }
  if (repr_ == Repr::kArena) {
    for (std::size_t i = 0; i < count_; ++i) {
      if (!fn(items_[i])) {
        return false;
      }
    }
    return true;
  }
  if (repr_ == Repr::kLazy) {
    LazyJson::Token t = count_ + 1;
    for (std::uint32_t left = lazy_->Count(count_); left != 0; --left) {
      if (!fn(FromLazy(*lazy_, t))) {
        return false;
      }
      t = lazy_->Skip(t);
    }
    return true;
  }
  const internal::DomTape tape = Tape();
  for (std::uint32_t i = count_ + 1, close = tape.Close(count_); i < close; i = tape.Next(i)) {
    if (!fn(FromTape(document_, tape, i))) {
      return false;
    }
  }
  return true;
}

template <typename Fn>
bool Value::AllMembers(Fn&& fn) const {
  if (type_ != JsonType::kObject) {
    return true;
  }
  if (repr_ == Repr::kArena) {
    for (std::size_t i = 0; i < count_; ++i) {
      if (!fn(members_[i].key, members_[i].value)) {
        return false;
      }
    }
    return true;
  }
  if (repr_ == Repr::kLazy) {
    LazyJson::Token t = count_ + 1;
    for (std::uint32_t left = lazy_->Count(count_); left != 0; --left) {
      if (!fn(lazy_->String(t), FromLazy(*lazy_, t + 2))) {
        return false;
      }
      t = lazy_->Skip(t + 2);
    }
    return true;
  }
  const internal::DomTape tape = Tape();
  for (std::uint32_t i = count_ + 1, close = tape.Close(count_); i < close; i = tape.Next(i + 1)) {
    if (!fn(tape.String(i), FromTape(document_, tape, i + 1))) {
      return false;
    }
  }
  return true;
}

}  // namespace stepd

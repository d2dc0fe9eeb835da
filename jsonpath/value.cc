#include "jsonpath/value.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "jsonpath/arena.h"
#include "jsonpath/internal/bytes.h"

namespace stepd {

using internal::KeyEquals;

namespace {

// The layout of simdjson's private tape reference, which a dom::element is.
struct TapeRef {
  const simdjson::dom::document* document;
  std::size_t json_index;
};
static_assert(sizeof(TapeRef) == sizeof(simdjson::dom::element));
static_assert(std::is_trivially_copyable_v<simdjson::dom::element>);

}  // namespace

Value Value::FromDom(simdjson::dom::element element) {
  TapeRef ref;
  std::memcpy(&ref, &element, sizeof(ref));
  // Tape indexes fit 32 bits: simdjson documents are limited to 4 GiB.
  return FromTape(ref.document, internal::DomTape(*ref.document),
                  static_cast<std::uint32_t>(ref.json_index));
}

Value Value::FromLazy(const LazyJson& json, LazyJson::Token token) {
  switch (json.First(token)) {
    case '{': {
      Value v(JsonType::kObject, Repr::kLazy, NumberKind::kInt64, token);
      v.lazy_ = &json;
      return v;
    }
    case '[': {
      Value v(JsonType::kArray, Repr::kLazy, NumberKind::kInt64, token);
      v.lazy_ = &json;
      return v;
    }
    case '"':
      return String(json.String(token));
    case 't':
      return Bool(true);
    case 'f':
      return Bool(false);
    case 'n':
      return Null();
    default:
      break;
  }
  const LazyJson::Number number = json.ParseNumber(token);
  switch (number.kind) {
    case LazyJson::Number::Kind::kInt64:
      return Int(number.int64);
    case LazyJson::Number::Kind::kUint64:
      return Uint(number.uint64);
    case LazyJson::Number::Kind::kDouble:
      return Double(number.float64);
  }
  return Missing();
}

double Value::AsDouble() const {
  switch (number_) {
    case NumberKind::kInt64:
      return static_cast<double>(int_);
    case NumberKind::kUint64:
      return static_cast<double>(uint_);
    case NumberKind::kDouble:
      return double_;
  }
  return 0;
}

std::size_t Value::ViewSize() const {
  if (!IsContainer()) {
    return 0;
  }
  return repr_ == Repr::kLazy ? lazy_->Count(count_) : Tape().Count(count_);
}

Value Value::At(std::size_t index) const {
  if (type_ != JsonType::kArray) {
    return Missing();
  }
  if (repr_ == Repr::kArena) {
    return index < count_ ? items_[index] : Missing();
  }
  if (repr_ == Repr::kLazy) {
    if (index >= lazy_->Count(count_)) {
      return Missing();
    }
    LazyJson::Token t = count_ + 1;
    for (; index != 0; --index) {
      t = lazy_->Skip(t);
    }
    return FromLazy(*lazy_, t);
  }
  const internal::DomTape tape = Tape();
  std::uint32_t i = count_ + 1;
  const std::uint32_t close = tape.Close(count_);
  for (; index != 0 && i < close; --index) {
    i = tape.Next(i);
  }
  return i < close ? FromTape(document_, tape, i) : Missing();
}

Value Value::Find(std::string_view key) const {
  if (type_ != JsonType::kObject) {
    return Missing();
  }
  if (repr_ == Repr::kArena) {
    for (std::size_t i = 0; i < count_; ++i) {
      if (KeyEquals(members_[i].key, key)) {
        return members_[i].value;
      }
    }
    return Missing();
  }
  if (repr_ == Repr::kLazy) {
    LazyJson::Token t = count_ + 1;
    for (std::uint32_t left = lazy_->Count(count_); left != 0; --left) {
      if (lazy_->KeyEquals(t, key)) {
        return FromLazy(*lazy_, t + 2);
      }
      t = lazy_->Skip(t + 2);
    }
    return Missing();
  }
  const internal::DomTape tape = Tape();
  for (std::uint32_t i = count_ + 1, close = tape.Close(count_); i < close; i = tape.Next(i + 1)) {
    if (KeyEquals(tape.String(i), key)) {
      return FromTape(document_, tape, i + 1);
    }
  }
  return Missing();
}

ArrayCursor::ArrayCursor(Value array) : array_(array) {
  if (array_.IsArray() && array_.IsDomView()) {
    token_ = array_.count_ + 1;  // the first element, in either representation
  }
  if (array_.IsArray() && array_.repr_ == Value::Repr::kDom) {
    close_ = array_.Tape().Close(array_.count_);
  }
}

bool ArrayCursor::Done() const {
  if (!array_.IsArray()) {
    return true;
  }
  if (array_.repr_ == Value::Repr::kArena) {
    return index_ >= array_.count_;
  }
  if (array_.repr_ == Value::Repr::kLazy) {
    return index_ >= array_.lazy_->Count(array_.count_);
  }
  return token_ >= close_;
}

Value ArrayCursor::Get() const {
  if (Done()) {
    return Value::Missing();
  }
  if (array_.repr_ == Value::Repr::kArena) {
    return array_.items_[index_];
  }
  if (array_.repr_ == Value::Repr::kLazy) {
    return Value::FromLazy(*array_.lazy_, token_);
  }
  return Value::FromTape(array_.document_, array_.Tape(), token_);
}

void ArrayCursor::Next() {
  if (Done()) {
    return;
  }
  if (array_.repr_ == Value::Repr::kArena) {
    ++index_;
  } else if (array_.repr_ == Value::Repr::kLazy) {
    ++index_;
    token_ = array_.lazy_->Skip(token_);
  } else {
    token_ = array_.Tape().Next(token_);
  }
}

ObjectCursor::ObjectCursor(Value object) : object_(object) {
  if (object_.IsObject() && object_.IsDomView()) {
    token_ = object_.count_ + 1;  // the first key, in either representation
  }
  if (object_.IsObject() && object_.repr_ == Value::Repr::kDom) {
    close_ = object_.Tape().Close(object_.count_);
  }
}

bool ObjectCursor::Done() const {
  if (!object_.IsObject()) {
    return true;
  }
  if (object_.repr_ == Value::Repr::kArena) {
    return index_ >= object_.count_;
  }
  if (object_.repr_ == Value::Repr::kLazy) {
    return index_ >= object_.lazy_->Count(object_.count_);
  }
  return token_ >= close_;
}

std::string_view ObjectCursor::Key() const {
  if (Done()) {
    return {};
  }
  if (object_.repr_ == Value::Repr::kArena) {
    return object_.members_[index_].key;
  }
  if (object_.repr_ == Value::Repr::kLazy) {
    return object_.lazy_->String(token_);
  }
  return object_.Tape().String(token_);
}

Value ObjectCursor::Get() const {
  if (Done()) {
    return Value::Missing();
  }
  if (object_.repr_ == Value::Repr::kArena) {
    return object_.members_[index_].value;
  }
  if (object_.repr_ == Value::Repr::kLazy) {
    return Value::FromLazy(*object_.lazy_, token_ + 2);
  }
  return Value::FromTape(object_.document_, object_.Tape(), token_ + 1);
}

void ObjectCursor::Next() {
  if (Done()) {
    return;
  }
  if (object_.repr_ == Value::Repr::kArena) {
    ++index_;
  } else if (object_.repr_ == Value::Repr::kLazy) {
    ++index_;
    token_ = object_.lazy_->Skip(token_ + 2);
  } else {
    token_ = object_.Tape().Next(token_ + 1);
  }
}

namespace {

bool NumbersEqual(Value a, Value b) {
  if (a.IsInteger() && b.IsInteger()) {
    if (a.number_kind() == b.number_kind()) {
      return a.number_kind() == NumberKind::kInt64 ? a.AsInt() == b.AsInt()
                                                   : a.AsUint() == b.AsUint();
    }
    return false;  // an int64 and a uint64 above INT64_MAX never coincide
  }
  return a.AsDouble() == b.AsDouble();
}

}  // namespace

bool DeepEquals(Value a, Value b) {
  if (a.type() != b.type()) {
    return false;
  }
  switch (a.type()) {
    case JsonType::kMissing:
    case JsonType::kNull:
      return true;
    case JsonType::kBool:
      return a.AsBool() == b.AsBool();
    case JsonType::kNumber:
      return NumbersEqual(a, b);
    case JsonType::kString:
      return a.AsString() == b.AsString();
    case JsonType::kArray: {
      if (a.Size() != b.Size()) {
        return false;
      }
      ArrayCursor other(b);
      return a.AllElements([&](Value x) {
        const bool equal = DeepEquals(x, other.Get());
        other.Next();
        return equal;
      });
    }
    case JsonType::kObject: {
      if (a.Size() != b.Size()) {
        return false;
      }
      // Same keys in the same order (the common case, and the only one in which objects with
      // duplicate keys compare sensibly) need no lookups.
      ObjectCursor other(b);
      bool same_order = true;
      const bool equal = a.AllMembers([&](std::string_view key, Value x) {
        if (other.Key() != key) {
          same_order = false;
          return false;
        }
        const bool member_equal = DeepEquals(x, other.Get());
        other.Next();
        return member_equal;
      });
      if (same_order) {
        return equal;
      }
      return a.AllMembers(
          [&](std::string_view key, Value x) { return DeepEquals(x, b.Find(key)); });
    }
  }
  return false;
}

namespace {

std::size_t Mix(std::size_t seed, std::size_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

// Spreads every bit of `bits` over the whole result (murmur3's finaliser): a double's low bits
// are zero for every small integer, and hash tables index by the low bits.
std::size_t SpreadBits(std::uint64_t bits) {
  bits ^= bits >> 33;
  bits *= 0xff51afd7ed558ccdULL;
  bits ^= bits >> 33;
  bits *= 0xc4ceb9fe1a85ec53ULL;
  bits ^= bits >> 33;
  return static_cast<std::size_t>(bits);
}

}  // namespace

std::size_t DeepHash(Value v) {
  std::size_t h = static_cast<std::size_t>(v.type());
  switch (v.type()) {
    case JsonType::kMissing:
    case JsonType::kNull:
      return h;
    case JsonType::kBool:
      return Mix(h, v.AsBool() ? 1 : 2);
    case JsonType::kNumber: {
      // Equal numbers of different kinds (1 and 1.0) must hash alike, and DeepEquals compares an
      // integer with a double through the double: hash every number as its double. (Casting the
      // double back to check exactness was undefined for integers near 2^63 and 2^64.)
      const double d = v.AsDouble();
      return Mix(h, SpreadBits(std::bit_cast<std::uint64_t>(d == 0 ? 0.0 : d)));
    }
    case JsonType::kString:
      return Mix(h, std::hash<std::string_view>{}(v.AsString()));
    case JsonType::kArray:
      v.ForEachElement([&](Value x) { h = Mix(h, DeepHash(x)); });
      return h;
    case JsonType::kObject: {
      // Order-independent: objects equal regardless of key order.
      std::size_t sum = 0;
      v.ForEachMember([&](std::string_view key, Value x) {
        sum += Mix(std::hash<std::string_view>{}(key), DeepHash(x));
      });
      return Mix(h, sum);
    }
  }
  return h;
}

Value DeepCopy(Value v, Arena& arena) {
  switch (v.type()) {
    case JsonType::kString:
      return Value::String(arena.CopyString(v.AsString()));
    case JsonType::kArray: {
      const std::size_t n = v.Size();
      Value* items = arena.AllocateArray<Value>(n);
      std::size_t i = 0;
      v.ForEachElement([&](Value x) { new (&items[i++]) Value(DeepCopy(x, arena)); });
      return Value::Array(items, n);
    }
    case JsonType::kObject: {
      const std::size_t n = v.Size();
      Member* members = arena.AllocateArray<Member>(n);
      std::size_t i = 0;
      v.ForEachMember([&](std::string_view key, Value x) {
        new (&members[i++]) Member{arena.CopyString(key), DeepCopy(x, arena)};
      });
      return Value::Object(members, n);
    }
    default:
      return v;
  }
}

std::string_view TypeName(JsonType type) {
  switch (type) {
    case JsonType::kMissing:
      return "missing";
    case JsonType::kNull:
      return "null";
    case JsonType::kBool:
      return "boolean";
    case JsonType::kNumber:
      return "number";
    case JsonType::kString:
      return "string";
    case JsonType::kArray:
      return "array";
    case JsonType::kObject:
      return "object";
  }
  return "unknown";
}

}  // namespace stepd

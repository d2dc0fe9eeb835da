#include "jsonpath/result_path.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string_view>

#include "jsonpath/internal/bytes.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

// The array index an index step names in an array of `size`, or `size` when there is none.
std::size_t ResolveIndex(std::int64_t index, std::size_t size) {
  if (index >= 0) {
    const auto i = static_cast<std::uint64_t>(index);
    return i < size ? static_cast<std::size_t>(i) : size;
  }
  const std::size_t from_end = static_cast<std::size_t>(-(index + 1)) + 1;
  return from_end > size ? size : size - from_end;
}

// Room left for members appended by later ResultPaths, after a copy of `count` members.
std::size_t SpareMembers(std::size_t count) { return count / 2 + 4; }

// A shallow copy of `object` (Missing: an empty object) with `key` set to `value`: replaced
// where it is, or appended. Copies are growable (arena.h), so that along a chain of ResultPaths
// each adding a member to the previous state's output, appending usually copies nothing. An
// arena object's members are copied in bulk; any other object's in one pass.
Value WithMember(Value object, std::string_view key, Value value, Arena& arena) {
  if (const std::span<const Member> known = object.ArenaMembers(); !known.empty()) {
    // An object built earlier in the execution, as in a chain of ResultPaths.
    std::size_t at = 0;
    while (at < known.size() && !internal::KeyEquals(known[at].key, key)) {
      ++at;
    }
    const bool append = at == known.size();
    if (append) {
      if (Member* slot = arena.GrowInPlace(known.data(), known.size())) {
        new (slot) Member{arena.CopyString(key), value};
        return Value::Object(known.data(), known.size() + 1);
      }
    }
    const std::size_t count = known.size() + (append ? 1 : 0);
    Member* members = arena.AllocateGrowable<Member>(count, SpareMembers(count));
    std::memcpy(members, known.data(), known.size_bytes());
    if (append) {
      new (&members[at]) Member{arena.CopyString(key), value};
    } else {
      members[at].value = value;
    }
    return Value::Object(members, count);
  }
  // Room for one more than there are: when the key is replaced instead, that slot stays unused
  // and this copy cannot grow in place.
  const std::size_t capacity = object.Size() + 1;
  Member* members = arena.AllocateGrowable<Member>(capacity, SpareMembers(capacity));
  std::size_t count = 0;
  bool replaced = false;
  object.ForEachMember([&](std::string_view k, Value v) {
    // Only the first of duplicate keys is replaced, as Find() reads only the first.
    const bool replace = !replaced && internal::KeyEquals(k, key);
    replaced = replaced || replace;
    new (&members[count++]) Member{k, replace ? value : v};
  });
  if (!replaced) {
    // The key comes from the path, which the caller may free before the arena: copy it.
    new (&members[count++]) Member{arena.CopyString(key), value};
  }
  return Value::Object(members, count);
}

// A shallow copy of `array` with element `index` (in range) set to `value`.
Value WithElement(Value array, std::size_t index, Value value, Arena& arena) {
  const std::size_t size = array.Size();
  Value* items = arena.AllocateArray<Value>(size);
  std::size_t i = 0;
  array.ForEachElement([&](Value v) {
    new (&items[i]) Value(i == index ? value : v);
    ++i;
  });
  return Value::Array(items, size);
}

Unexpected<Error> MatchFailure(Value raw_input, const CompiledPath& path, Arena& arena) {
  const std::string_view input = ToJsonInArena(raw_input, arena);
  const std::string_view cause =
      arena.Concat({"Unable to apply ResultPath \"", path.text(), "\" to input \"", input, "\""});
  return Fail(ErrorCode::kResultPathMatch, error_names::kResultPathMatchFailure, cause);
}

}  // namespace

Result<Value> MergeAtPath(Value raw_input, const CompiledPath& path, Value result, Arena& arena) {
  if (path.root() != PathRoot::kInput || !path.is_definite()) {
    return RuntimeFailure("a ResultPath must be a Reference Path rooted at '$'");
  }
  const std::span<const PathStep> steps = path.steps();
  if (steps.empty()) {
    return result;
  }
  // Walk down first, remembering the container met at each step (the spine), then rebuild it
  // bottom-up. A loop, not recursion: the path's length is the definition author's choice.
  Value* spine = arena.AllocateArray<Value>(steps.size());
  std::size_t* positions = arena.AllocateArray<std::size_t>(steps.size());
  Value current = raw_input;
  const std::size_t last = steps.size() - 1;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const PathStep& step = steps[i];
    // Missing below the root means the previous step names a member to be created.
    const bool created = current.IsMissing() && i > 0;
    new (&spine[i]) Value(current);
    // The last step's value is replaced, never read: only the containers above it are looked up.
    if (step.kind == PathStep::Kind::kField) {
      if (!current.IsObject() && !created) {
        return MatchFailure(raw_input, path, arena);
      }
      if (i != last) {
        current = current.Find(step.name);
      }
      continue;
    }
    const std::size_t size = current.IsArray() ? current.Size() : 0;
    positions[i] = ResolveIndex(step.index, size);
    if (positions[i] == size) {
      return MatchFailure(raw_input, path, arena);
    }
    if (i != last) {
      current = current.At(positions[i]);
    }
  }
  Value merged = result;
  for (std::size_t i = steps.size(); i-- > 0;) {
    merged = steps[i].kind == PathStep::Kind::kField
                 ? WithMember(spine[i], steps[i].name, merged, arena)
                 : WithElement(spine[i], positions[i], merged, arena);
  }
  return merged;
}

}  // namespace stepd

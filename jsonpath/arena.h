#pragma once
// Arena: a bump allocator for everything one execution (or one compiled object) creates.
//
// Memory is handed out from large blocks and freed all at once by Reset() or the destructor;
// nothing is freed individually, so only trivially destructible types may live here. Reset()
// keeps the blocks it already has (up to kRetainBytes), so an arena reused across executions
// stops calling malloc after warm-up. Not thread-safe: one arena belongs to one execution or
// one worker at a time.

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>
#include <vector>

namespace stepd {

class Arena {
 public:
  static constexpr std::size_t kDefaultBlockBytes = 16 * 1024;
  static constexpr std::size_t kRetainBytes = 4 * 1024 * 1024;

  explicit Arena(std::size_t block_bytes = kDefaultBlockBytes) : block_bytes_(block_bytes) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) = default;
  Arena& operator=(Arena&&) = default;
  ~Arena() = default;

  void* Allocate(std::size_t bytes, std::size_t align = alignof(std::max_align_t)) {
    const std::size_t pad = (align - reinterpret_cast<std::uintptr_t>(cursor_) % align) % align;
    if (bytes + pad > static_cast<std::size_t>(end_ - cursor_)) {
      return AllocateSlow(bytes, align);
    }
    char* out = cursor_ + pad;
    cursor_ = out + bytes;
    return out;
  }

  // Uninitialised storage for `count` objects of a trivially destructible type.
  template <typename T>
  T* AllocateArray(std::size_t count) {
    static_assert(std::is_trivially_destructible_v<T>, "the arena never runs destructors");
    if (count == 0) {
      return nullptr;
    }
    return static_cast<T*>(Allocate(sizeof(T) * static_cast<std::size_t>(count), alignof(T)));
  }

  // Arrays that grow at the end, as an object does along a chain of ResultPaths. An array from
  // here has room for `spare` more objects after its `count`; while it is the newest such
  // array, GrowInPlace() hands that room out one object at a time, so appending needs no copy.
  // Views of the array as it was stay valid: they never reach the new objects.
  template <typename T>
  T* AllocateGrowable(std::size_t count, std::size_t spare) {
    T* data = AllocateArray<T>(count + spare);
    growable_end_ = reinterpret_cast<char*>(data + count);
    growable_limit_ = reinterpret_cast<char*>(data + count + spare);
    return data;
  }

  // Uninitialised storage for data[count] when the `count` objects at `data` end where the
  // newest growable array's objects end and it has room left; nullptr otherwise.
  template <typename T>
  T* GrowInPlace(const T* data, std::size_t count) {
    char* const end = reinterpret_cast<char*>(const_cast<T*>(data + count));
    if (end != growable_end_ || end == growable_limit_) {
      return nullptr;
    }
    growable_end_ = end + sizeof(T);
    return reinterpret_cast<T*>(end);
  }

  template <typename T, typename... Args>
  T* New(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>, "the arena never runs destructors");
    return new (Allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }

  // Copies `text` into the arena; the view stays valid until Reset().
  std::string_view CopyString(std::string_view text) {
    if (text.empty()) {
      return std::string_view("", 0);  // never a null data(): memcmp must not see one
    }
    char* out = static_cast<char*>(Allocate(text.size(), 1));
    std::memcpy(out, text.data(), text.size());
    return {out, text.size()};
  }

  // Joins `parts` into one string in the arena (error causes and other rare texts).
  std::string_view Concat(std::initializer_list<std::string_view> parts) {
    std::size_t size = 0;
    for (std::string_view part : parts) {
      size += part.size();
    }
    if (size == 0) {
      return std::string_view("", 0);
    }
    char* out = static_cast<char*>(Allocate(size, 1));
    std::size_t at = 0;
    for (std::string_view part : parts) {
      if (!part.empty()) {
        std::memcpy(out + at, part.data(), part.size());
        at += part.size();
      }
    }
    return {out, size};
  }

  // Frees everything allocated so far; every pointer and view into the arena becomes invalid.
  void Reset();

  // Bytes handed out since the last Reset(), for limits and benchmarks.
  std::size_t bytes_used() const {
    return used_before_current_ + static_cast<std::size_t>(cursor_ - current_begin_);
  }

 private:
  void* AllocateSlow(std::size_t bytes, std::size_t align);

  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };

  std::size_t block_bytes_;
  std::vector<Block> blocks_;
  std::size_t current_ = 0;  // index in blocks_ of the block being filled (when non-empty)
  char* current_begin_ = nullptr;
  char* cursor_ = nullptr;
  char* end_ = nullptr;
  std::size_t used_before_current_ = 0;
  char* growable_end_ = nullptr;    // the newest growable array: its first unused object
  char* growable_limit_ = nullptr;  // and the end of its room
};

}  // namespace stepd

#include "jsonpath/arena.h"

#include <algorithm>
#include <cstdint>

namespace stepd {

void* Arena::AllocateSlow(std::size_t bytes, std::size_t align) {
  const std::size_t needed = bytes + align;
  if (current_begin_ != nullptr) {
    used_before_current_ += static_cast<std::size_t>(cursor_ - current_begin_);
  }
  // Reuse a retained block that fits before asking the heap for a new one.
  std::size_t next = current_begin_ == nullptr ? 0 : current_ + 1;
  while (next < blocks_.size() && blocks_[next].size < needed) {
    ++next;
  }
  if (next >= blocks_.size()) {
    Block block;
    block.size = std::max(block_bytes_, needed);
    block.data = std::make_unique_for_overwrite<char[]>(block.size);
    blocks_.push_back(std::move(block));
    next = blocks_.size() - 1;
  } else if (next != (current_begin_ == nullptr ? 0 : current_ + 1)) {
    // Keep blocks in fill order so that Reset() can walk them from the start.
    std::swap(blocks_[next], blocks_[current_begin_ == nullptr ? 0 : current_ + 1]);
    next = current_begin_ == nullptr ? 0 : current_ + 1;
  }
  current_ = next;
  current_begin_ = blocks_[next].data.get();
  cursor_ = current_begin_;
  end_ = current_begin_ + blocks_[next].size;
  const std::size_t pad = (align - reinterpret_cast<std::uintptr_t>(cursor_) % align) % align;
  char* out = cursor_ + pad;
  cursor_ = out + bytes;
  return out;
}

void Arena::Reset() {
  // Keep the first blocks up to kRetainBytes so that the next user allocates nothing; give
  // the rest back, so one enormous execution does not pin its memory forever.
  std::size_t kept_bytes = 0;
  std::size_t keep = 0;
  while (keep < blocks_.size() && kept_bytes + blocks_[keep].size <= kRetainBytes) {
    kept_bytes += blocks_[keep].size;
    ++keep;
  }
  blocks_.resize(keep);
  current_ = 0;
  current_begin_ = nullptr;
  cursor_ = nullptr;
  end_ = nullptr;
  used_before_current_ = 0;
  growable_end_ = nullptr;
  growable_limit_ = nullptr;
}

}  // namespace stepd

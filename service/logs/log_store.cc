#include "service/logs/log_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>

#include "jsonpath/writer.h"

namespace stepd::logs {

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// CloudWatch counts 26 bytes of overhead per event.
constexpr std::uint64_t kEventOverheadBytes = 26;

struct Slot {
  std::int64_t timestamp_ms;
  std::int64_t ingestion_time_ms;
  std::uint64_t sequence;
  std::shared_ptr<const std::string> blob;
  std::uint32_t offset;
  std::uint32_t length;

  EventKey key() const { return {timestamp_ms, sequence}; }
  std::uint64_t bytes() const { return length + kEventOverheadBytes; }
};

}  // namespace

struct LogStore::Stream {
  std::shared_ptr<const std::string> name;
  std::int64_t creation_time_ms = 0;
  std::int64_t last_ingestion_time_ms = 0;
  std::uint64_t stored_bytes = 0;
  std::deque<Slot> events;  // sorted by key()
};

struct LogStore::Group {
  std::string name;
  std::int64_t creation_time_ms = 0;
  mutable std::mutex mu;
  std::optional<std::int32_t> retention_in_days;                        // guarded by mu
  std::map<std::string, std::unique_ptr<Stream>, std::less<>> streams;  // guarded by mu
  std::deque<Stream*> fifo;  // one entry per stored event, in ingestion order; guarded by mu
  std::uint64_t bytes = 0;   // guarded by mu
  std::atomic<std::uint64_t> dropped{0};
};

// The background file writer.
struct LogStore::Persister {
  struct Item {
    std::string group;
    std::shared_ptr<const std::string> stream;
    std::vector<Slot> events;
  };
  struct File {
    std::FILE* file = nullptr;
    std::size_t size = 0;
  };

  explicit Persister(const Options& options)
      : dir(options.log_dir),
        rotate_bytes(options.rotate_bytes),
        keep_files(options.keep_files),
        max_queue(options.persist_queue_batches) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    thread = std::thread([this] { Run(); });
  }

  ~Persister() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    wake.notify_all();
    thread.join();
    for (auto& [name, f] : files) {
      if (f.file != nullptr) {
        std::fclose(f.file);
      }
    }
  }

  void Push(Item&& item) {
    {
      std::lock_guard lock(mu);
      if (queue.size() >= max_queue) {
        dropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      queue.push_back(std::move(item));
    }
    wake.notify_one();
  }

  void WaitIdle() {
    std::unique_lock lock(mu);
    idle.wait(lock, [this] { return queue.empty() && !busy; });
  }

  void Run() {
    std::string line;
    for (;;) {
      Item item;
      {
        std::unique_lock lock(mu);
        wake.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) {
          return;  // stopping, and everything queued has been written
        }
        item = std::move(queue.front());
        queue.pop_front();
        busy = true;
      }
      Write(item, line);
      {
        std::lock_guard lock(mu);
        busy = false;
        if (queue.empty()) {
          idle.notify_all();
        }
      }
    }
  }

  void Write(const Item& item, std::string& line) {
    File& f = files[item.group];
    const std::filesystem::path path =
        std::filesystem::path(dir) / (SanitiseFileName(item.group) + ".jsonl");
    for (const Slot& e : item.events) {
      if (f.file == nullptr) {
        std::error_code ec;
        const auto existing = std::filesystem::file_size(path, ec);
        f.size = ec ? 0 : static_cast<std::size_t>(existing);
        f.file = std::fopen(path.c_str(), "ab");
        if (f.file == nullptr) {
          return;
        }
      }
      line.clear();
      line += R"({"logStreamName":)";
      AppendJsonString(*item.stream, line);
      line += R"(,"timestamp":)";
      line += std::to_string(e.timestamp_ms);
      line += R"(,"ingestionTime":)";
      line += std::to_string(e.ingestion_time_ms);
      line += R"(,"eventId":")";
      line += std::to_string(e.sequence);
      line += R"(","message":)";
      AppendJsonString(std::string_view(*e.blob).substr(e.offset, e.length), line);
      line += "}\n";
      std::fwrite(line.data(), 1, line.size(), f.file);
      f.size += line.size();
      if (f.size >= rotate_bytes) {
        std::fclose(f.file);
        f.file = nullptr;
        Rotate(path);
      }
    }
    if (f.file != nullptr) {
      std::fflush(f.file);
    }
  }

  // name.jsonl -> name.jsonl.1 -> ... -> name.jsonl.<keep_files>, the oldest removed.
  void Rotate(const std::filesystem::path& path) const {
    std::error_code ec;
    if (keep_files == 0) {
      std::filesystem::remove(path, ec);
      return;
    }
    const std::string base = path.string();
    std::filesystem::remove(base + "." + std::to_string(keep_files), ec);
    for (std::size_t i = keep_files; i > 1; --i) {
      std::filesystem::rename(base + "." + std::to_string(i - 1), base + "." + std::to_string(i),
                              ec);
    }
    std::filesystem::rename(path, base + ".1", ec);
  }

  std::string dir;
  std::size_t rotate_bytes;
  std::size_t keep_files;
  std::size_t max_queue;
  std::mutex mu;
  std::condition_variable wake;
  std::condition_variable idle;
  std::deque<Item> queue;  // guarded by mu
  bool stopping = false;   // guarded by mu
  bool busy = false;       // guarded by mu
  std::atomic<std::uint64_t> dropped{0};
  std::map<std::string, File, std::less<>> files;  // writer thread only
  std::thread thread;
};

struct LogStore::Impl {
  Options options;
  mutable std::shared_mutex groups_mu;
  std::map<std::string, std::shared_ptr<Group>, std::less<>> groups;  // guarded by groups_mu
  std::atomic<std::uint64_t> next_sequence{1};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> dropped_total{0};
  std::unique_ptr<Persister> persister;

  std::shared_ptr<Group> Find(std::string_view name) const {
    std::shared_lock lock(groups_mu);
    auto it = groups.find(name);
    return it == groups.end() ? nullptr : it->second;
  }

  std::shared_ptr<Group> FindOrCreate(std::string_view name) {
    if (auto group = Find(name)) {
      return group;
    }
    std::unique_lock lock(groups_mu);
    auto it = groups.find(name);
    if (it != groups.end()) {
      return it->second;
    }
    auto group = std::make_shared<Group>();
    group->name = std::string(name);
    group->creation_time_ms = NowMillis();
    groups.emplace(std::string(name), group);
    return group;
  }

  static Stream& StreamIn(Group& g, std::string_view name, std::int64_t now) {
    auto it = g.streams.find(name);
    if (it == g.streams.end()) {
      auto stream = std::make_unique<Stream>();
      stream->name = std::make_shared<const std::string>(name);
      stream->creation_time_ms = now;
      it = g.streams.emplace(std::string(name), std::move(stream)).first;
    }
    return *it->second;
  }

  // Stores `count` events whose messages are slices of `blob`. `event(i)` gives (timestamp,
  // offset, length).
  template <typename EventAt>
  std::size_t Append(std::string_view group_name, std::string_view stream_name,
                     const std::shared_ptr<const std::string>& blob, std::size_t count,
                     EventAt&& event_at) {
    if (count == 0) {
      return 0;
    }
    const std::int64_t now = NowMillis();
    std::shared_ptr<Group> group = FindOrCreate(group_name);
    std::vector<Slot> persisted;
    std::shared_ptr<const std::string> persisted_stream;
    std::uint64_t evicted = 0;
    {
      std::lock_guard lock(group->mu);
      Stream& stream = StreamIn(*group, stream_name, now);
      std::uint64_t sequence = next_sequence.fetch_add(count, std::memory_order_relaxed);
      for (std::size_t i = 0; i < count; ++i) {
        const PackedEvent e = event_at(i);
        Slot slot{e.timestamp_ms, now, sequence++, blob, e.offset, e.length};
        if (persister) {
          persisted.push_back(slot);
        }
        const std::uint64_t bytes = slot.bytes();
        if (stream.events.empty() || stream.events.back().key() < slot.key()) {
          stream.events.push_back(std::move(slot));
        } else {
          auto at = std::upper_bound(stream.events.begin(), stream.events.end(), slot.key(),
                                     [](const EventKey& k, const Slot& s) { return k < s.key(); });
          stream.events.insert(at, std::move(slot));
        }
        stream.stored_bytes += bytes;
        group->bytes += bytes;
        group->fifo.push_back(&stream);
      }
      stream.last_ingestion_time_ms = now;
      persisted_stream = stream.name;
      // Over the bounds: drop the oldest-ingested events first.
      while (!group->fifo.empty() && (group->fifo.size() > options.max_events_per_group ||
                                      group->bytes > options.max_bytes_per_group)) {
        Stream* victim = group->fifo.front();
        group->fifo.pop_front();
        const std::uint64_t bytes = victim->events.front().bytes();
        victim->events.pop_front();
        victim->stored_bytes -= bytes;
        group->bytes -= bytes;
        ++evicted;
      }
    }
    if (evicted != 0) {
      group->dropped.fetch_add(evicted, std::memory_order_relaxed);
      dropped_total.fetch_add(evicted, std::memory_order_relaxed);
    }
    written.fetch_add(count, std::memory_order_relaxed);
    if (persister) {
      persister->Push(Persister::Item{std::string(group_name), std::move(persisted_stream),
                                      std::move(persisted)});
    }
    return count;
  }
};

LogStore::LogStore() : LogStore(Options{}) {}

LogStore::LogStore(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (!impl_->options.log_dir.empty()) {
    impl_->persister = std::make_unique<Persister>(impl_->options);
  }
}

LogStore::~LogStore() = default;

std::size_t LogStore::AppendBatch(std::string_view group, std::string_view stream,
                                  std::span<const LogEventInput> events) {
  std::size_t total = 0;
  for (const LogEventInput& e : events) {
    total += e.message.size();
  }
  auto text = std::make_shared<std::string>();
  text->reserve(total);
  std::vector<PackedEvent> packed;
  packed.reserve(events.size());
  for (const LogEventInput& e : events) {
    packed.push_back({e.timestamp_ms, static_cast<std::uint32_t>(text->size()),
                      static_cast<std::uint32_t>(e.message.size())});
    text->append(e.message);
  }
  std::shared_ptr<const std::string> blob = std::move(text);
  return impl_->Append(group, stream, blob, packed.size(),
                       [&](std::size_t i) { return packed[i]; });
}

std::size_t LogStore::AppendBatch(std::string_view group, std::string_view stream,
                                  std::string&& packed_text, std::span<const PackedEvent> events) {
  std::shared_ptr<const std::string> blob =
      std::make_shared<const std::string>(std::move(packed_text));
  return impl_->Append(group, stream, blob, events.size(),
                       [&](std::size_t i) { return events[i]; });
}

StoreStatus LogStore::CreateGroup(std::string_view group) {
  std::unique_lock lock(impl_->groups_mu);
  if (impl_->groups.contains(group)) {
    return StoreStatus::kAlreadyExists;
  }
  auto created = std::make_shared<Group>();
  created->name = std::string(group);
  created->creation_time_ms = NowMillis();
  impl_->groups.emplace(std::string(group), std::move(created));
  return StoreStatus::kOk;
}

StoreStatus LogStore::DeleteGroup(std::string_view group) {
  std::unique_lock lock(impl_->groups_mu);
  auto it = impl_->groups.find(group);
  if (it == impl_->groups.end()) {
    return StoreStatus::kNoGroup;
  }
  impl_->groups.erase(it);  // readers holding the shared_ptr finish on the old group
  return StoreStatus::kOk;
}

StoreStatus LogStore::CreateStream(std::string_view group, std::string_view stream) {
  auto g = impl_->Find(group);
  if (!g) {
    return StoreStatus::kNoGroup;
  }
  std::lock_guard lock(g->mu);
  if (g->streams.contains(stream)) {
    return StoreStatus::kAlreadyExists;
  }
  Impl::StreamIn(*g, stream, NowMillis());
  return StoreStatus::kOk;
}

StoreStatus LogStore::DeleteStream(std::string_view group, std::string_view stream) {
  auto g = impl_->Find(group);
  if (!g) {
    return StoreStatus::kNoGroup;
  }
  std::lock_guard lock(g->mu);
  auto it = g->streams.find(stream);
  if (it == g->streams.end()) {
    return StoreStatus::kNoStream;
  }
  Stream* doomed = it->second.get();
  g->bytes -= doomed->stored_bytes;
  std::erase(g->fifo, doomed);  // rare: linear in the group's events
  g->streams.erase(it);
  return StoreStatus::kOk;
}

StoreStatus LogStore::SetRetention(std::string_view group, std::optional<std::int32_t> days) {
  auto g = impl_->Find(group);
  if (!g) {
    return StoreStatus::kNoGroup;
  }
  std::lock_guard lock(g->mu);
  g->retention_in_days = days;
  return StoreStatus::kOk;
}

bool LogStore::HasGroup(std::string_view group) const { return impl_->Find(group) != nullptr; }

std::vector<LogGroupInfo> LogStore::ListGroups(std::string_view prefix,
                                               std::string_view pattern) const {
  std::vector<std::shared_ptr<Group>> groups;
  {
    std::shared_lock lock(impl_->groups_mu);
    for (auto it = impl_->groups.lower_bound(prefix); it != impl_->groups.end(); ++it) {
      if (!it->first.starts_with(prefix)) {
        break;
      }
      if (pattern.empty() || it->first.find(pattern) != std::string::npos) {
        groups.push_back(it->second);
      }
    }
  }
  std::vector<LogGroupInfo> out;
  out.reserve(groups.size());
  for (const auto& g : groups) {
    LogGroupInfo info;
    info.name = g->name;
    info.creation_time_ms = g->creation_time_ms;
    info.dropped = g->dropped.load(std::memory_order_relaxed);
    std::lock_guard lock(g->mu);
    info.stored_bytes = g->bytes;
    info.stored_events = g->fifo.size();
    info.retention_in_days = g->retention_in_days;
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<std::vector<LogStreamInfo>> LogStore::ListStreams(std::string_view group) const {
  auto g = impl_->Find(group);
  if (!g) {
    return std::nullopt;
  }
  std::vector<LogStreamInfo> out;
  std::lock_guard lock(g->mu);
  out.reserve(g->streams.size());
  for (const auto& [name, s] : g->streams) {
    LogStreamInfo info;
    info.name = name;
    info.creation_time_ms = s->creation_time_ms;
    info.stored_bytes = s->stored_bytes;
    if (!s->events.empty()) {
      info.first_event_timestamp_ms = s->events.front().timestamp_ms;
      info.last_event_timestamp_ms = s->events.back().timestamp_ms;
    }
    if (s->last_ingestion_time_ms != 0) {
      info.last_ingestion_time_ms = s->last_ingestion_time_ms;
    }
    out.push_back(std::move(info));
  }
  return out;
}

namespace {

// The index of the first event with key > after (or timestamp >= start).
std::size_t FirstAfter(const std::deque<Slot>& events, std::int64_t start_ms,
                       const std::optional<EventKey>& after) {
  EventKey bound{start_ms, 0};
  bool inclusive = true;
  if (after && !(*after < bound)) {
    bound = *after;
    inclusive = false;
  }
  auto it = inclusive
                ? std::lower_bound(events.begin(), events.end(), bound,
                                   [](const Slot& s, const EventKey& k) { return s.key() < k; })
                : std::upper_bound(events.begin(), events.end(), bound,
                                   [](const EventKey& k, const Slot& s) { return k < s.key(); });
  return static_cast<std::size_t>(it - events.begin());
}

LogEventView ViewOf(const Slot& s, const std::string* stream_name) {
  return LogEventView{s.timestamp_ms, s.ingestion_time_ms, s.sequence, s.blob, s.offset,
                      s.length,       stream_name};
}

}  // namespace

StoreStatus LogStore::ReadStream(std::string_view group, std::string_view stream,
                                 const StreamQuery& query, LogEventRange& out) const {
  auto g = impl_->Find(group);
  if (!g) {
    return StoreStatus::kNoGroup;
  }
  std::lock_guard lock(g->mu);
  auto it = g->streams.find(stream);
  if (it == g->streams.end()) {
    return StoreStatus::kNoStream;
  }
  const Stream& s = *it->second;
  out.stream_names.push_back(s.name);
  const std::string* name = s.name.get();
  std::size_t begin = FirstAfter(s.events, query.start_ms, query.after);
  std::size_t end = begin;
  while (end < s.events.size() && s.events[end].timestamp_ms < query.end_ms &&
         (!query.before || s.events[end].key() < *query.before)) {
    ++end;
  }
  if (end - begin > query.limit) {
    if (query.from_head) {
      end = begin + query.limit;
    } else {
      begin = end - query.limit;
    }
  }
  out.events.reserve(out.events.size() + (end - begin));
  for (std::size_t i = begin; i < end; ++i) {
    out.events.push_back(ViewOf(s.events[i], name));
  }
  return StoreStatus::kOk;
}

bool LogStore::ReadGroupImpl(std::string_view group, SelectFn select, std::int64_t start_ms,
                             std::int64_t end_ms, std::optional<EventKey> after,
                             std::size_t scan_limit, LogEventRange& out,
                             std::size_t* streams_searched) const {
  auto g = impl_->Find(group);
  if (!g) {
    return false;
  }
  std::size_t searched = 0;
  {
    std::lock_guard lock(g->mu);
    for (const auto& [stream_name, s] : g->streams) {
      if (!select(stream_name)) {
        continue;
      }
      ++searched;
      out.stream_names.push_back(s->name);
      const std::string* name = s->name.get();
      // scan_limit + 1 from each stream: enough to know whether more remain after the merge.
      std::size_t taken = 0;
      for (std::size_t i = FirstAfter(s->events, start_ms, after);
           i < s->events.size() && s->events[i].timestamp_ms < end_ms && taken <= scan_limit;
           ++i, ++taken) {
        out.events.push_back(ViewOf(s->events[i], name));
      }
    }
  }
  std::sort(out.events.begin(), out.events.end(), [](const LogEventView& a, const LogEventView& b) {
    return EventKey{a.timestamp_ms, a.sequence} < EventKey{b.timestamp_ms, b.sequence};
  });
  out.truncated = out.events.size() > scan_limit;
  if (out.truncated) {
    out.events.resize(scan_limit);
  }
  if (streams_searched != nullptr) {
    *streams_searched = searched;
  }
  return true;
}

std::uint64_t LogStore::written() const { return impl_->written.load(std::memory_order_relaxed); }

std::uint64_t LogStore::dropped() const {
  return impl_->dropped_total.load(std::memory_order_relaxed);
}

std::uint64_t LogStore::dropped(std::string_view group) const {
  auto g = impl_->Find(group);
  return g ? g->dropped.load(std::memory_order_relaxed) : 0;
}

std::uint64_t LogStore::persist_dropped() const {
  return impl_->persister ? impl_->persister->dropped.load(std::memory_order_relaxed) : 0;
}

void LogStore::FlushPersistenceForTest() {
  if (impl_->persister) {
    impl_->persister->WaitIdle();
  }
}

std::string LogStore::SanitiseFileName(std::string_view group) {
  std::string out;
  out.reserve(group.size());
  for (const char c : group) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
    out += keep ? c : '_';
  }
  while (!out.empty() && out.front() == '.') {
    out.front() = '_';  // no hidden files, no ".."
  }
  return out.empty() ? std::string("_") : out;
}

}  // namespace stepd::logs

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

#include <pthread.h>

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

// Messages given as text (PutLogEvents), packed back to back.
class TextBatch final : public LogBatch {
 public:
  explicit TextBatch(std::span<const LogEventInput> events) {
    std::size_t total = 0;
    for (const LogEventInput& e : events) {
      total += e.message.size();
    }
    text_.reserve(total);
    events_.reserve(events.size());
    for (const LogEventInput& e : events) {
      events_.push_back({e.timestamp_ms, text_.size(), e.message.size()});
      text_.append(e.message);
    }
  }

  std::size_t size() const override { return events_.size(); }
  std::int64_t timestamp_ms(std::size_t i) const override { return events_[i].timestamp_ms; }
  std::uint64_t stored_bytes(std::size_t i) const override {
    return events_[i].length + kEventOverheadBytes;
  }
  std::string_view Message(std::size_t i, std::string& /*scratch*/) const override {
    return std::string_view(text_).substr(events_[i].offset, events_[i].length);
  }

 private:
  struct Event {
    std::int64_t timestamp_ms;
    std::size_t offset;
    std::size_t length;
  };
  std::string text_;
  std::vector<Event> events_;
};

// A batch in one stream and how many of its events the stream still holds. The events share
// this count (guarded by their group's mutex) rather than the batch's own reference count, which
// would cost two atomic operations per event.
struct StoredBatch {
  std::shared_ptr<const LogBatch> batch;
  std::uint32_t live_events;
};

struct Slot {
  std::int64_t timestamp_ms;
  std::int64_t ingestion_time_ms;
  std::uint64_t sequence;
  StoredBatch* batch;
  std::uint32_t index;
  std::uint32_t bytes;

  EventKey key() const { return {timestamp_ms, sequence}; }
};

// Drops one event's share of its batch; returns the StoredBatch to delete when it was the last.
StoredBatch* Unshare(const Slot& slot) {
  return --slot.batch->live_events == 0 ? slot.batch : nullptr;
}

// A pthread mutex of glibc's adaptive kind, which spins a little before sleeping. Every worker
// logging to a group takes the group's mutex once per execution, for a few hundred nanoseconds,
// so a worker that finds it taken would otherwise sleep and be woken (two system calls and a
// context switch) for a wait shorter than either.
class AdaptiveMutex {
 public:
  AdaptiveMutex() {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&mutex_, &attributes);
    pthread_mutexattr_destroy(&attributes);
  }
  AdaptiveMutex(const AdaptiveMutex&) = delete;
  AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;
  ~AdaptiveMutex() { pthread_mutex_destroy(&mutex_); }

  void lock() { pthread_mutex_lock(&mutex_); }
  void unlock() { pthread_mutex_unlock(&mutex_); }

 private:
  pthread_mutex_t mutex_;
};

}  // namespace

struct LogStore::Stream {
  std::shared_ptr<const std::string> name;
  std::int64_t creation_time_ms = 0;
  std::int64_t last_ingestion_time_ms = 0;
  std::uint64_t stored_bytes = 0;
  std::deque<Slot> events;  // sorted by key()

  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    for (const Slot& slot : events) {
      delete Unshare(slot);
    }
  }
};

struct LogStore::Group {
  std::string name;
  std::int64_t creation_time_ms = 0;
  // `events` consecutive stored events, in ingestion order, are in `stream`.
  struct StreamRun {
    Stream* stream;
    std::uint64_t events;
  };

  mutable AdaptiveMutex mu;
  // Everything below is guarded by mu.
  std::optional<std::int32_t> retention_in_days;
  std::map<std::string, std::unique_ptr<Stream>, std::less<>> streams;
  std::deque<StreamRun> fifo;  // the streams of the stored events, in ingestion order
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  std::uint64_t next_sequence = 1;
  std::uint64_t written = 0;
  std::uint64_t dropped = 0;
};

// The background file writer.
struct LogStore::Persister {
  // One appended batch: its event i has sequence first_sequence + i.
  struct Item {
    std::string group;
    std::shared_ptr<const std::string> stream;
    std::shared_ptr<const LogBatch> batch;
    std::int64_t ingestion_time_ms = 0;
    std::uint64_t first_sequence = 0;
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
    std::string message;
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
      Write(item, line, message);
      {
        std::lock_guard lock(mu);
        busy = false;
        if (queue.empty()) {
          idle.notify_all();
        }
      }
    }
  }

  void Write(const Item& item, std::string& line, std::string& message) {
    File& f = files[item.group];
    const std::filesystem::path path =
        std::filesystem::path(dir) / (SanitiseFileName(item.group) + ".jsonl");
    for (std::size_t i = 0; i < item.batch->size(); ++i) {
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
      line += std::to_string(item.batch->timestamp_ms(i));
      line += R"(,"ingestionTime":)";
      line += std::to_string(item.ingestion_time_ms);
      line += R"(,"eventId":")";
      line += std::to_string(item.first_sequence + i);
      line += R"(","message":)";
      AppendJsonString(item.batch->Message(i, message), line);
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
  const std::uint64_t id = NextStoreId();
  mutable std::shared_mutex groups_mu;
  std::map<std::string, std::shared_ptr<Group>, std::less<>> groups;  // guarded by groups_mu
  std::atomic<std::uint64_t> groups_deleted{0};   // bumped after each DeleteGroup
  std::atomic<std::uint64_t> deleted_written{0};  // the counters of deleted groups
  std::atomic<std::uint64_t> deleted_dropped{0};
  std::unique_ptr<Persister> persister;

  static std::uint64_t NextStoreId() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

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

  // The group an append goes to. Each thread remembers the last one it used, so that executions
  // logging to one group do not each take groups_mu, whose every reader writes to one cache
  // line all workers share. Deleting any group makes the threads look again. Until then a thread
  // keeps its last group (of any store) alive.
  Group& GroupForAppend(std::string_view name) {
    struct Remembered {
      std::uint64_t store_id = 0;
      std::uint64_t groups_deleted = 0;
      std::shared_ptr<Group> group;
    };
    thread_local Remembered last;
    const std::uint64_t deleted = groups_deleted.load(std::memory_order_acquire);
    if (last.store_id != id || last.groups_deleted != deleted || last.group->name != name) {
      last = {id, deleted, FindOrCreate(name)};
    }
    return *last.group;
  }

  // The sum of `counter` over the groups there are.
  template <typename Counter>
  std::uint64_t Total(Counter counter) const {
    std::uint64_t total = 0;
    std::shared_lock lock(groups_mu);
    for (const auto& [name, group] : groups) {
      std::lock_guard group_lock(group->mu);
      total += counter(*group);
    }
    return total;
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

  // Every worker logging to a group takes its mutex once per execution: the events are made
  // before the lock and the evicted ones' batches released after it.
  std::size_t Append(std::string_view group_name, std::string_view stream_name,
                     std::shared_ptr<const LogBatch> batch) {
    const std::size_t count = batch->size();
    if (count == 0) {
      return 0;
    }
    const std::int64_t now = NowMillis();
    Group& group = GroupForAppend(group_name);
    auto stored =
        std::make_unique<StoredBatch>(StoredBatch{batch, static_cast<std::uint32_t>(count)});
    thread_local std::vector<Slot> incoming;
    thread_local std::vector<std::unique_ptr<StoredBatch>> released;
    incoming.clear();
    for (std::size_t i = 0; i < count; ++i) {
      const auto bytes =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(batch->stored_bytes(i), UINT32_MAX));
      incoming.push_back(
          {batch->timestamp_ms(i), now, 0, stored.get(), static_cast<std::uint32_t>(i), bytes});
    }
    std::shared_ptr<const std::string> stream_name_owner;
    std::uint64_t first_sequence = 0;
    {
      std::lock_guard lock(group.mu);
      Stream& stream = StreamIn(group, stream_name, now);
      stored.release();  // owned by its events from here on
      first_sequence = group.next_sequence;
      group.next_sequence += count;
      for (Slot& slot : incoming) {
        slot.sequence = first_sequence + slot.index;
        if (stream.events.empty() || stream.events.back().key() < slot.key()) {
          stream.events.push_back(slot);
        } else {
          auto at = std::upper_bound(stream.events.begin(), stream.events.end(), slot.key(),
                                     [](const EventKey& k, const Slot& s) { return k < s.key(); });
          stream.events.insert(at, slot);
        }
        stream.stored_bytes += slot.bytes;
        group.bytes += slot.bytes;
      }
      if (!group.fifo.empty() && group.fifo.back().stream == &stream) {
        group.fifo.back().events += count;
      } else {
        group.fifo.push_back({&stream, count});
      }
      group.events += count;
      group.written += count;
      stream.last_ingestion_time_ms = now;
      stream_name_owner = stream.name;
      // Over the bounds: drop the oldest-ingested events first.
      while (group.events > 0 && (group.events > options.max_events_per_group ||
                                  group.bytes > options.max_bytes_per_group)) {
        Group::StreamRun& run = group.fifo.front();
        Stream* victim = run.stream;
        if (--run.events == 0) {
          group.fifo.pop_front();
        }
        const Slot& oldest = victim->events.front();
        victim->stored_bytes -= oldest.bytes;
        group.bytes -= oldest.bytes;
        if (StoredBatch* done = Unshare(oldest)) {
          released.emplace_back(done);
        }
        victim->events.pop_front();
        --group.events;
        ++group.dropped;
      }
    }
    released.clear();
    if (persister) {
      persister->Push(Persister::Item{std::string(group_name), std::move(stream_name_owner),
                                      std::move(batch), now, first_sequence});
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
  return impl_->Append(group, stream, std::make_shared<const TextBatch>(events));
}

std::size_t LogStore::AppendBatch(std::string_view group, std::string_view stream,
                                  std::shared_ptr<const LogBatch> batch) {
  return impl_->Append(group, stream, std::move(batch));
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
  {
    std::lock_guard group_lock(it->second->mu);
    impl_->deleted_written.fetch_add(it->second->written, std::memory_order_relaxed);
    impl_->deleted_dropped.fetch_add(it->second->dropped, std::memory_order_relaxed);
  }
  impl_->groups.erase(it);  // readers holding the shared_ptr finish on the old group
  impl_->groups_deleted.fetch_add(1, std::memory_order_release);
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
  g->events -= doomed->events.size();
  std::erase_if(g->fifo, [doomed](const Group::StreamRun& run) { return run.stream == doomed; });
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
    std::lock_guard lock(g->mu);
    info.dropped = g->dropped;
    info.stored_bytes = g->bytes;
    info.stored_events = g->events;
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
  return LogEventView{s.timestamp_ms, s.ingestion_time_ms, s.sequence, s.batch->batch,
                      s.index,        stream_name};
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

std::uint64_t LogStore::written() const {
  return impl_->deleted_written.load(std::memory_order_relaxed) +
         impl_->Total([](const Group& g) { return g.written; });
}

std::uint64_t LogStore::dropped() const {
  return impl_->deleted_dropped.load(std::memory_order_relaxed) +
         impl_->Total([](const Group& g) { return g.dropped; });
}

std::uint64_t LogStore::dropped(std::string_view group) const {
  auto g = impl_->Find(group);
  if (!g) {
    return 0;
  }
  std::lock_guard lock(g->mu);
  return g->dropped;
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

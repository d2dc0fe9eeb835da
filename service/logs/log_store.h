#pragma once
// LogStore: an in-memory CloudWatch Logs look-alike — log groups, their log streams and the
// events in them — bounded per group, optionally mirrored to JSON-lines files.
//
// Thread-safe. Design, chosen so that logging never holds up an execution:
//  - A batch (all the events one execution produced) is one immutable LogBatch, built before
//    any lock is taken; the stored events refer to it. An execution therefore costs one short
//    critical section on its group's mutex, and its messages are rendered only when read.
//  - The group map is behind a shared_mutex (read-locked to find a group; write-locked only to
//    create or delete one); each thread remembers the group it last appended to, until a group
//    is deleted. Each group has its own mutex, which spins briefly before sleeping, and its own
//    counters and sequence numbers under it, so executions logging to different groups never
//    meet, readers of one group never block writers of another, and an append touches no state
//    that other groups' appends write.
//  - Readers (GetLogEvents, FilterLogEvents) copy the batch references they need under the
//    group's mutex (a reference count each, no text copy) and render and match messages after
//    releasing it.
//  - Events within a stream are kept sorted by (timestamp, sequence number); appends of
//    in-order events go to the back in O(1).
//  - Each group is bounded by max_events and max_bytes (LogBatch::stored_bytes: for text,
//    message bytes + 26 per event, as CloudWatch counts them). When an append overflows the
//    bound, the group's OLDEST-INGESTED events are dropped first and counted in dropped(); a
//    batch's memory goes when its last event does. A stream that loses all its events stays.
//  - AppendBatch creates the group and the stream when missing (as if CreateLogGroup /
//    CreateLogStream had been called): executions may log to a group nobody created.
//  - With Options::log_dir set, every appended event is also written as one JSON line to
//    <log_dir>/<sanitised group name>.jsonl by a background thread. The hand-off is a bounded
//    queue: when it is full the batch is dropped from the files (not from memory) and counted
//    in persist_dropped(). Files rotate at rotate_bytes, keeping keep_files old ones
//    (<name>.jsonl.1 is the newest old one). Files are write-only: nothing is loaded at start.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "service/logs/log_batch.h"

namespace stepd::logs {

// One event to append; `message` need only live for the call.
struct LogEventInput {
  std::int64_t timestamp_ms = 0;
  std::string_view message;
};

// A stored event as readers see it; it shares ownership of the batch its message is in.
struct LogEventView {
  std::int64_t timestamp_ms = 0;
  std::int64_t ingestion_time_ms = 0;
  std::uint64_t sequence = 0;  // unique in its group, increasing in ingestion order: the eventId
  std::shared_ptr<const LogBatch> batch;
  std::uint32_t index = 0;                   // in the batch
  const std::string* stream_name = nullptr;  // valid while the LogEventRange that holds it lives

  // The message, valid while this view lives and `scratch` is unchanged.
  std::string_view message(std::string& scratch) const { return batch->Message(index, scratch); }
};

struct LogStreamInfo {
  std::string name;
  std::int64_t creation_time_ms = 0;
  std::optional<std::int64_t> first_event_timestamp_ms;
  std::optional<std::int64_t> last_event_timestamp_ms;
  std::optional<std::int64_t> last_ingestion_time_ms;
  std::uint64_t stored_bytes = 0;
};

struct LogGroupInfo {
  std::string name;
  std::int64_t creation_time_ms = 0;
  std::uint64_t stored_bytes = 0;
  std::uint64_t stored_events = 0;
  std::uint64_t dropped = 0;
  std::optional<std::int32_t> retention_in_days;
};

// The position of an event in a stream's order; tokens encode it.
struct EventKey {
  std::int64_t timestamp_ms = 0;
  std::uint64_t sequence = 0;
  friend bool operator<(const EventKey& a, const EventKey& b) {
    return a.timestamp_ms != b.timestamp_ms ? a.timestamp_ms < b.timestamp_ms
                                            : a.sequence < b.sequence;
  }
  friend bool operator==(const EventKey& a, const EventKey& b) = default;
};

// Events copied out of the store, with the stream names they point to.
struct LogEventRange {
  std::vector<std::shared_ptr<const std::string>> stream_names;  // keeps the names alive
  std::vector<LogEventView> events;
  bool truncated = false;  // ReadGroup: more candidates remain after the last one
};

enum class StoreStatus : std::uint8_t { kOk, kNoGroup, kNoStream, kAlreadyExists };

class LogStore {
 public:
  struct Options {
    std::size_t max_events_per_group = 1'000'000;
    std::size_t max_bytes_per_group = 256u * 1024 * 1024;
    std::string log_dir;  // empty: memory only
    std::size_t rotate_bytes = 64u * 1024 * 1024;
    std::size_t keep_files = 3;
    std::size_t persist_queue_batches = 4096;  // the background writer's queue bound
  };

  LogStore();
  explicit LogStore(Options options);
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;
  ~LogStore();  // drains the persistence queue and joins the writer thread

  // --- writing ---------------------------------------------------------------------------------
  // Appends events (in any order; normally chronological), creating the group and the stream
  // when missing. Ingestion time is now. Returns the number of events stored.
  std::size_t AppendBatch(std::string_view group, std::string_view stream,
                          std::span<const LogEventInput> events);
  // Keeps `batch` itself (normally an execution's ExecutionLogBatch).
  std::size_t AppendBatch(std::string_view group, std::string_view stream,
                          std::shared_ptr<const LogBatch> batch);

  // --- administration ------------------------------------------------------------------------
  StoreStatus CreateGroup(std::string_view group);
  StoreStatus DeleteGroup(std::string_view group);
  StoreStatus CreateStream(std::string_view group, std::string_view stream);
  StoreStatus DeleteStream(std::string_view group, std::string_view stream);
  StoreStatus SetRetention(std::string_view group, std::optional<std::int32_t> days);

  // --- reading -------------------------------------------------------------------------------
  bool HasGroup(std::string_view group) const;
  // Groups sorted by name whose name starts with `prefix` (or contains `pattern` when set).
  std::vector<LogGroupInfo> ListGroups(std::string_view prefix,
                                       std::string_view pattern = {}) const;
  // Streams of `group` sorted by name (nullopt: no such group).
  std::optional<std::vector<LogStreamInfo>> ListStreams(std::string_view group) const;

  // The events of one stream with start_ms <= timestamp < end_ms, in key order. With `after`
  // set only keys > *after; with `before` set only keys < *before. `limit` keeps the first
  // (from_head) or last (!from_head) events of that range. status: kNoGroup / kNoStream.
  struct StreamQuery {
    std::int64_t start_ms = INT64_MIN;
    std::int64_t end_ms = INT64_MAX;
    std::optional<EventKey> after;
    std::optional<EventKey> before;
    std::size_t limit = 10000;
    bool from_head = true;
  };
  StoreStatus ReadStream(std::string_view group, std::string_view stream, const StreamQuery& query,
                         LogEventRange& out) const;

  // Candidate events of the streams `select` accepts (by name), start_ms <= timestamp < end_ms,
  // keys > after, in key order across streams (interleaved), at most `scan_limit` of them. The
  // caller filters them further. Returns false when the group does not exist.
  template <typename Select>
  bool ReadGroup(std::string_view group, Select&& select, std::int64_t start_ms,
                 std::int64_t end_ms, std::optional<EventKey> after, std::size_t scan_limit,
                 LogEventRange& out, std::size_t* streams_searched = nullptr) const {
    return ReadGroupImpl(group, SelectFn(select), start_ms, end_ms, after, scan_limit, out,
                         streams_searched);
  }

  // --- counters ------------------------------------------------------------------------------
  std::uint64_t written() const;
  std::uint64_t dropped() const;  // events evicted by the bounds, all groups
  std::uint64_t dropped(std::string_view group) const;
  std::uint64_t persist_dropped() const;  // batches the file writer had no room for
  // Blocks until the background writer has written everything queued so far (tests).
  void FlushPersistenceForTest();

  static std::string SanitiseFileName(std::string_view group);

 private:
  struct Group;
  struct Stream;
  struct Persister;
  struct Impl;

  // A non-owning function reference, so ReadGroup's template does not spread.
  class SelectFn {
   public:
    template <typename F>
    explicit SelectFn(F& f)
        : object_(&f), call_([](const void* o, std::string_view name) {
            return (*static_cast<const F*>(o))(name);
          }) {}
    bool operator()(std::string_view name) const { return call_(object_, name); }

   private:
    const void* object_;
    bool (*call_)(const void*, std::string_view);
  };

  bool ReadGroupImpl(std::string_view group, SelectFn select, std::int64_t start_ms,
                     std::int64_t end_ms, std::optional<EventKey> after, std::size_t scan_limit,
                     LogEventRange& out, std::size_t* streams_searched) const;

  std::unique_ptr<Impl> impl_;
};

// Milliseconds since the epoch, from the system clock.
std::int64_t NowMillis();

}  // namespace stepd::logs

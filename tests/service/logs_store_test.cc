#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "service/logs/log_store.h"

namespace stepd::logs {
namespace {

std::vector<std::string> Messages(const LogEventRange& range) {
  std::vector<std::string> out;
  std::string scratch;
  for (const LogEventView& e : range.events) {
    out.emplace_back(e.message(scratch));
  }
  return out;
}

TEST(LogStoreTest, AppendBatchCreatesGroupAndStreamAndKeepsOrder) {
  LogStore store;
  const LogEventInput events[] = {{100, "a"}, {200, "b"}, {150, "c"}};
  EXPECT_EQ(store.AppendBatch("g", "s", events), 3U);
  EXPECT_TRUE(store.HasGroup("g"));
  EXPECT_EQ(store.written(), 3U);
  LogEventRange range;
  ASSERT_EQ(store.ReadStream("g", "s", {}, range), StoreStatus::kOk);
  EXPECT_EQ(Messages(range), (std::vector<std::string>{"a", "c", "b"}));  // by timestamp
  EXPECT_EQ(*range.events[0].stream_name, "s");
  EXPECT_GT(range.events[0].ingestion_time_ms, 0);
  EXPECT_NE(range.events[0].sequence, range.events[1].sequence);
}

// A batch that renders its messages only when they are read, and counts how often it does.
class RenderingBatch final : public LogBatch {
 public:
  std::size_t size() const override { return 2; }
  std::int64_t timestamp_ms(std::size_t i) const override { return static_cast<std::int64_t>(i); }
  std::uint64_t stored_bytes(std::size_t /*i*/) const override { return 100; }
  std::string_view Message(std::size_t i, std::string& scratch) const override {
    ++renders;
    scratch = "rendered " + std::to_string(i);
    return scratch;
  }
  mutable int renders = 0;
};

TEST(LogStoreTest, KeepsABatchAsItIsAndRendersItWhenRead) {
  LogStore store;
  auto batch = std::make_shared<RenderingBatch>();
  EXPECT_EQ(store.AppendBatch("g", "s", batch), 2U);
  EXPECT_EQ(batch->renders, 0);
  EXPECT_EQ(store.ListGroups("g")[0].stored_bytes, 200U);  // as the batch counts them
  LogEventRange range;
  ASSERT_EQ(store.ReadStream("g", "s", {}, range), StoreStatus::kOk);
  EXPECT_EQ(Messages(range), (std::vector<std::string>{"rendered 0", "rendered 1"}));
  EXPECT_EQ(batch->renders, 2);
}

TEST(LogStoreTest, ReadStreamLimitsFromHeadOrTailAndByTime) {
  LogStore store;
  std::vector<std::string> texts;
  std::vector<LogEventInput> events;
  for (int i = 0; i < 10; ++i) {
    texts.push_back("m" + std::to_string(i));
  }
  for (int i = 0; i < 10; ++i) {
    events.push_back({i * 10, texts[static_cast<std::size_t>(i)]});
  }
  store.AppendBatch("g", "s", events);
  LogStore::StreamQuery query;
  query.limit = 3;
  query.from_head = true;
  LogEventRange head;
  ASSERT_EQ(store.ReadStream("g", "s", query, head), StoreStatus::kOk);
  EXPECT_EQ(Messages(head), (std::vector<std::string>{"m0", "m1", "m2"}));
  query.from_head = false;
  LogEventRange tail;
  ASSERT_EQ(store.ReadStream("g", "s", query, tail), StoreStatus::kOk);
  EXPECT_EQ(Messages(tail), (std::vector<std::string>{"m7", "m8", "m9"}));
  LogStore::StreamQuery window;
  window.start_ms = 20;
  window.end_ms = 50;  // exclusive
  LogEventRange mid;
  ASSERT_EQ(store.ReadStream("g", "s", window, mid), StoreStatus::kOk);
  EXPECT_EQ(Messages(mid), (std::vector<std::string>{"m2", "m3", "m4"}));
  LogStore::StreamQuery after;
  after.after = EventKey{head.events.back().timestamp_ms, head.events.back().sequence};
  after.limit = 2;
  LogEventRange next;
  ASSERT_EQ(store.ReadStream("g", "s", after, next), StoreStatus::kOk);
  EXPECT_EQ(Messages(next), (std::vector<std::string>{"m3", "m4"}));
  LogEventRange missing;
  EXPECT_EQ(store.ReadStream("g", "nope", {}, missing), StoreStatus::kNoStream);
  EXPECT_EQ(store.ReadStream("nope", "s", {}, missing), StoreStatus::kNoGroup);
}

TEST(LogStoreTest, BoundsDropOldestEventsFirstAndCountThem) {
  LogStore::Options options;
  options.max_events_per_group = 3;
  LogStore store(options);
  const LogEventInput first[] = {{1, "a"}, {2, "b"}};
  const LogEventInput second[] = {{3, "c"}, {4, "d"}};
  store.AppendBatch("g", "s1", first);
  store.AppendBatch("g", "s2", second);
  EXPECT_EQ(store.dropped("g"), 1U);
  EXPECT_EQ(store.dropped(), 1U);
  EXPECT_EQ(store.written(), 4U);
  LogEventRange s1;
  ASSERT_EQ(store.ReadStream("g", "s1", {}, s1), StoreStatus::kOk);
  EXPECT_EQ(Messages(s1), (std::vector<std::string>{"b"}));

  LogStore::Options by_bytes;
  by_bytes.max_bytes_per_group = 2 * (26 + 4);  // two 4-byte events
  LogStore small(by_bytes);
  const LogEventInput events[] = {{1, "aaaa"}, {2, "bbbb"}, {3, "cccc"}};
  small.AppendBatch("g", "s", events);
  EXPECT_EQ(small.dropped("g"), 1U);
  LogEventRange kept;
  ASSERT_EQ(small.ReadStream("g", "s", {}, kept), StoreStatus::kOk);
  EXPECT_EQ(Messages(kept), (std::vector<std::string>{"bbbb", "cccc"}));
  const auto groups = small.ListGroups("");
  ASSERT_EQ(groups.size(), 1U);
  EXPECT_EQ(groups[0].stored_bytes, 60U);
  EXPECT_EQ(groups[0].stored_events, 2U);
}

TEST(LogStoreTest, GroupsAndStreamsAdministration) {
  LogStore store;
  EXPECT_EQ(store.CreateGroup("/b"), StoreStatus::kOk);
  EXPECT_EQ(store.CreateGroup("/a/x"), StoreStatus::kOk);
  EXPECT_EQ(store.CreateGroup("/a/x"), StoreStatus::kAlreadyExists);
  EXPECT_EQ(store.CreateStream("/a/x", "s"), StoreStatus::kOk);
  EXPECT_EQ(store.CreateStream("/a/x", "s"), StoreStatus::kAlreadyExists);
  EXPECT_EQ(store.CreateStream("/none", "s"), StoreStatus::kNoGroup);
  const auto all = store.ListGroups("");
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].name, "/a/x");
  EXPECT_EQ(store.ListGroups("/a").size(), 1U);
  EXPECT_EQ(store.ListGroups("", "b").size(), 1U);
  const LogEventInput events[] = {{5, "x"}};
  store.AppendBatch("/a/x", "s", events);
  auto streams = store.ListStreams("/a/x");
  ASSERT_TRUE(streams.has_value());
  ASSERT_EQ(streams->size(), 1U);
  EXPECT_EQ((*streams)[0].first_event_timestamp_ms, 5);
  EXPECT_EQ((*streams)[0].stored_bytes, 27U);
  EXPECT_EQ(store.DeleteStream("/a/x", "s"), StoreStatus::kOk);
  EXPECT_EQ(store.DeleteStream("/a/x", "s"), StoreStatus::kNoStream);
  EXPECT_EQ(store.ListGroups("/a")[0].stored_bytes, 0U);
  EXPECT_EQ(store.DeleteGroup("/a/x"), StoreStatus::kOk);
  EXPECT_EQ(store.DeleteGroup("/a/x"), StoreStatus::kNoGroup);
  EXPECT_FALSE(store.ListStreams("/a/x").has_value());
}

TEST(LogStoreTest, ReadGroupInterleavesStreamsAndReportsTruncation) {
  LogStore store;
  const LogEventInput a[] = {{1, "a1"}, {3, "a3"}, {5, "a5"}};
  const LogEventInput b[] = {{2, "b2"}, {4, "b4"}};
  store.AppendBatch("g", "a", a);
  store.AppendBatch("g", "b", b);
  auto all = [](std::string_view) { return true; };
  LogEventRange range;
  std::size_t searched = 0;
  ASSERT_TRUE(store.ReadGroup("g", all, INT64_MIN, INT64_MAX, std::nullopt, 3, range, &searched));
  EXPECT_EQ(Messages(range), (std::vector<std::string>{"a1", "b2", "a3"}));
  EXPECT_TRUE(range.truncated);
  EXPECT_EQ(searched, 2U);
  LogEventRange rest;
  const EventKey after{range.events.back().timestamp_ms, range.events.back().sequence};
  ASSERT_TRUE(store.ReadGroup("g", all, INT64_MIN, INT64_MAX, after, 3, rest));
  EXPECT_EQ(Messages(rest), (std::vector<std::string>{"b4", "a5"}));
  EXPECT_FALSE(rest.truncated);
  auto only_b = [](std::string_view name) { return name == "b"; };
  LogEventRange bs;
  ASSERT_TRUE(store.ReadGroup("g", only_b, INT64_MIN, INT64_MAX, std::nullopt, 10, bs));
  EXPECT_EQ(Messages(bs), (std::vector<std::string>{"b2", "b4"}));
  LogEventRange none;
  EXPECT_FALSE(store.ReadGroup("missing", all, 0, 1, std::nullopt, 10, none));
}

TEST(LogStoreTest, EventsOutliveTheirEviction) {
  LogStore::Options options;
  options.max_events_per_group = 1;
  LogStore store(options);
  const LogEventInput first[] = {{1, "kept by the reader"}};
  store.AppendBatch("g", "s", first);
  LogEventRange range;
  ASSERT_EQ(store.ReadStream("g", "s", {}, range), StoreStatus::kOk);
  const LogEventInput second[] = {{2, "new"}};
  store.AppendBatch("g", "s", second);
  std::string scratch;
  EXPECT_EQ(range.events[0].message(scratch), "kept by the reader");
}

TEST(LogStoreTest, ConcurrentAppendsAreAllCounted) {
  LogStore store;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      const std::string stream = "s" + std::to_string(t);
      for (int i = 0; i < 500; ++i) {
        const LogEventInput events[] = {{i, "x"}, {i, "y"}};
        store.AppendBatch(t % 2 == 0 ? "even" : "odd", stream, events);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(store.written(), 4000U);
  EXPECT_EQ(store.ListGroups("")[0].stored_events, 2000U);
}

TEST(LogStoreTest, PersistsJsonLinesAndRotates) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("stepd_logs_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    LogStore::Options options;
    options.log_dir = dir.string();
    options.rotate_bytes = 400;
    options.keep_files = 2;
    LogStore store(options);
    for (int i = 0; i < 20; ++i) {
      const LogEventInput events[] = {{1000 + i, "line \"quoted\""}};
      store.AppendBatch("/aws/vendedlogs/states/demo", "s", events);
    }
    store.FlushPersistenceForTest();
    EXPECT_EQ(store.persist_dropped(), 0U);
  }
  EXPECT_EQ(LogStore::SanitiseFileName("/aws/vendedlogs/states/demo"),
            "_aws_vendedlogs_states_demo");
  const auto base = dir / "_aws_vendedlogs_states_demo.jsonl";
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(base.string() + ".1")));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(base.string() + ".2")));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(base.string() + ".3")));
  std::ifstream in(base.string() + ".1");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(line.find(R"("logStreamName":"s")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("message":"line \"quoted\"")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("timestamp":10)"), std::string::npos) << line;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace stepd::logs

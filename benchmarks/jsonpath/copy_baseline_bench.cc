// large_payload end to end: stepd against the copying baseline the speed claim is made against.
//
// The baseline is what an engine that copies state data does (rapidjson, a fast DOM): every
// state deep-copies its whole input, reads its fields as deep copies and merges its result back
// as a deep copy, so the 200 KB document is copied once per state. stepd shares the parsed
// input between states and copies only the small results. The end_to_end pair parses the input
// text and serialises the output on every iteration, as a server does; the states_only pair
// starts from the parsed input, to show the engines apart from their parsers.
// benchmarks/compare.py reports both ratios.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "benchmarks/support/allocation_scope.h"
#include "benchmarks/support/workload.h"
#include "jsonpath/document.h"
#include "jsonpath/value.h"

namespace stepd {
namespace {

using Json = rapidjson::Document;
using JsonPointer = rapidjson::Pointer;

// Every path the definition reads, parsed once as a compiled definition would hold them.
struct Paths {
  JsonPointer header{"/header"};
  JsonPointer export_id{"/exportId"};
  JsonPointer created_at{"/createdAt"};
  JsonPointer source{"/source"};
  JsonPointer customer_id{"/customer/id"};
  JsonPointer customer_tier{"/customer/tier"};
  JsonPointer ship_to{"/customer/addresses/1/city"};
  JsonPointer country{"/customer/addresses/0/country"};
  JsonPointer lines{"/lines"};
  JsonPointer first_sku{"/lines/0/sku"};
  JsonPointer last_line{"/lines/699"};
  JsonPointer sample_skus[3] = {JsonPointer("/lines/10/sku"), JsonPointer("/lines/11/sku"),
                                JsonPointer("/lines/12/sku")};
  JsonPointer events{"/events"};
  JsonPointer first_type{"/events/0/type"};
  JsonPointer last_ts{"/events/299/ts"};
  JsonPointer attachment_name{"/attachments/0/name"};
  JsonPointer attachment_size{"/attachments/0/sizeBytes"};
  JsonPointer ctx{"/ctx"};
  JsonPointer ctx_customer{"/ctx/customer"};
  JsonPointer ctx_customer_tier{"/ctx/customer/tier"};
  JsonPointer ctx_routing{"/ctx/routing"};
  JsonPointer ctx_lines{"/ctx/lines"};
  JsonPointer ctx_lines_count{"/ctx/lines/count"};
  JsonPointer ctx_events{"/ctx/events"};
};

const rapidjson::Value& At(const JsonPointer& path, const rapidjson::Value& root) {
  static const rapidjson::Value kNull;
  const rapidjson::Value* found = path.Get(root);
  return found != nullptr ? *found : kNull;
}

Json CopyOf(const rapidjson::Value& value) {
  Json copy;
  copy.CopyFrom(value, copy.GetAllocator());
  return copy;
}

// Adds a deep copy of `value` to the object `to` under the (static) `key`.
void AddCopy(Json& to, const char* key, const rapidjson::Value& value) {
  to.AddMember(rapidjson::StringRef(key), rapidjson::Value(value, to.GetAllocator()),
               to.GetAllocator());
}

// ResultPath: a deep copy of `result` placed into the state data at `path`.
void MergeCopy(const JsonPointer& path, Json& data, const rapidjson::Value& result) {
  path.Set(data, result);
}

std::size_t ArrayLength(const rapidjson::Value& value) {
  return value.IsArray() ? value.Size() : 0;
}

// One execution of large_payload by a copying engine on the parsed `execution_input`,
// serialised into `out`.
bool RunCopyingStates(const Json& execution_input, const Paths& p, rapidjson::StringBuffer& out) {
  Json data = CopyOf(execution_input);  // PickHeader's copy of its input
  {  // PickHeader: InputPath $.header, Parameters, ResultPath $.ctx
    const Json effective = CopyOf(At(p.header, data));
    Json result(rapidjson::kObjectType);
    AddCopy(result, "exportId", At(p.export_id, effective));
    AddCopy(result, "createdAt", At(p.created_at, effective));
    AddCopy(result, "source", At(p.source, effective));
    MergeCopy(p.ctx, data, result);
  }
  {  // PickCustomer: Parameters, ResultPath $.ctx.customer
    Json input = CopyOf(data);
    Json result(rapidjson::kObjectType);
    AddCopy(result, "id", At(p.customer_id, input));
    AddCopy(result, "tier", At(p.customer_tier, input));
    AddCopy(result, "shipTo", At(p.ship_to, input));
    AddCopy(result, "country", At(p.country, input));
    MergeCopy(p.ctx_customer, input, result);
    data = std::move(input);
  }
  bool platinum = false;
  {  // TierRoute (Choice)
    const Json input = CopyOf(data);
    const rapidjson::Value& tier = At(p.ctx_customer_tier, input);
    platinum = tier.IsString() && tier == "platinum";
  }
  {  // Priority or Standard: Result, ResultPath $.ctx.routing
    Json input = CopyOf(data);
    Json result(rapidjson::kObjectType);
    result.AddMember("queue", rapidjson::StringRef(platinum ? "priority" : "standard"),
                     result.GetAllocator());
    result.AddMember("slaHours", platinum ? 4 : 48, result.GetAllocator());
    MergeCopy(p.ctx_routing, input, result);
    data = std::move(input);
  }
  {  // PickLines: Parameters with intrinsics and a slice, ResultPath $.ctx.lines
    Json input = CopyOf(data);
    Json result(rapidjson::kObjectType);
    auto& allocator = result.GetAllocator();
    result.AddMember("count", static_cast<std::uint64_t>(ArrayLength(At(p.lines, input))),
                     allocator);
    AddCopy(result, "firstSku", At(p.first_sku, input));
    AddCopy(result, "lastLine", At(p.last_line, input));
    rapidjson::Value skus(rapidjson::kArrayType);
    for (const JsonPointer& sku : p.sample_skus) {
      skus.PushBack(rapidjson::Value(At(sku, input), allocator), allocator);
    }
    result.AddMember("sampleSkus", skus, allocator);
    MergeCopy(p.ctx_lines, input, result);
    data = std::move(input);
  }
  {  // PickEvents: Parameters, ResultPath $.ctx.events
    Json input = CopyOf(data);
    Json result(rapidjson::kObjectType);
    result.AddMember("count", static_cast<std::uint64_t>(ArrayLength(At(p.events, input))),
                     result.GetAllocator());
    AddCopy(result, "firstType", At(p.first_type, input));
    AddCopy(result, "lastTs", At(p.last_ts, input));
    AddCopy(result, "attachment", At(p.attachment_name, input));
    MergeCopy(p.ctx_events, input, result);
    data = std::move(input);
  }
  {  // CheckSize (Choice): both branches lead to Summarize, but the engine still evaluates it
    const Json input = CopyOf(data);
    const rapidjson::Value& count = At(p.ctx_lines_count, input);
    const rapidjson::Value& size = At(p.attachment_size, input);
    benchmark::DoNotOptimize(count.IsNumber() && count.GetDouble() > 500 && size.IsNumber() &&
                             size.GetDouble() >= 1024);
  }
  // Summarize: OutputPath $.ctx, then the output is serialised.
  const Json input = CopyOf(data);
  const Json output = CopyOf(At(p.ctx, input));
  out.Clear();
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  return output.Accept(writer);
}

bool MatchesExpected(std::string_view output) {
  const std::optional<std::string> expected_text =
      bench::ReadWorkloadFile("large_payload", "expected_output.json");
  if (!expected_text) {
    return false;
  }
  Document expected_document;
  Document actual_document;
  const Result<Value> expected = expected_document.Parse(*expected_text);
  const Result<Value> actual = actual_document.Parse(output);
  return expected && actual && DeepEquals(*expected, *actual);
}

enum class Scope { kEndToEnd, kStatesOnly };

// rapidjson allocates with malloc, not operator new, so an allocation count would read 0 here
// and mean nothing; none is reported.
void BM_LargePayloadCopyBaseline(benchmark::State& state, Scope scope) {
  const std::optional<std::string> input = bench::ReadWorkloadFile("large_payload", "input.json");
  if (!input) {
    state.SkipWithError("cannot read large_payload/input.json");
    return;
  }
  const Paths paths;
  Json parsed_once;
  parsed_once.Parse(input->data(), input->size());
  rapidjson::StringBuffer out;
  const auto run = [&] {
    if (scope == Scope::kStatesOnly) {
      return RunCopyingStates(parsed_once, paths, out);
    }
    // A fresh Document each time: re-parsing into one would keep growing its memory pool.
    Json parsed;
    parsed.Parse(input->data(), input->size());
    return !parsed.HasParseError() && RunCopyingStates(parsed, paths, out);
  };
  if (!run() || !MatchesExpected({out.GetString(), out.GetSize()})) {
    state.SkipWithError("the copying baseline does not produce expected_output.json");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(run());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(input->size()));
}
BENCHMARK_CAPTURE(BM_LargePayloadCopyBaseline, end_to_end, Scope::kEndToEnd);
BENCHMARK_CAPTURE(BM_LargePayloadCopyBaseline, states_only, Scope::kStatesOnly);

void BM_LargePayloadStepd(benchmark::State& state, Scope scope) {
  std::string error;
  const std::unique_ptr<bench::WorkloadRunner> runner =
      bench::WorkloadRunner::Load("large_payload", error);
  if (runner == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  if (!runner->Run() || !runner->OutputMatchesExpected()) {
    state.SkipWithError(runner->error().c_str());
    return;
  }
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    if (!(scope == Scope::kEndToEnd ? runner->Run() : runner->Execute())) {
      state.SkipWithError(runner->error().c_str());
      break;
    }
  }
  allocations.Report(state);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(runner->input_bytes()));
}
BENCHMARK_CAPTURE(BM_LargePayloadStepd, end_to_end, Scope::kEndToEnd);
BENCHMARK_CAPTURE(BM_LargePayloadStepd, states_only, Scope::kStatesOnly);

}  // namespace
}  // namespace stepd

// The JSON core's hot paths over a ~1 KB and the ~200 KB large_payload document: selecting,
// building a template, merging a ResultPath, intrinsics and serialising.
//
// What these prove: a definite path costs the same whatever the document's size (values are
// views of the parsed tape, nothing is copied), and none of these allocate on the heap once the
// arena has its blocks (allocs_per_iter). benchmarks/compare.py checks both.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "benchmarks/support/allocation_scope.h"
#include "benchmarks/support/workload.h"
#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/intrinsics.h"
#include "jsonpath/path.h"
#include "jsonpath/result_path.h"
#include "jsonpath/template.h"
#include "jsonpath/value.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

// kSmall: the ~1 KB document made below; kLarge: large_payload's ~200 KB input.
enum class DocSize { kSmall, kLarge };

// How many elements of each root array the ~1 KB document keeps: no attachment, whose base64
// content alone is 37 KB.
std::size_t ElementsKept(std::string_view key) {
  if (key == "lines") {
    return 2;
  }
  return key == "events" ? 1 : 0;
}

// The ~1 KB document: the large one's root members in the same order, so that selecting and
// merging walk the same members in both, with its arrays cut short.
std::string SmallDocumentText(Value large) {
  std::string text = "{";
  large.ForEachMember([&](std::string_view key, Value value) {
    if (text.size() > 1) {
      text += ',';
    }
    AppendJsonString(key, text);
    text += ':';
    if (!value.IsArray()) {
      AppendJson(value, text);
      return;
    }
    text += '[';
    for (std::size_t i = 0; i < ElementsKept(key); ++i) {
      if (i > 0) {
        text += ',';
      }
      AppendJson(value.At(i), text);
    }
    text += ']';
  });
  text += '}';
  return text;
}

// Parses the document into `doc` and reports its size, or skips the benchmark and returns
// Missing.
Value LoadDocument(DocSize size, Document& doc, benchmark::State& state) {
  const std::optional<std::string> large_text =
      bench::ReadWorkloadFile("large_payload", "input.json");
  if (!large_text) {
    state.SkipWithError("cannot read large_payload/input.json");
    return {};
  }
  Result<Value> root = doc.Parse(*large_text);
  std::size_t bytes = large_text->size();
  if (root && size == DocSize::kSmall) {
    const std::string small_text = SmallDocumentText(*root);
    bytes = small_text.size();
    root = doc.Parse(small_text);
  }
  if (!root) {
    state.SkipWithError("the document does not parse");
    return {};
  }
  state.counters["doc_bytes"] = static_cast<double>(bytes);
  return *root;
}

void BM_SelectNested(benchmark::State& state, DocSize size) {
  Document doc;
  const Value root = LoadDocument(size, doc, state);
  const CompileResult<CompiledPath> path =
      CompiledPath::Compile("$.customer.addresses[1].city", PathKind::kPath);
  if (!path) {
    state.SkipWithError(path.error().message.c_str());
    return;
  }
  if (root.IsMissing()) {
    return;
  }
  Arena arena;
  const EvalContext ctx{root, {}, {}, &arena};
  const Value city = path->Select(ctx);
  if (!city.IsString() || city.AsString() != "Hamburg") {
    state.SkipWithError("$.customer.addresses[1].city is not Hamburg");
    return;
  }
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(path->Select(ctx));
  }
  allocations.Report(state);
}
BENCHMARK_CAPTURE(BM_SelectNested, 1KB, DocSize::kSmall);
BENCHMARK_CAPTURE(BM_SelectNested, 200KB, DocSize::kLarge);

// An indefinite path builds its result array in the arena, reset as an execution's would be.
void BM_SelectIndefinite(benchmark::State& state) {
  Document doc;
  const Value root = LoadDocument(DocSize::kLarge, doc, state);
  const CompileResult<CompiledPath> path =
      CompiledPath::Compile("$.lines[10:13].sku", PathKind::kPath);
  if (!path) {
    state.SkipWithError(path.error().message.c_str());
    return;
  }
  if (root.IsMissing()) {
    return;
  }
  Arena arena;
  const EvalContext ctx{root, {}, {}, &arena};
  if (path->Select(ctx).Size() != 3) {
    state.SkipWithError("$.lines[10:13].sku does not select three values");
    return;
  }
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    arena.Reset();
    benchmark::DoNotOptimize(path->Select(ctx));
  }
  allocations.Report(state);
}
BENCHMARK(BM_SelectIndefinite);

void BM_TemplateBuild(benchmark::State& state, DocSize size) {
  Document doc;
  const Value root = LoadDocument(size, doc, state);
  if (root.IsMissing()) {
    return;
  }
  Document template_doc;
  const Result<Value> template_json = template_doc.Parse(R"({
    "exportId.$": "$.header.exportId",
    "source.$": "$.header.source",
    "customer": {
      "id.$": "$.customer.id",
      "tier.$": "$.customer.tier",
      "shipTo.$": "$.customer.addresses[1].city",
      "channel": "erp"
    },
    "firstSku.$": "$.lines[0].sku",
    "schema": 3
  })");
  if (!template_json) {
    state.SkipWithError("the template is not JSON");
    return;
  }
  const CompileResult<PayloadTemplate> payload = PayloadTemplate::Compile(*template_json);
  if (!payload) {
    state.SkipWithError(payload.error().message.c_str());
    return;
  }
  Arena arena;
  const EvalContext ctx{root, {}, {}, &arena};
  if (!payload->Build(ctx)) {
    state.SkipWithError("the template does not build");
    return;
  }
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    arena.Reset();
    benchmark::DoNotOptimize(payload->Build(ctx));
  }
  allocations.Report(state);
}
BENCHMARK_CAPTURE(BM_TemplateBuild, 1KB, DocSize::kSmall);
BENCHMARK_CAPTURE(BM_TemplateBuild, 200KB, DocSize::kLarge);

// Copy-on-write: only the root and the new `ctx` object are built, whatever the document's size.
void BM_ResultPathMerge(benchmark::State& state, DocSize size) {
  Document doc;
  const Value root = LoadDocument(size, doc, state);
  const CompileResult<CompiledPath> path =
      CompiledPath::Compile("$.ctx.customer", PathKind::kReferencePath);
  if (!path) {
    state.SkipWithError(path.error().message.c_str());
    return;
  }
  Document result_doc;
  const Result<Value> result =
      result_doc.Parse(R"({"id":"cust-5521","tier":"platinum","shipTo":"Hamburg","country":"DE"})");
  if (root.IsMissing() || !result) {
    return;
  }
  Arena arena;
  const Result<Value> merged = MergeAtPath(root, *path, *result, arena);
  if (!merged || !DeepEquals(merged->Find("ctx").Find("customer"), *result)) {
    state.SkipWithError("the merge does not place the result at $.ctx.customer");
    return;
  }
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    arena.Reset();
    benchmark::DoNotOptimize(MergeAtPath(root, *path, *result, arena));
  }
  allocations.Report(state);
}
BENCHMARK_CAPTURE(BM_ResultPathMerge, 1KB, DocSize::kSmall);
BENCHMARK_CAPTURE(BM_ResultPathMerge, 200KB, DocSize::kLarge);

void BM_Intrinsic(benchmark::State& state, std::string_view call) {
  Document doc;
  const Value root = LoadDocument(DocSize::kLarge, doc, state);
  const CompileResult<CompiledIntrinsic> intrinsic = CompiledIntrinsic::Compile(call);
  if (!intrinsic) {
    state.SkipWithError(intrinsic.error().message.c_str());
    return;
  }
  if (root.IsMissing()) {
    return;
  }
  Arena arena;
  const EvalContext ctx{root, {}, {}, &arena};
  if (!intrinsic->Evaluate(ctx)) {
    state.SkipWithError("the intrinsic fails");
    return;
  }
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    arena.Reset();
    benchmark::DoNotOptimize(intrinsic->Evaluate(ctx));
  }
  allocations.Report(state);
}
BENCHMARK_CAPTURE(BM_Intrinsic, Format,
                  "States.Format('Export {} for {} ({})', $.header.exportId, $.customer.name, "
                  "$.customer.tier)");
BENCHMARK_CAPTURE(BM_Intrinsic, MathAdd, "States.MathAdd($.header.schemaVersion, 39)");
BENCHMARK_CAPTURE(BM_Intrinsic, ArrayLength, "States.ArrayLength($.lines)");
BENCHMARK_CAPTURE(BM_Intrinsic, StringSplit, "States.StringSplit($.lines[0].description, ' ')");
BENCHMARK_CAPTURE(BM_Intrinsic, StringToJson,
                  "States.StringToJson('{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}')");
BENCHMARK_CAPTURE(BM_Intrinsic, JsonMerge, "States.JsonMerge($.customer, $.header, false)");

// Writes `root` as JSON once per iteration, into a string reused as a server reuses its buffer.
void SerializeRepeatedly(Value root, benchmark::State& state) {
  std::string out;
  AppendJson(root, out);
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    out.clear();
    AppendJson(root, out);
    benchmark::DoNotOptimize(out.data());
  }
  allocations.Report(state);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void BM_SerializeOutput(benchmark::State& state, DocSize size) {
  Document doc;
  const Value root = LoadDocument(size, doc, state);
  if (root.IsMissing()) {
    return;
  }
  SerializeRepeatedly(root, state);
}
BENCHMARK_CAPTURE(BM_SerializeOutput, 1KB, DocSize::kSmall);

// What an execution's output usually is: a tree built in the arena by templates and intrinsics
// (intrinsics_heavy's expected output, copied into an arena), whose leaves are mostly strings and
// small integers.
void BM_SerializeArenaOutput(benchmark::State& state) {
  const std::optional<std::string> text =
      bench::ReadWorkloadFile("intrinsics_heavy", "expected_output.json");
  if (!text) {
    state.SkipWithError("cannot read intrinsics_heavy/expected_output.json");
    return;
  }
  Document doc;
  const Result<Value> parsed = doc.Parse(*text);
  if (!parsed) {
    state.SkipWithError("intrinsics_heavy/expected_output.json is not JSON");
    return;
  }
  Arena arena;
  const Value root = DeepCopy(*parsed, arena);
  SerializeRepeatedly(root, state);
}
BENCHMARK(BM_SerializeArenaOutput);

}  // namespace
}  // namespace stepd

#include "jsonpath/template.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "jsonpath/arena.h"
#include "jsonpath/internal/bytes.h"
#include "jsonpath/writer.h"

namespace stepd {

namespace {

constexpr std::string_view kDynamicSuffix = ".$";
constexpr int kMaxTemplateDepth = 1024;
// One pass over the input costs about as much as looking up the last field it needs, so it pays
// only when paths look up several fields (measured on the shared bench workloads), and not in
// small objects, where a lookup is a few comparisons.
constexpr std::size_t kMinInputFieldUses = 3;
constexpr std::size_t kMinMembersForOnePass = 8;

bool IsDynamicKey(std::string_view key) {
  return key.size() > kDynamicSuffix.size() && key.ends_with(kDynamicSuffix);
}

}  // namespace

CompileResult<CompiledExpression> CompiledExpression::Compile(std::string_view text,
                                                              const CompileOptions& options) {
  if (LooksLikeIntrinsic(text)) {
    auto intrinsic = CompiledIntrinsic::Compile(text, options);
    if (!intrinsic) {
      return Unexpected(std::move(intrinsic).error());
    }
    return CompiledExpression(std::move(intrinsic).value());
  }
  auto path = CompiledPath::Compile(text, PathKind::kPath, options);
  if (!path) {
    return Unexpected(std::move(path).error());
  }
  return CompiledExpression(std::move(path).value());
}

std::string_view CompiledExpression::text() const {
  if (const CompiledPath* p = path()) {
    return p->text();
  }
  return std::get<CompiledIntrinsic>(expression_).text();
}

void CompiledExpression::ForEachPath(const std::function<void(CompiledPath&)>& fn) {
  if (auto* p = std::get_if<CompiledPath>(&expression_)) {
    fn(*p);
  } else {
    std::get<CompiledIntrinsic>(expression_).ForEachPath(fn);
  }
}

Result<Value> CompiledExpression::Evaluate(const EvalContext& ctx, std::string_view field) const {
  Error error;
  return ValueOrError(Evaluate(ctx, field, error), error);
}

Value CompiledExpression::Evaluate(const EvalContext& ctx, std::string_view field,
                                   Error& error) const {
  const CompiledPath* p = path();
  if (p == nullptr) {
    return std::get<CompiledIntrinsic>(expression_).Evaluate(ctx, error);
  }
  const Value selected = p->Select(ctx);
  if (!selected.IsMissing()) {
    return selected;
  }
  // AWS quotes the document the path was applied to: the input, the context object or the
  // variable's value.
  Value searched = ctx.input;
  if (p->root() == PathRoot::kContext) {
    searched = ctx.context;
  } else if (p->root() == PathRoot::kVariable) {
    searched = ctx.Variable(p->variable());
  }
  Arena& arena = *ctx.arena;
  error = RuntimeFailure(arena.Concat({"The JSONPath '", p->text(), "' specified for the field '",
                                       field, "' could not be found in the input '",
                                       ToJsonInArena(searched, arena), "'"}))
              .error();
  return Value::Missing();
}

namespace internal {

// One node of a compiled template. Static subtrees are a single kStatic node whose value lives
// in the template's arena.
struct TemplateNode {
  enum class Kind : unsigned char { kStatic, kExpression, kObject, kArray };
  Kind kind = Kind::kStatic;
  Value static_value;                              // kStatic
  std::unique_ptr<CompiledExpression> expression;  // kExpression
  std::string_view field;                          // kExpression: the key as written ("x.$")
  std::vector<std::string_view> keys;              // kObject: output keys, in the template arena
  std::vector<TemplateNode> children;              // kObject (parallel to keys) and kArray
};

// The input fields a template's paths start with, by slot (see EvalContext::input_fields).
struct InputFields {
  static constexpr std::size_t kMaxNames = 64;  // a bit each while looking
  static constexpr std::size_t kBuckets = 32;

  // A member can only be names[i] when bit i of by_bucket[Bucket(key)] is set: a filter on
  // length and first byte, so that few members are compared with any name.
  static std::size_t Bucket(std::string_view name) {
    const std::size_t first = name.empty() ? 0 : static_cast<unsigned char>(name[0]);
    return (name.size() * 7 + first) % kBuckets;
  }

  std::vector<std::string_view> names;
  std::uint64_t by_bucket[kBuckets] = {};
};

}  // namespace internal

using internal::InputFields;
using internal::TemplateNode;

struct PayloadTemplate::Impl {
  Arena arena{4096};  // static values and keys
  TemplateNode root;
  // Empty when too few paths start with an input field for one pass to pay.
  InputFields input_fields;
};

namespace {

CompileResult<TemplateNode> CompileNode(Value json, const CompileOptions& options, Arena& arena,
                                        int depth);

// A container whose children are all static becomes one static value, built from the
// children's values (already in the arena), so Build() returns it without touching it.
TemplateNode CollapseIfStatic(TemplateNode node, Arena& arena) {
  for (const TemplateNode& child : node.children) {
    if (child.kind != TemplateNode::Kind::kStatic) {
      return node;
    }
  }
  const std::size_t n = node.children.size();
  TemplateNode collapsed;
  if (node.kind == TemplateNode::Kind::kObject) {
    Member* members = arena.AllocateArray<Member>(n);
    for (std::size_t i = 0; i < n; ++i) {
      new (&members[i]) Member{node.keys[i], node.children[i].static_value};
    }
    collapsed.static_value = Value::Object(members, n);
  } else {
    Value* items = arena.AllocateArray<Value>(n);
    for (std::size_t i = 0; i < n; ++i) {
      new (&items[i]) Value(node.children[i].static_value);
    }
    collapsed.static_value = Value::Array(items, n);
  }
  return collapsed;
}

CompileResult<TemplateNode> CompileObject(Value json, const CompileOptions& options, Arena& arena,
                                          int depth) {
  TemplateNode node;
  node.kind = TemplateNode::Kind::kObject;
  std::unordered_set<std::string_view> seen;
  CompileError failure;
  const bool ok = json.AllMembers([&](std::string_view key, Value value) {
    TemplateNode child;
    std::string_view out_key = key;
    if (IsDynamicKey(key)) {
      out_key = key.substr(0, key.size() - kDynamicSuffix.size());
      if (!value.IsString()) {
        failure.message = "The value for the field '" + std::string(key) +
                          "' must be a STRING that is a valid JSONPath or intrinsic function";
        return false;
      }
      auto expression = CompiledExpression::Compile(value.AsString(), options);
      if (!expression) {
        failure.message = "The value for the field '" + std::string(key) +
                          "' must be a valid JSONPath or a valid intrinsic function call: " +
                          expression.error().message;
        return false;
      }
      child.kind = TemplateNode::Kind::kExpression;
      child.expression = std::make_unique<CompiledExpression>(std::move(expression).value());
      child.field = arena.CopyString(key);
    } else {
      auto compiled = CompileNode(value, options, arena, depth + 1);
      if (!compiled) {
        failure = std::move(compiled).error();
        return false;
      }
      child = std::move(compiled).value();
    }
    if (!seen.insert(out_key).second) {
      failure.message = "The field '" + std::string(out_key) +
                        "' appears more than once after '.$' suffixes are removed";
      return false;
    }
    node.keys.push_back(arena.CopyString(out_key));
    node.children.push_back(std::move(child));
    return true;
  });
  if (!ok) {
    return Unexpected(std::move(failure));
  }
  return CollapseIfStatic(std::move(node), arena);
}

CompileResult<TemplateNode> CompileNode(Value json, const CompileOptions& options, Arena& arena,
                                        int depth) {
  // The definition parser already bounds nesting; this guards templates built by other means.
  if (depth > kMaxTemplateDepth) {
    return CompileFailure("The payload template is nested too deeply");
  }
  if (!json.IsContainer()) {
    TemplateNode node;
    node.static_value = DeepCopy(json, arena);
    return node;
  }
  if (json.IsObject()) {
    return CompileObject(json, options, arena, depth);
  }
  TemplateNode node;
  node.kind = TemplateNode::Kind::kArray;
  CompileError failure;
  const bool ok = json.AllElements([&](Value item) {
    auto child = CompileNode(item, options, arena, depth + 1);
    if (!child) {
      failure = std::move(child).error();
      return false;
    }
    node.children.push_back(std::move(child).value());
    return true;
  });
  if (!ok) {
    return Unexpected(std::move(failure));
  }
  return CollapseIfStatic(std::move(node), arena);
}

void ForEachExpression(TemplateNode& node, const std::function<void(CompiledExpression&)>& fn) {
  if (node.kind == TemplateNode::Kind::kExpression) {
    fn(*node.expression);
  }
  for (TemplateNode& child : node.children) {
    ForEachExpression(child, fn);
  }
}

// Gives each path that starts with an input field the slot of that field's name, when enough
// paths do for one pass over the input to pay.
InputFields PlanInputFields(TemplateNode& root) {
  std::vector<CompiledPath*> paths;
  ForEachExpression(root, [&](CompiledExpression& expression) {
    expression.ForEachPath([&](CompiledPath& path) {
      if (path.StartsWithInputField()) {
        paths.push_back(&path);
      }
    });
  });
  InputFields fields;
  if (paths.size() < kMinInputFieldUses) {
    return fields;
  }
  std::vector<std::string_view>& names = fields.names;
  for (CompiledPath* path : paths) {
    const std::string_view field = *path->StartsWithInputField();
    const auto found = std::find(names.begin(), names.end(), field);
    if (found == names.end() && names.size() == InputFields::kMaxNames) {
      continue;  // this path looks its field up itself
    }
    const auto slot = static_cast<std::size_t>(found - names.begin());
    path->set_input_field_slot(static_cast<std::uint32_t>(slot));
    if (found == names.end()) {
      names.push_back(field);
      fields.by_bucket[InputFields::Bucket(field)] |= std::uint64_t{1} << slot;
    }
  }
  return fields;
}

// EvalContext::input_fields for `input`: the first member with each name, as Value::Find
// would give it, or Missing. One pass, which stops once every name has been found; a member is
// compared only with the names still missing that share its bucket.
const Value* FindInputFields(Value input, const InputFields& wanted, Arena& arena) {
  const std::size_t count = wanted.names.size();
  Value* fields = arena.AllocateArray<Value>(count);
  std::uninitialized_fill_n(fields, count, Value::Missing());
  const std::uint64_t all = count == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
  std::uint64_t found = 0;
  input.AllMembers([&](std::string_view key, Value value) {
    for (std::uint64_t candidates = wanted.by_bucket[InputFields::Bucket(key)] & ~found;
         candidates != 0; candidates &= candidates - 1) {
      const auto i = static_cast<std::size_t>(std::countr_zero(candidates));
      if (internal::KeyEquals(wanted.names[i], key)) {
        found |= std::uint64_t{1} << i;
        fields[i] = value;
        break;
      }
    }
    return found != all;
  });
  return fields;
}

// The node's value, or Missing after storing the failure in `error` (see
// CompiledExpression::Evaluate).
Value BuildNode(const TemplateNode& node, const EvalContext& ctx, Error& error) {
  switch (node.kind) {
    case TemplateNode::Kind::kStatic:
      return node.static_value;
    case TemplateNode::Kind::kExpression:
      return node.expression->Evaluate(ctx, node.field, error);
    case TemplateNode::Kind::kObject: {
      const std::size_t n = node.children.size();
      Member* members = ctx.arena->AllocateArray<Member>(n);
      for (std::size_t i = 0; i < n; ++i) {
        const Value value = BuildNode(node.children[i], ctx, error);
        if (value.IsMissing()) {
          return value;
        }
        new (&members[i]) Member{node.keys[i], value};
      }
      return Value::Object(members, n);
    }
    case TemplateNode::Kind::kArray: {
      const std::size_t n = node.children.size();
      Value* items = ctx.arena->AllocateArray<Value>(n);
      for (std::size_t i = 0; i < n; ++i) {
        const Value value = BuildNode(node.children[i], ctx, error);
        if (value.IsMissing()) {
          return value;
        }
        new (&items[i]) Value(value);
      }
      return Value::Array(items, n);
    }
  }
  return Value::Missing();
}

}  // namespace

PayloadTemplate::PayloadTemplate() : impl_(std::make_unique<Impl>()) {}
PayloadTemplate::PayloadTemplate(PayloadTemplate&&) noexcept = default;
PayloadTemplate& PayloadTemplate::operator=(PayloadTemplate&&) noexcept = default;
PayloadTemplate::~PayloadTemplate() = default;

CompileResult<PayloadTemplate> PayloadTemplate::Compile(Value json, const CompileOptions& options) {
  PayloadTemplate compiled;
  auto root = CompileNode(json, options, compiled.impl_->arena, 0);
  if (!root) {
    return Unexpected(std::move(root).error());
  }
  compiled.impl_->root = std::move(root).value();
  compiled.impl_->input_fields = PlanInputFields(compiled.impl_->root);
  return compiled;
}

Result<Value> PayloadTemplate::Build(const EvalContext& ctx) const {
  const InputFields& fields = impl_->input_fields;
  Error error;
  if (fields.names.empty() || !ctx.input.IsObject() || ctx.input.Size() < kMinMembersForOnePass) {
    // the paths look their fields up themselves
    return ValueOrError(BuildNode(impl_->root, ctx, error), error);
  }
  EvalContext with_fields = ctx;
  with_fields.input_fields = FindInputFields(ctx.input, fields, *ctx.arena);
  return ValueOrError(BuildNode(impl_->root, with_fields, error), error);
}

}  // namespace stepd

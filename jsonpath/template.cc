#include "jsonpath/template.h"

#include <string>
#include <unordered_set>
#include <vector>

#include "jsonpath/arena.h"
#include "jsonpath/writer.h"

namespace stepd {

namespace {

constexpr std::string_view kDynamicSuffix = ".$";
constexpr int kMaxTemplateDepth = 1024;

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

Result<Value> CompiledExpression::Evaluate(const EvalContext& ctx, std::string_view field) const {
  const CompiledPath* p = path();
  if (p == nullptr) {
    return std::get<CompiledIntrinsic>(expression_).Evaluate(ctx);
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
  return RuntimeFailure(
      arena.Concat({"The JSONPath '", p->text(), "' specified for the field '", field,
                    "' could not be found in the input '", ToJsonInArena(searched, arena), "'"}));
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

}  // namespace internal

using internal::TemplateNode;

struct PayloadTemplate::Impl {
  Arena arena{4096};  // static values and keys
  TemplateNode root;
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

Result<Value> BuildNode(const TemplateNode& node, const EvalContext& ctx) {
  switch (node.kind) {
    case TemplateNode::Kind::kStatic:
      return node.static_value;
    case TemplateNode::Kind::kExpression:
      return node.expression->Evaluate(ctx, node.field);
    case TemplateNode::Kind::kObject: {
      const std::size_t n = node.children.size();
      Member* members = ctx.arena->AllocateArray<Member>(n);
      for (std::size_t i = 0; i < n; ++i) {
        STEPD_ASSIGN_OR_RETURN(Value value, BuildNode(node.children[i], ctx));
        new (&members[i]) Member{node.keys[i], value};
      }
      return Value::Object(members, n);
    }
    case TemplateNode::Kind::kArray: {
      const std::size_t n = node.children.size();
      Value* items = ctx.arena->AllocateArray<Value>(n);
      for (std::size_t i = 0; i < n; ++i) {
        STEPD_ASSIGN_OR_RETURN(Value value, BuildNode(node.children[i], ctx));
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
  return compiled;
}

Result<Value> PayloadTemplate::Build(const EvalContext& ctx) const {
  return BuildNode(impl_->root, ctx);
}

}  // namespace stepd

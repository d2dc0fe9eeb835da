#include "runtime/internal/validation.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "jsonpath/intrinsics.h"
#include "jsonpath/template.h"

namespace stepd::runtime::internal {

namespace {

// Templates nested deeper than this are not scanned for NO_DOLLAR: it is only a warning, and the
// bound keeps the walk off the stack's edge for definitions built in memory.
constexpr int kMaxWarningDepth = 64;
constexpr std::size_t kMaxVariableNameChars = 80;
constexpr std::string_view kDynamicSuffix = ".$";

void AppendEscaped(std::string& out, std::string_view token) {
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
}

std::string Quoted(std::string_view field) { return "'" + std::string(field) + "'"; }

std::string TypeMessage(std::string_view field, std::string_view type) {
  return "The value for the field " + Quoted(field) + " must be " + std::string(type);
}

// Integers written as 5.0 are let through: rejecting what AWS may accept is the worse mistake.
bool IsIntegral(Value value) {
  if (value.IsInteger()) {
    return true;
  }
  const double d = value.AsDouble();
  return std::isfinite(d) && std::floor(d) == d;
}

// The integer as int64, saturating: range checks then reject what does not fit.
std::int64_t SaturatedInt(Value value) {
  if (value.number_kind() == NumberKind::kInt64) {
    return value.AsInt();
  }
  if (value.number_kind() == NumberKind::kUint64) {
    return INT64_MAX;
  }
  const double d = value.AsDouble();
  if (d >= 9.2e18) {
    return INT64_MAX;
  }
  if (d <= -9.2e18) {
    return INT64_MIN;
  }
  return static_cast<std::int64_t>(d);
}

bool LooksLikePath(std::string_view text) {
  return text == "$" || text.starts_with("$.") || text.starts_with("$[") ||
         text.starts_with("$$.") || LooksLikeIntrinsic(text);
}

bool IsAsciiIdentifierStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Unicode identifiers (ID_Start, ID_Continue): ASCII is checked exactly; any non-ASCII code
// point is let through, since classifying it needs Unicode tables and AWS's own check is the
// final word on those names anyway.
bool IsIdentifier(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  const auto first = static_cast<unsigned char>(name.front());
  if (first < 0x80 && !IsAsciiIdentifierStart(first)) {
    return false;
  }
  return std::all_of(name.begin() + 1, name.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x80 || IsAsciiIdentifierStart(c) || (c >= '0' && c <= '9');
  });
}

}  // namespace

std::size_t CodePoints(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string ChildPointer(std::string_view parent, std::string_view token) {
  std::string out;
  out.reserve(parent.size() + token.size() + 1);
  out += parent == "/" ? std::string_view() : parent;
  out += '/';
  AppendEscaped(out, token);
  return out;
}

std::string IndexPointer(std::string_view parent, std::size_t index) {
  return ChildPointer(parent, std::to_string(index));
}

std::string BracketList(std::initializer_list<std::string_view> names) {
  std::string out = "[";
  for (std::string_view name : names) {
    if (out.size() > 1) {
      out += ", ";
    }
    out += name;
  }
  out += ']';
  return out;
}

void Reporter::Error(std::string_view code, std::string message, std::string location) {
  Add(Severity::kError, code, std::move(message), std::move(location));
}

void Reporter::Warning(std::string_view code, std::string message, std::string location) {
  Add(Severity::kWarning, code, std::move(message), std::move(location));
}

void Reporter::Add(Severity severity, std::string_view code, std::string message,
                   std::string location) {
  if (full()) {
    return;
  }
  diagnostics_.push_back(
      Diagnostic{severity, std::string(code), std::move(message), std::move(location)});
}

void FieldChecker::Fail(std::string_view at, std::string_view field, std::string message,
                        std::string_view code) {
  reporter_.Error(code, std::move(message),
                  field.empty() ? std::string(at) : ChildPointer(at, field));
}

bool FieldChecker::IsObject(Value value, std::string_view at, std::string_view field) {
  if (value.IsObject()) {
    return true;
  }
  Fail(at, field, TypeMessage(field, "an OBJECT"));
  return false;
}

void FieldChecker::RequireFields(Value object, std::initializer_list<std::string_view> fields,
                                 std::string_view at) {
  std::string missing;
  for (std::string_view field : fields) {
    if (object.Find(field).IsMissing()) {
      missing += missing.empty() ? "" : ", ";
      missing += field;
    }
  }
  if (!missing.empty()) {
    Fail(at, {}, "These fields are required: [" + missing + "]");
  }
}

void FieldChecker::RejectUnknownFields(Value object, std::span<const std::string_view> allowed,
                                       std::string_view at) {
  object.AllMembers([&](std::string_view key, Value) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      Fail(at, key, "The field " + Quoted(key) + " is not supported by Step Functions");
    }
    return !reporter_.full();
  });
}

void FieldChecker::Exclusive(Value object, std::string_view a, std::string_view b,
                             std::string_view at) {
  if (!object.Find(a).IsMissing() && !object.Find(b).IsMissing()) {
    Fail(at, {}, "Only one of these fields is allowed: " + BracketList({a, b}));
  }
}

bool FieldChecker::String(Value object, std::string_view field, std::string_view at) {
  const Value value = object.Find(field);
  if (value.IsMissing() || value.IsString()) {
    return true;
  }
  Fail(at, field, TypeMessage(field, "a STRING"));
  return false;
}

bool FieldChecker::Boolean(Value object, std::string_view field, std::string_view at) {
  const Value value = object.Find(field);
  if (value.IsMissing() || value.IsBool()) {
    return true;
  }
  Fail(at, field, TypeMessage(field, "a BOOLEAN"));
  return false;
}

bool FieldChecker::Integer(Value object, std::string_view field, std::string_view at,
                           std::int64_t min, std::int64_t max) {
  const Value value = object.Find(field);
  if (value.IsMissing()) {
    return true;
  }
  if (!value.IsNumber() || !IsIntegral(value)) {
    Fail(at, field, TypeMessage(field, "an INTEGER"));
    return false;
  }
  const std::int64_t n = SaturatedInt(value);
  if (n < min || n > max) {
    Fail(at, field,
         TypeMessage(field, "between " + std::to_string(min) + " and " + std::to_string(max)));
    return false;
  }
  return true;
}

bool FieldChecker::Number(Value object, std::string_view field, std::string_view at, double min,
                          double max) {
  const Value value = object.Find(field);
  if (value.IsMissing()) {
    return true;
  }
  if (!value.IsNumber()) {
    Fail(at, field, TypeMessage(field, "a NUMBER"));
    return false;
  }
  const double d = value.AsDouble();
  if (!(d >= min && d <= max)) {
    // Print bounds as integers when they are, as AWS's messages do.
    auto text = [](double x) {
      return std::floor(x) == x && std::fabs(x) < 1e15 ? std::to_string(static_cast<long long>(x))
                                                       : std::to_string(x);
    };
    Fail(at, field, TypeMessage(field, "between " + text(min) + " and " + text(max)));
    return false;
  }
  return true;
}

bool FieldChecker::OneOf(Value object, std::string_view field, std::string_view at,
                         std::initializer_list<std::string_view> values) {
  const Value value = object.Find(field);
  if (value.IsMissing()) {
    return true;
  }
  if (value.IsString() &&
      std::find(values.begin(), values.end(), value.AsString()) != values.end()) {
    return true;
  }
  Fail(at, field,
       "The field " + Quoted(field) + " should have one of these values: " + BracketList(values));
  return false;
}

bool FieldChecker::NonEmptyArray(Value object, std::string_view field, std::string_view at) {
  const Value value = object.Find(field);
  if (value.IsMissing()) {
    return true;
  }
  if (!value.IsArray()) {
    Fail(at, field, TypeMessage(field, "an ARRAY"));
    return false;
  }
  if (value.Size() == 0) {
    Fail(at, field, "Value cannot be empty");
    return false;
  }
  return true;
}

bool FieldChecker::PathValue(Value value, std::string_view field, std::string_view at,
                             PathKind kind) {
  const std::string_view what =
      kind == PathKind::kPath ? "a valid JSONPath" : "a valid Reference Path";
  if (!value.IsString()) {
    Fail(at, field, TypeMessage(field, "a STRING that is " + std::string(what)));
    return false;
  }
  auto compiled = CompiledPath::Compile(value.AsString(), kind, options_);
  if (!compiled) {
    Fail(at, field, TypeMessage(field, std::string(what) + ": " + compiled.error().message));
    return false;
  }
  return true;
}

bool FieldChecker::Path(Value object, std::string_view field, std::string_view at, PathKind kind,
                        bool nullable) {
  const Value value = object.Find(field);
  if (value.IsMissing() || (nullable && value.IsNull())) {
    return true;
  }
  return PathValue(value, field, at, kind);
}

bool FieldChecker::ResultPath(Value object, std::string_view field, std::string_view at) {
  const Value value = object.Find(field);
  if (value.IsMissing() || value.IsNull()) {
    return true;
  }
  if (!PathValue(value, field, at, PathKind::kReferencePath)) {
    return false;
  }
  // ResultPath writes into the state input: the context object and variables are read-only.
  if (!value.AsString().starts_with("$.") && !value.AsString().starts_with("$[") &&
      value.AsString() != "$") {
    Fail(at, field,
         TypeMessage(field,
                     "a Reference Path into the state input (starting with '$', "
                     "not '$$' or a variable)"));
    return false;
  }
  return true;
}

bool FieldChecker::Expression(Value object, std::string_view field, std::string_view at) {
  const Value value = object.Find(field);
  if (value.IsMissing()) {
    return true;
  }
  if (!value.IsString()) {
    Fail(at, field, TypeMessage(field, "a STRING"));
    return false;
  }
  if (LooksLikeIntrinsic(value.AsString())) {
    auto compiled = CompiledIntrinsic::Compile(value.AsString(), options_);
    if (!compiled) {
      Fail(at, field,
           TypeMessage(field, "a valid intrinsic function call: " + compiled.error().message));
      return false;
    }
    return true;
  }
  return PathValue(value, field, at, PathKind::kReferencePath);
}

bool FieldChecker::Template(Value object, std::string_view field, std::string_view at) {
  const Value value = object.Find(field);
  if (value.IsMissing()) {
    return true;
  }
  if (!IsObject(value, at, field)) {
    return false;
  }
  auto compiled = PayloadTemplate::Compile(value, options_);
  if (!compiled) {
    Fail(at, field, compiled.error().message);
    return false;
  }
  WarnNoDollar(value, ChildPointer(at, field), 0);
  return true;
}

void FieldChecker::WarnNoDollar(Value json, std::string_view at, int depth) {
  if (depth > kMaxWarningDepth || reporter_.full()) {
    return;
  }
  if (json.IsArray()) {
    std::size_t index = 0;
    json.ForEachElement(
        [&](Value item) { WarnNoDollar(item, IndexPointer(at, index++), depth + 1); });
    return;
  }
  json.ForEachMember([&](std::string_view key, Value value) {
    if (key.ends_with(kDynamicSuffix)) {
      return;
    }
    if (value.IsString() && LooksLikePath(value.AsString())) {
      reporter_.Warning(codes::kNoDollar,
                        "The value of the field " + Quoted(key) +
                            " looks like a JSONPath or an intrinsic function, but the field "
                            "name does not end with '.$'",
                        ChildPointer(at, key));
    } else if (value.IsContainer()) {
      WarnNoDollar(value, ChildPointer(at, key), depth + 1);
    }
  });
}

bool FieldChecker::Assign(Value object, std::string_view field, std::string_view at) {
  const Value value = object.Find(field);
  if (value.IsMissing()) {
    return true;
  }
  if (!IsObject(value, at, field)) {
    return false;
  }
  const std::string assign_at = ChildPointer(at, field);
  bool ok = true;
  value.ForEachMember([&](std::string_view key, Value) {
    std::string_view name = key;
    if (name.ends_with(kDynamicSuffix)) {
      name.remove_suffix(kDynamicSuffix.size());
    }
    if (name == "states") {
      Fail(assign_at, key, "The variable name 'states' is reserved");
      ok = false;
    } else if (!IsIdentifier(name)) {
      // Covers partial assignments ("x.y", "x[2]") as well as other non-identifiers.
      Fail(assign_at, key, "The variable name " + Quoted(name) + " is not a valid identifier");
      ok = false;
    } else if (CodePoints(name) > kMaxVariableNameChars) {
      Fail(assign_at, key, "The variable name " + Quoted(name) + " is longer than 80 characters");
      ok = false;
    }
  });
  auto compiled = PayloadTemplate::Compile(value, options_);
  if (!compiled) {
    Fail(at, field, compiled.error().message);
    return false;
  }
  return ok;
}

}  // namespace stepd::runtime::internal

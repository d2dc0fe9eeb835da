#pragma once
// FilterPattern: a CloudWatch Logs filter pattern, compiled once per request and matched
// against many messages.
//
// Supported forms (CloudWatch's "Filter pattern syntax"):
//  - ""                      everything
//  - ERROR Exception         terms: every term must occur (case-sensitive substring)
//  - "exact phrase"          a quoted term (\" and \\ escape)
//  - ?ERROR ?WARN            at least one of the ?-terms must occur
//  - ERROR -Retry            -terms must not occur
//  - %regex%                 a term searched for as a regular expression, in the subset CloudWatch
//                            allows (no parentheses; at most two per pattern), in linear time
//  - { $.a.b[0] = "x*y" }    JSON: = != on strings (with * wildcards), numbers and booleans;
//                            < > <= >= on numbers; IS NULL, NOT EXISTS, IS TRUE, IS FALSE;
//                            && || and parentheses. Messages that are not JSON objects never
//                            match a JSON pattern.
// Space-delimited patterns ([w1, w2=...]) are not supported: Compile() rejects them.
//
// Matching reuses one parsed Document per FilterPattern, so it allocates nothing per message
// once warm. Not thread-safe: one FilterPattern per request.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/document.h"
#include "jsonpath/regex.h"

namespace stepd::logs {

class FilterPattern {
 public:
  // nullopt: not a valid pattern (the API answers InvalidParameterException
  // "Invalid filter pattern").
  static std::optional<FilterPattern> Compile(std::string_view text);

  bool Matches(std::string_view message);
  bool matches_everything() const { return kind_ == Kind::kAll; }

  FilterPattern(FilterPattern&&) noexcept = default;
  FilterPattern& operator=(FilterPattern&&) noexcept = default;
  ~FilterPattern();

 private:
  enum class Kind : std::uint8_t { kAll, kTerms, kJson };
  enum class TermKind : std::uint8_t { kRequired, kAny, kExcluded };
  struct Term {
    TermKind kind = TermKind::kRequired;
    std::string text;
    std::shared_ptr<const Regex> regex;  // %...% terms
  };
  enum class Op : std::uint8_t {
    kAnd,
    kOr,
    kEq,
    kNe,
    kLt,
    kGt,
    kLe,
    kGe,
    kIsNull,
    kNotExists,
    kIsTrue,
    kIsFalse
  };
  struct Step {
    std::string key;          // member name, or empty with index set
    std::int64_t index = -1;  // array index, -1 for a member step
  };
  struct Node {
    Op op = Op::kEq;
    std::uint32_t left = 0;  // kAnd/kOr: child nodes
    std::uint32_t right = 0;
    std::vector<Step> path;  // comparisons
    std::string text;        // the value as written (unquoted)
    bool quoted = false;
    std::optional<double> number;
  };
  friend class PatternParser;

  FilterPattern() = default;
  bool MatchTerms(std::string_view message) const;
  bool Eval(std::uint32_t node, Value root) const;
  static bool Compare(const Node& node, Value field);

  Kind kind_ = Kind::kAll;
  std::vector<Term> terms_;
  bool has_any_terms_ = false;
  std::vector<Node> nodes_;  // JSON: nodes_[root_] is the expression
  std::uint32_t root_ = 0;
  std::unique_ptr<Document> document_;  // reused per message
};

// Glob matching with '*' only; no allocation.
bool WildcardMatch(std::string_view pattern, std::string_view text);

}  // namespace stepd::logs

#include <string>

#include <gtest/gtest.h>

#include "service/logs/filter_pattern.h"

namespace stepd::logs {
namespace {

bool Match(std::string_view pattern, std::string_view message) {
  auto compiled = FilterPattern::Compile(pattern);
  EXPECT_TRUE(compiled.has_value()) << pattern;
  return compiled && compiled->Matches(message);
}

bool Valid(std::string_view pattern) { return FilterPattern::Compile(pattern).has_value(); }

constexpr std::string_view kEvent =
    R"({"id":"3","type":"TaskFailed","details":{"resourceType":"lambda","error":"Lambda.Unknown",)"
    R"("cause":"boom"},"previous_event_id":"2","event_timestamp":"1700000000000",)"
    R"("execution_arn":"arn:aws:states:us-east-1:1:express:M:e:u","redrive_count":"0",)"
    R"("n":12.5,"flag":true,"off":false,"nothing":null,"list":[{"k":"v"},7]})";

TEST(LogsFilterTest, EmptyMatchesEverything) {
  EXPECT_TRUE(Match("", "anything"));
  EXPECT_TRUE(Match("   ", ""));
  EXPECT_TRUE(FilterPattern::Compile("")->matches_everything());
}

TEST(LogsFilterTest, TermsAreCaseSensitiveSubstringsAndAllRequired) {
  EXPECT_TRUE(Match("ERROR", "an ERROR happened"));
  EXPECT_FALSE(Match("ERROR", "an error happened"));
  EXPECT_TRUE(Match("ERROR happened", "an ERROR happened"));
  EXPECT_FALSE(Match("ERROR missing", "an ERROR happened"));
  EXPECT_TRUE(Match(R"("ERROR happened")", "an ERROR happened"));
  EXPECT_FALSE(Match(R"("happened ERROR")", "an ERROR happened"));
  EXPECT_TRUE(Match(R"("ExecutionStarted")", R"({"type":"ExecutionStarted"})"));
  EXPECT_TRUE(Match(R"("say \"hi\"")", R"(they say "hi")"));
}

TEST(LogsFilterTest, OptionalAndExcludedTerms) {
  EXPECT_TRUE(Match("?ERROR ?WARN", "WARN: disk"));
  EXPECT_TRUE(Match("?ERROR ?WARN", "ERROR: disk"));
  EXPECT_FALSE(Match("?ERROR ?WARN", "INFO: disk"));
  EXPECT_TRUE(Match("ERROR -Retry", "ERROR final"));
  EXPECT_FALSE(Match("ERROR -Retry", "ERROR Retry later"));
  EXPECT_TRUE(Match("disk ?ERROR ?WARN", "WARN disk"));
  EXPECT_FALSE(Match("disk ?ERROR ?WARN", "WARN cpu"));
}

TEST(LogsFilterTest, RegexTerms) {
  // The examples of CloudWatch's "Supported regular expressions (regex) syntax".
  EXPECT_TRUE(Match("%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST"));
  EXPECT_TRUE(Match("%[Ee]rror|[Ff]ail%", "disk fail"));
  EXPECT_FALSE(Match("%[Ee]rror|[Ff]ail%", "all good"));
  EXPECT_TRUE(Match(R"(%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%)", "from 192.168.0.1"));
  EXPECT_TRUE(Match("%^[hc]at%", "hat trick"));
  EXPECT_FALSE(Match("%^[hc]at%", "that"));
  EXPECT_TRUE(Match("%colou?r%", "the color"));
  EXPECT_TRUE(Match("%a{3,5}%", "baaab"));
  EXPECT_FALSE(Match("%a{3,5}%", "baab"));
  EXPECT_TRUE(Match("%TaskFailed|TaskTimedOut%", R"({"type":"TaskTimedOut"})"));
  EXPECT_FALSE(Match("%^Task%", R"({"type":"TaskTimedOut"})"));
  EXPECT_TRUE(Match("ERROR %Lambda.Unk%", "ERROR Lambda.Unknown"));
  EXPECT_TRUE(Match("%x% %y%", "x and y"));
}

TEST(LogsFilterTest, RegexTermsAreRefusedOutsideCloudWatchsSubset) {
  EXPECT_FALSE(Valid("%Task(Failed|TimedOut)%"));  // no parentheses
  EXPECT_FALSE(Valid("%something!%"));             // the documentation's example
  EXPECT_FALSE(Valid("%caf\xc3\xa9%"));            // no multibyte characters
  EXPECT_FALSE(Valid("%a% %b% %c%"));              // at most two per pattern
  EXPECT_FALSE(Valid("%[a%"));                     // and it must compile
  EXPECT_FALSE(Valid("%%"));
}

TEST(LogsFilterTest, RegexTermsTakeLinearTimeOnLargeMessages) {
  // Execution logs carry payloads of up to 256 KiB. A backtracking matcher overflows its stack
  // on the first and takes polynomial time on the second.
  const std::string xs(200000, 'x');
  EXPECT_FALSE(Match("%x*y%", xs));
  EXPECT_FALSE(Match("%x*x*x*x*x*y%", xs));
  EXPECT_TRUE(Match("%x{4}$%", xs));
}

TEST(LogsFilterTest, JsonEqualityWildcardsAndNumbers) {
  EXPECT_TRUE(Match(R"({ $.type = "TaskFailed" })", kEvent));
  EXPECT_TRUE(Match(R"({$.type="TaskFailed"})", kEvent));
  EXPECT_FALSE(Match(R"({ $.type = "TaskSucceeded" })", kEvent));
  EXPECT_TRUE(Match(R"({ $.type = Task* })", kEvent));
  EXPECT_TRUE(Match(R"({ $.execution_arn = "*:express:M:*" })", kEvent));
  EXPECT_TRUE(Match(R"({ $.details.error = "Lambda.Unknown" })", kEvent));
  EXPECT_TRUE(Match(R"({ $.type != "TaskSucceeded" })", kEvent));
  EXPECT_FALSE(Match(R"({ $.type != "TaskFailed" })", kEvent));
  EXPECT_FALSE(Match(R"({ $.absent != "x" })", kEvent));
  EXPECT_TRUE(Match(R"({ $.n = 12.5 })", kEvent));
  EXPECT_TRUE(Match(R"({ $.n > 12 })", kEvent));
  EXPECT_TRUE(Match(R"({ $.n <= 12.5 })", kEvent));
  EXPECT_FALSE(Match(R"({ $.n < 12.5 })", kEvent));
  EXPECT_TRUE(Match(R"({ $.n >= -1 })", kEvent));
  EXPECT_FALSE(Match(R"({ $.type > 1 })", kEvent));  // not a number
  EXPECT_TRUE(Match(R"({ $.list[0].k = "v" })", kEvent));
  EXPECT_TRUE(Match(R"({ $.list[1] = 7 })", kEvent));
  EXPECT_FALSE(Match(R"({ $.list[5] = 7 })", kEvent));
  EXPECT_TRUE(Match(R"({ $.id = "3" })", kEvent));
  EXPECT_TRUE(Match(R"({ $.id = 3 })", kEvent));  // a bare value also matches the string
  EXPECT_FALSE(Match(R"({ $.type = "TaskFailed" })", "not json TaskFailed"));
}

TEST(LogsFilterTest, JsonPredicatesAndBooleanLogic) {
  EXPECT_TRUE(Match(R"({ $.nothing IS NULL })", kEvent));
  EXPECT_FALSE(Match(R"({ $.type IS NULL })", kEvent));
  EXPECT_TRUE(Match(R"({ $.absent NOT EXISTS })", kEvent));
  EXPECT_FALSE(Match(R"({ $.type NOT EXISTS })", kEvent));
  EXPECT_TRUE(Match(R"({ $.flag IS TRUE })", kEvent));
  EXPECT_TRUE(Match(R"({ $.off IS FALSE })", kEvent));
  EXPECT_FALSE(Match(R"({ $.off IS TRUE })", kEvent));
  EXPECT_TRUE(Match(R"({ $.type = "TaskFailed" && $.details.cause = "boom" })", kEvent));
  EXPECT_FALSE(Match(R"({ $.type = "TaskFailed" && $.details.cause = "other" })", kEvent));
  EXPECT_TRUE(Match(R"({ $.type = "X" || $.details.cause = "boom" })", kEvent));
  EXPECT_TRUE(Match(R"({ ($.type = "X" || $.type = "TaskFailed") && $.n > 1 })", kEvent));
  EXPECT_FALSE(Match(R"({ ($.type = "X" || $.type = "Y") && $.n > 1 })", kEvent));
  EXPECT_TRUE(Match(R"({ $.type = "X" || ($.n > 1 && $.flag IS TRUE) })", kEvent));
}

TEST(LogsFilterTest, InvalidPatternsAreRejected) {
  EXPECT_FALSE(Valid(R"({ $.type = "x" )"));
  EXPECT_FALSE(Valid(R"({ type = "x" })"));
  EXPECT_FALSE(Valid(R"({ $.type })"));
  EXPECT_FALSE(Valid(R"({ $.n > "x" })"));
  EXPECT_FALSE(Valid(R"({ ($.a = 1 })"));
  EXPECT_FALSE(Valid(R"({ $.a = 1 && })"));
  EXPECT_FALSE(Valid(R"({ $.a IS MAYBE })"));
  EXPECT_FALSE(Valid(R"("unterminated)"));
  EXPECT_FALSE(Valid("[w1, w2]"));
  EXPECT_FALSE(Valid(std::string(1025, 'a')));
  EXPECT_TRUE(Valid(R"({ $.a = 1 } )"));
}

TEST(LogsFilterTest, WildcardMatch) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("a*c", "abbbc"));
  EXPECT_TRUE(WildcardMatch("a*b*c", "aXbYc"));
  EXPECT_FALSE(WildcardMatch("a*c", "abcd"));
  EXPECT_TRUE(WildcardMatch("abc", "abc"));
  EXPECT_FALSE(WildcardMatch("abc", "ab"));
}

TEST(LogsFilterTest, ReusesTheDocumentAcrossMessages) {
  auto pattern = FilterPattern::Compile(R"({ $.type = "A" })");
  ASSERT_TRUE(pattern.has_value());
  EXPECT_TRUE(pattern->Matches(R"({"type":"A"})"));
  EXPECT_FALSE(pattern->Matches(R"({"type":"B","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxx"})"));
  EXPECT_TRUE(pattern->Matches(R"({"type":"A"})"));
  EXPECT_FALSE(pattern->Matches(R"({"type":)"));  // invalid JSON
}

}  // namespace
}  // namespace stepd::logs

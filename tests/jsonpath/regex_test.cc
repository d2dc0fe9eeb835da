#include "jsonpath/regex.h"

#include <functional>
#include <random>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace stepd {
namespace {

// Whether `pattern` (which must compile) matches the whole of `text`.
bool Matches(std::string_view pattern, std::string_view text, bool ignore_case = false) {
  const auto regex = Regex::Compile(pattern, ignore_case);
  EXPECT_TRUE(regex.has_value()) << pattern << ": " << (regex ? "" : regex.error());
  return regex.has_value() && regex->FullMatch(text);
}

// Whether `pattern` (which must compile) matches some part of `text`.
bool Finds(std::string_view pattern, std::string_view text) {
  const auto regex = Regex::Compile(pattern, false);
  EXPECT_TRUE(regex.has_value()) << pattern << ": " << (regex ? "" : regex.error());
  return regex.has_value() && regex->Search(text);
}

// Why `pattern` does not compile ("" when it does).
std::string ErrorOf(std::string_view pattern) {
  const auto regex = Regex::Compile(pattern, false);
  return regex ? std::string() : regex.error();
}

TEST(RegexTest, MatchesTheWholeText) {
  EXPECT_TRUE(Matches("foo", "foo"));
  EXPECT_FALSE(Matches("foo", "foobar"));
  EXPECT_FALSE(Matches("foo", "xfoo"));
  EXPECT_TRUE(Matches("", ""));
  EXPECT_FALSE(Matches("", "a"));
  EXPECT_TRUE(Matches("a|", ""));
  EXPECT_TRUE(Matches("b.r|f\\w+", "bar"));
  EXPECT_TRUE(Matches("b.r|f\\w+", "foo_1"));
  EXPECT_FALSE(Matches("b.r|f\\w+", "f"));
}

TEST(RegexTest, Quantifiers) {
  EXPECT_TRUE(Matches("a*", ""));
  EXPECT_TRUE(Matches("a*", "aaaa"));
  EXPECT_FALSE(Matches("a+", ""));
  EXPECT_TRUE(Matches("ab?c", "ac"));
  EXPECT_TRUE(Matches("ab?c", "abc"));
  EXPECT_FALSE(Matches("ab?c", "abbc"));
  EXPECT_FALSE(Matches("a{2,3}", "a"));
  EXPECT_TRUE(Matches("a{2,3}", "aa"));
  EXPECT_TRUE(Matches("a{2,3}", "aaa"));
  EXPECT_FALSE(Matches("a{2,3}", "aaaa"));
  EXPECT_TRUE(Matches("a{2}", "aa"));
  EXPECT_TRUE(Matches("a{2,}", "aaaaaaa"));
  EXPECT_FALSE(Matches("a{2,}", "a"));
  EXPECT_TRUE(Matches("(ab){0,2}c", "ababc"));
  EXPECT_TRUE(Matches("a+?b*?c??", "aab"));  // lazy forms match the same texts
  EXPECT_TRUE(Matches("(a*)*b", "aaab"));    // a loop that can match nothing ends
  EXPECT_TRUE(Matches("(|a)+", "aa"));
}

TEST(RegexTest, ClassesAndEscapes) {
  EXPECT_TRUE(Matches("[a-c]+", "abcab"));
  EXPECT_FALSE(Matches("[a-c]", "d"));
  EXPECT_TRUE(Matches("[^a-c]", "d"));
  EXPECT_FALSE(Matches("[^a-c]", "b"));
  EXPECT_TRUE(Matches("[-a]+", "-a"));
  EXPECT_TRUE(Matches("[a-]+", "-a"));
  EXPECT_TRUE(Matches("[]a]+", "]a"));
  EXPECT_TRUE(Matches("[+*?]{2}", "+?"));
  EXPECT_TRUE(Matches("[\\d_]+", "1_2"));
  EXPECT_TRUE(Matches("[\\D]", "x"));
  EXPECT_FALSE(Matches("[\\D]", "5"));
  EXPECT_TRUE(Matches("\\d\\D\\w\\W\\s\\S", "1a_ \tx"));
  EXPECT_FALSE(Matches("\\w", "\xC3\xA9"));  // \w is ASCII, as in Java by default
  EXPECT_TRUE(Matches("\\t\\n\\r\\f\\a\\e", "\t\n\r\f\a\x1B"));
  EXPECT_TRUE(Matches("\\x41\\x{42}\\u0043\\0104\\cA", "ABCD\x01"));
  EXPECT_TRUE(Matches("\\u00e9", "\xC3\xA9"));
  EXPECT_TRUE(Matches("a\\.b\\/c\\\\", "a.b/c\\"));
  EXPECT_TRUE(Matches("\\Q.*+\\E+", ".*++"));
  EXPECT_TRUE(Matches("\\Q(a", "(a"));  // \Q runs to the end without \E
  EXPECT_TRUE(Matches("(?:ab)+(?<name>c)", "ababc"));
}

TEST(RegexTest, DotIsOneCodePointButNoLineTerminator) {
  EXPECT_TRUE(Matches(".", "\xC3\xA9"));          // é: two bytes, one code point
  EXPECT_TRUE(Matches(".", "\xF0\x9F\x98\x80"));  // an emoji: four bytes
  EXPECT_FALSE(Matches("..", "\xC3\xA9"));
  EXPECT_TRUE(Matches("[^a]", "\xE2\x82\xAC"));  // €
  EXPECT_TRUE(Matches("[\\u00e0-\\u00ff]", "\xC3\xA9"));
  for (std::string_view terminator : {"\n", "\r", "\xC2\x85", "\xE2\x80\xA8", "\xE2\x80\xA9"}) {
    EXPECT_FALSE(Matches(".", terminator)) << terminator;
  }
  // A byte that starts no valid UTF-8 sequence is one code point that only `.` and negated
  // classes match.
  EXPECT_TRUE(Matches(".", "\xFF"));
  EXPECT_TRUE(Matches("[^a]", "\xC3"));
  EXPECT_FALSE(Matches("[\\u0000-\\uffff]", "\xFF"));
  EXPECT_TRUE(Matches("a.b",
                      "a\xC3"
                      "b"));
}

TEST(RegexTest, Anchors) {
  EXPECT_TRUE(Matches("^ab$", "ab"));
  EXPECT_TRUE(Matches("ab$", "ab"));
  // `$` may stand before a final line terminator, but the whole text must still match.
  EXPECT_FALSE(Matches("ab$", "ab\n"));
  EXPECT_TRUE(Matches("ab$\\n", "ab\n"));
  EXPECT_FALSE(Matches("ab\\z\\n", "ab\n"));
  EXPECT_TRUE(Matches("ab\\Z\\r\\n", "ab\r\n"));
  EXPECT_FALSE(Matches("a^b", "ab"));
  EXPECT_TRUE(Matches("\\Aab", "ab"));
  EXPECT_TRUE(Matches("\\bab\\b c", "ab c"));
  EXPECT_FALSE(Matches("a\\bb", "ab"));
  EXPECT_TRUE(Matches("a\\Bb", "ab"));
  EXPECT_TRUE(Matches(".*\\bfox\\b.*", "the fox jumps"));
  EXPECT_FALSE(Matches(".*\\bfox\\b.*", "the foxes"));
}

TEST(RegexTest, IgnoringCaseFoldsAsciiLettersOnly) {
  EXPECT_TRUE(Matches("foo", "FoO", true));
  EXPECT_TRUE(Matches("[a-c]+", "AbC", true));
  EXPECT_FALSE(Matches("[^a]", "A", true));
  EXPECT_TRUE(Matches(".*REES", "Nigel Rees", true));
  EXPECT_FALSE(Matches("\xC3\xA9", "\xC3\x89", true));  // é and É: Java needs UNICODE_CASE
  EXPECT_FALSE(Matches("foo", "FOO"));
}

TEST(RegexTest, RefusesWhatNeedsBacktrackingOrJavaAlone) {
  const std::vector<std::pair<std::string_view, std::string_view>> refused = {
      {"(a)\\1", "back-references"},
      {"(?<n>a)\\k<n>", "back-references"},
      {"a(?=b)", "lookahead and lookbehind"},
      {"a(?!b)", "lookahead and lookbehind"},
      {"(?<=a)b", "lookahead and lookbehind"},
      {"(?<!a)b", "lookahead and lookbehind"},
      {"(?>a)", "atomic groups"},
      {"(?i)a", "inline flags"},
      {"a*+", "possessive"},
      {"a**", "cannot follow another"},
      {"a{2}*", "cannot follow another"},
      {"a+??", "cannot follow another"},
      {"[a[b]]", "nested character classes"},
      {"[a-z&&[^b]]", "intersections"},
      {"*a", "nothing to repeat"},
      {"a|?", "nothing to repeat"},
      {"{2}", "nothing to repeat"},
      {"(a", "unclosed group"},
      {"a)", "unmatched ')'"},
      {"[ab", "unclosed character class"},
      {"[b-a]", "out of order"},
      {"a{2", "unclosed repetition count"},
      {"a{,2}", "needs a count"},
      {"a{3,2}", "upper count is below"},
      {"\\p{L}", "\\p is not supported"},
      {"\\G", "\\G is not supported"},
      {"\\xZZ", "hexadecimal"},
      {"a\\", "lone backslash"},
      {"(a{1000}){1000}", "too large"},
      {"a{99999}", "too large"},
  };
  for (const auto& [pattern, problem] : refused) {
    EXPECT_NE(ErrorOf(pattern).find(problem), std::string::npos)
        << pattern << " -> " << ErrorOf(pattern);
  }
  EXPECT_NE(ErrorOf(std::string(100, '(') + std::string(100, ')')).find("nested too deeply"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(std::string(60, '(') + "a" + std::string(60, ')')), "");
}

TEST(RegexTest, SearchFindsAMatchAnywhere) {
  EXPECT_TRUE(Finds("fox", "the fox jumps"));
  EXPECT_FALSE(Finds("fox", "the fo x"));
  EXPECT_TRUE(Finds("", ""));
  EXPECT_TRUE(Finds("x*", "abc"));  // the empty match at the start
  EXPECT_TRUE(Finds("[Ee]rror|[Ff]ail", "a Failure"));
  EXPECT_FALSE(Finds("[Ee]rror|[Ff]ail", "all fine"));
  EXPECT_TRUE(Finds("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}", "from 10.0.12.7:443"));
  EXPECT_FALSE(Finds("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}", "from 10.0.12:443"));
  // The anchors still mean the text's start and end.
  EXPECT_TRUE(Finds("^[hc]at", "cat nap"));
  EXPECT_FALSE(Finds("^[hc]at", "a cat"));
  EXPECT_TRUE(Finds("[hc]at$", "a hat"));
  EXPECT_TRUE(Finds("[hc]at$", "a hat\n"));
  EXPECT_FALSE(Finds("[hc]at$", "hats"));
  EXPECT_TRUE(Finds("\\bfox\\b", "a fox."));
  EXPECT_FALSE(Finds("\\bfox\\b", "foxes"));
  // A match may start after a partial one fails, and overlap it.
  EXPECT_TRUE(Finds("aab", "aaab"));
  EXPECT_TRUE(Finds("abab", "ababab"));
}

TEST(RegexTest, NestedRepetitionsDoNotBacktrack) {
  // Each takes exponential time, or overflows the stack, in a backtracking matcher.
  const std::string as(100000, 'a');
  EXPECT_FALSE(Matches("(a+)+b", as));
  EXPECT_FALSE(Matches("(a|aa)*c", as));
  EXPECT_FALSE(Matches("(.*)*x", as));
  EXPECT_TRUE(Matches("(a|aa)*", as));
  std::string abs;
  for (int i = 0; i < 100000; ++i) {
    abs += "ab";
  }
  EXPECT_TRUE(Matches("(ab|c)*", abs));
  // Searching starts a thread at every position, and still takes one pass.
  EXPECT_FALSE(Finds("a*a*a*a*a*b", as));
  EXPECT_FALSE(Finds("(a+)+b", as));
  EXPECT_TRUE(Finds("a{5}$", as));
}

// Random patterns over a small alphabet, where Java's and ECMAScript's semantics agree, give
// the same answers here and in std::regex (on texts short enough for it to backtrack through).
TEST(RegexTest, AgreesWithStdRegexOnRandomPatterns) {
  std::mt19937 random(20261121);
  const auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  std::function<std::string(int)> pattern = [&](int depth) {
    std::string out;
    const int atoms = 1 + pick(3);
    for (int i = 0; i < atoms; ++i) {
      switch (depth > 2 ? pick(4) : pick(6)) {
        case 0:
          out += "a";
          break;
        case 1:
          out += "b";
          break;
        case 2:
          out += pick(2) == 0 ? "." : "[ab]";
          break;
        case 3:
          out += "[^a]";
          break;
        case 4:
          out += "(" + pattern(depth + 1) + ")";
          break;
        default:
          out += "(" + pattern(depth + 1) + "|" + pattern(depth + 1) + ")";
          break;
      }
      static constexpr std::string_view kQuantifiers[] = {"", "", "*", "+", "?", "{1,2}", "{2}"};
      out += kQuantifiers[pick(7)];
    }
    return out;
  };
  int matched = 0;
  for (int p = 0; p < 200; ++p) {
    const std::string text_pattern = pattern(0);
    const auto ours = Regex::Compile(text_pattern, false);
    ASSERT_TRUE(ours.has_value()) << text_pattern << ": " << ours.error();
    const std::regex theirs(text_pattern, std::regex::ECMAScript);
    for (int t = 0; t < 25; ++t) {
      std::string text;
      const int length = pick(9);
      for (int i = 0; i < length; ++i) {
        text += "abc"[pick(3)];
      }
      const bool expected = std::regex_match(text, theirs);
      matched += expected ? 1 : 0;
      ASSERT_EQ(ours->FullMatch(text), expected) << "/" << text_pattern << "/ on '" << text << "'";
      ASSERT_EQ(ours->Search(text), std::regex_search(text, theirs))
          << "/" << text_pattern << "/ in '" << text << "'";
    }
  }
  EXPECT_GT(matched, 250);  // the texts exercise matches, not only failures
}

}  // namespace
}  // namespace stepd

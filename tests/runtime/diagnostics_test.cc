#include "runtime/diagnostics.h"

#include <gtest/gtest.h>

namespace stepd::runtime {
namespace {

TEST(DiagnosticsTest, DescribeJoinsErrorsAndSkipsWarnings) {
  const Diagnostics diagnostics = {
      {Severity::kError, "SCHEMA_VALIDATION_FAILED", "These fields are required: [States]", "/"},
      {Severity::kWarning, "NO_DOLLAR", "looks like a path", "/States/A/Parameters/x"},
      {Severity::kError, "MISSING_TRANSITION_TARGET", "Missing 'Next' target: B", "/States/A/Next"},
  };
  EXPECT_TRUE(HasErrors(diagnostics));
  EXPECT_EQ(Describe(diagnostics),
            "SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /, "
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next");
}

TEST(DiagnosticsTest, WarningsAloneAreNotErrors) {
  EXPECT_FALSE(HasErrors({{Severity::kWarning, "NO_DOLLAR", "x", ""}}));
  EXPECT_FALSE(HasErrors({}));
}

}  // namespace
}  // namespace stepd::runtime

// `stepd serve`'s command line: what it refuses before it starts anything.

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "service/cli/commands.h"

namespace stepd::cli {
namespace {

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome Serve(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  std::streambuf* const old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* const old_err = std::cerr.rdbuf(err.rdbuf());
  const int status = ServeCommand(args);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return {status, out.str(), err.str()};
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST(ServeCommandTest, HelpDocumentsTheLogFlags) {
  const Outcome help = Serve({"--help"});
  EXPECT_EQ(help.status, kExitOk);
  EXPECT_NE(help.out.find("[--log-level LEVEL] [--log-format FORMAT]"), std::string::npos);
  EXPECT_NE(help.out.find("  --log-level LEVEL    stepd's own log: trace, debug, info, warn, "
                          "error or off (default info)"),
            std::string::npos)
      << help.out;
  EXPECT_NE(help.out.find("  --log-format FORMAT  text (default) or json"), std::string::npos)
      << help.out;
}

TEST(ServeCommandTest, AnUnknownLogLevelIsAUsageError) {
  for (const std::string bad : {"verbose", "INFO", "warning", ""}) {
    const Outcome outcome = Serve({"--log-level", bad, "--port", "0"});
    EXPECT_EQ(outcome.status, kExitUsage) << bad;
    EXPECT_EQ(FirstLine(outcome.err),
              "stepd serve: --log-level must be one of trace, debug, info, warn, error, off");
    EXPECT_NE(outcome.err.find("usage: stepd serve"), std::string::npos) << "usage follows";
    EXPECT_EQ(outcome.out, "") << "nothing on stdout, no ready line";
  }
}

TEST(ServeCommandTest, AnUnknownLogFormatIsAUsageError) {
  for (const std::string bad : {"xml", "JSON", "logfmt"}) {
    const Outcome outcome = Serve({"--log-format=" + bad});
    EXPECT_EQ(outcome.status, kExitUsage) << bad;
    EXPECT_EQ(FirstLine(outcome.err), "stepd serve: --log-format must be text or json");
    EXPECT_EQ(outcome.out, "");
  }
}

TEST(ServeCommandTest, LogFlagsNeedAValue) {
  for (const std::string flag : {"--log-level", "--log-format"}) {
    const Outcome outcome = Serve({flag});
    EXPECT_EQ(outcome.status, kExitUsage) << flag;
    EXPECT_EQ(FirstLine(outcome.err), "stepd serve: " + flag + " needs a value");
  }
}

}  // namespace
}  // namespace stepd::cli

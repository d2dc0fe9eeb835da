// stepd: runs AWS Step Functions state machines (Amazon States Language) as Express workflows.
// The only place that wires every module together; each subcommand lives in service/cli/.

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "service/cli/commands.h"

namespace {

constexpr const char* kUsage = R"(usage: stepd COMMAND [ARGS...]

Runs AWS Step Functions state machines (Amazon States Language) as Express workflows.

Commands:
  serve      serve the AWS Step Functions API and native endpoints over HTTP
  run        run one execution of a definition and print its outcome as JSON
  validate   check a definition as AWS does and print every problem as JSON
  bench      run a workload in process and report throughput, latency and allocations

Options:
  -h, --help       show this help; `stepd COMMAND --help` shows a command's
  -V, --version    print the version

Exit status: 0 on success, 1 when an execution failed or a definition is invalid, 2 on a
usage error.
)";

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return stepd::cli::kExitUsage;
  }
  const std::string_view command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return stepd::cli::kExitOk;
  }
  if (command == "-V" || command == "--version") {
    std::cout << "stepd " << STEPD_VERSION << "\n";
    return stepd::cli::kExitOk;
  }
  if (command == "serve") {
    return stepd::cli::ServeCommand(rest);
  }
  if (command == "run") {
    return stepd::cli::RunCommand(rest);
  }
  if (command == "validate") {
    return stepd::cli::ValidateCommand(rest);
  }
  if (command == "bench") {
    return stepd::cli::BenchCommand(rest);
  }
  std::cerr << "stepd: unknown command '" << command << "'\n" << kUsage;
  return stepd::cli::kExitUsage;
}

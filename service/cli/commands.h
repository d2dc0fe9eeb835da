#pragma once
// stepd's subcommands. Each takes the arguments after its name, prints its own usage on
// --help or a usage error, and returns the process exit code.

#include <string>
#include <vector>

namespace stepd::cli {

// Exit codes shared by the commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the execution failed / the definition is invalid
inline constexpr int kExitUsage = 2;   // bad command line, unreadable file, invalid definition

int RunCommand(const std::vector<std::string>& args);
int ValidateCommand(const std::vector<std::string>& args);
int BenchCommand(const std::vector<std::string>& args);
int ServeCommand(const std::vector<std::string>& args);

}  // namespace stepd::cli

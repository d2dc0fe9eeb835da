#include <iostream>

#include "jsonpath/writer.h"
#include "runtime/validator.h"
#include "service/cli/args.h"
#include "service/cli/commands.h"

namespace stepd::cli {

namespace {

constexpr const char* kUsage = R"(usage: stepd validate DEFINITION [--standard]

Checks an Amazon States Language definition as AWS does at CreateStateMachine and prints every
problem at once, as ValidateStateMachineDefinition would:
  {"result":"OK"|"FAIL","diagnostics":[{"severity","code","message","location"}...]}

  DEFINITION   path of the definition file, or - for standard input
  --standard   validate for a STANDARD state machine (default: EXPRESS)

Exit status: 0 when the definition is valid, 1 when it is not, 2 on a usage error.
)";

}  // namespace

int ValidateCommand(const std::vector<std::string>& args) {
  const ParsedArgs parsed = ParseArgs(args, {{"help"}, {"standard"}});
  if (parsed.Has("help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (!parsed.error.empty() || parsed.positional.size() != 1) {
    std::cerr << "stepd validate: "
              << (parsed.error.empty() ? "expected one DEFINITION" : parsed.error) << "\n"
              << kUsage;
    return kExitUsage;
  }
  std::string error;
  const auto text = ReadInput(parsed.positional[0], error);
  if (!text) {
    std::cerr << "stepd validate: " << error << "\n";
    return kExitUsage;
  }
  runtime::ValidationOptions options;
  options.type =
      parsed.Has("standard") ? runtime::MachineType::kStandard : runtime::MachineType::kExpress;
  const runtime::Diagnostics diagnostics = runtime::ValidateDefinition(*text, options);
  const bool ok = !runtime::HasErrors(diagnostics);
  std::string out =
      ok ? R"({"result":"OK","diagnostics":[)" : R"({"result":"FAIL","diagnostics":[)";
  for (std::size_t i = 0; i < diagnostics.size(); ++i) {
    const runtime::Diagnostic& d = diagnostics[i];
    out += i == 0 ? "{" : ",{";
    out += d.severity == runtime::Severity::kError ? R"("severity":"ERROR","code":)"
                                                   : R"("severity":"WARNING","code":)";
    AppendJsonString(d.code, out);
    out += R"(,"message":)";
    AppendJsonString(d.message, out);
    out += R"(,"location":)";
    AppendJsonString(d.location, out);
    out += "}";
  }
  out += "]}";
  std::cout << out << "\n";
  return ok ? kExitOk : kExitFailed;
}

}  // namespace stepd::cli

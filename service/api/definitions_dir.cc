#include "service/api/definitions_dir.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"

namespace stepd::service {

namespace {

constexpr std::string_view kDefinitionSuffix = ".asl.json";
constexpr std::string_view kConfigSuffix = ".config.json";
constexpr std::string_view kCode = "InvalidDefinitionsDirectory";

ApiError DirectoryError(const std::filesystem::path& path, std::string_view problem) {
  return ApiError{std::string(kCode), path.string() + ": " + std::string(problem), 400};
}

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return std::nullopt;
  }
  return std::move(text).str();
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() && text.ends_with(suffix);
}

// Builds the CreateStateMachine request body for `name`: the definition text plus the
// sidecar's members (or the defaults).
ApiResult<std::string> CreateRequest(const std::filesystem::path& dir, const std::string& name,
                                     const std::string& definition, const ServiceConfig& config,
                                     std::vector<std::string>& warnings) {
  std::string body = R"({"name":)";
  AppendJsonString(name, body);
  body += R"(,"definition":)";
  AppendJsonString(definition, body);

  bool has_type = false;
  bool has_role = false;
  const std::filesystem::path sidecar = dir / (name + std::string(kConfigSuffix));
  std::error_code ec;
  if (std::filesystem::exists(sidecar, ec)) {
    const std::optional<std::string> text = ReadFile(sidecar);
    if (!text) {
      return Unexpected(DirectoryError(sidecar, "cannot be read"));
    }
    Document document;
    const Result<Value> parsed = document.Parse(*text);
    if (!parsed || !parsed->IsObject()) {
      return Unexpected(DirectoryError(
          sidecar, parsed ? "must be a JSON object"
                          : "is not valid JSON: " + std::string(parsed.error().cause)));
    }
    constexpr std::string_view kMembers[] = {"type", "roleArn", "loggingConfiguration",
                                             "tracingConfiguration", "tags"};
    parsed->ForEachMember([&](std::string_view key, Value value) {
      if (std::find(std::begin(kMembers), std::end(kMembers), key) == std::end(kMembers)) {
        warnings.push_back(sidecar.string() + ": member '" + std::string(key) +
                           "' is not a CreateStateMachine member and is ignored");
        return;
      }
      has_type = has_type || key == "type";
      has_role = has_role || key == "roleArn";
      body += ',';
      AppendJsonString(key, body);
      body += ':';
      AppendJson(value, body);
    });
  }
  if (!has_type) {
    body += R"(,"type":"EXPRESS")";
  }
  if (!has_role) {
    body += R"(,"roleArn":)";
    AppendJsonString("arn:" + config.partition + ":iam::" + config.account + ":role/stepd", body);
  }
  body += '}';
  return body;
}

}  // namespace

ApiResult<std::size_t> LoadDefinitionsDirectory(const std::filesystem::path& dir,
                                                ControlPlane& control_plane,
                                                std::vector<std::string>& warnings) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return Unexpected(DirectoryError(dir, "cannot be listed: " + ec.message()));
  }
  std::vector<std::string> definitions;  // names
  std::vector<std::string> sidecars;     // names
  for (const std::filesystem::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) {
      return Unexpected(DirectoryError(dir, "cannot be listed: " + ec.message()));
    }
    if (!it->is_regular_file(ec)) {
      continue;
    }
    const std::string file = it->path().filename().string();
    if (EndsWith(file, kDefinitionSuffix)) {
      definitions.push_back(file.substr(0, file.size() - kDefinitionSuffix.size()));
    } else if (EndsWith(file, kConfigSuffix)) {
      sidecars.push_back(file.substr(0, file.size() - kConfigSuffix.size()));
    }
  }
  if (ec) {
    return Unexpected(DirectoryError(dir, "cannot be listed: " + ec.message()));
  }
  std::sort(definitions.begin(), definitions.end());
  for (const std::string& name : sidecars) {
    if (std::find(definitions.begin(), definitions.end(), name) == definitions.end()) {
      warnings.push_back((dir / (name + std::string(kConfigSuffix))).string() + ": no " + name +
                         std::string(kDefinitionSuffix) + " beside it; ignored");
    }
  }

  RequestBody request;
  for (const std::string& name : definitions) {
    const std::filesystem::path file = dir / (name + std::string(kDefinitionSuffix));
    const std::optional<std::string> definition = ReadFile(file);
    if (!definition) {
      return Unexpected(DirectoryError(file, "cannot be read"));
    }
    STEPD_ASSIGN_OR_RETURN(const std::string body,
                           CreateRequest(dir, name, *definition, control_plane.config(), warnings));
    if (std::optional<ApiError> error = request.Parse(body)) {
      return Unexpected(DirectoryError(file, error->message));
    }
    std::optional<ApiResult<std::string>> created =
        control_plane.Handle("CreateStateMachine", request);
    if (!created || !*created) {
      ApiError error = created ? std::move(*created).error()
                               : ApiError{std::string(kCode), "CreateStateMachine unavailable"};
      error.message = file.string() + ": " + error.message;
      return Unexpected(std::move(error));
    }
  }
  return definitions.size();
}

}  // namespace stepd::service

#include "jsonpath/eval_context.h"

namespace stepd {

VariableId VariableTable::Intern(std::string_view name) {
  if (auto found = Find(name)) {
    return *found;
  }
  const auto id = static_cast<VariableId>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  return id;
}

std::optional<VariableId> VariableTable::Find(std::string_view name) const {
  const auto it = ids_.find(std::string(name));
  if (it == ids_.end()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace stepd

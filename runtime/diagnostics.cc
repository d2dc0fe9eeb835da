#include "runtime/diagnostics.h"

namespace stepd::runtime {

bool HasErrors(const Diagnostics& diagnostics) {
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Severity::kError) {
      return true;
    }
  }
  return false;
}

std::string Describe(const Diagnostics& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity != Severity::kError) {
      continue;
    }
    if (!out.empty()) {
      out += ", ";
    }
    out += d.code;
    out += ": ";
    out += d.message;
    if (!d.location.empty()) {
      out += " at ";
      out += d.location;
    }
  }
  return out;
}

}  // namespace stepd::runtime

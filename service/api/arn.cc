#include "service/api/arn.h"

#include <cstdint>
#include <random>

namespace stepd::service {

namespace {

void AppendPrefix(const ServiceConfig& config, std::string& out) {
  out += "arn:";
  out += config.partition;
  out += ":states:";
  out += config.region;
  out += ':';
  out += config.account;
  out += ':';
}

// Consumes "<field>:" from the front of `rest`; false when there is no ':'.
bool TakeField(std::string_view& rest, std::string_view& field) {
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  field = rest.substr(0, colon);
  rest.remove_prefix(colon + 1);
  return true;
}

// Length of the UTF-8 sequence starting at `s[i]` if it is valid and not a forbidden code
// point; 0 otherwise.
std::size_t ValidNameCharLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    if (lead < 0x20 || lead == 0x7F) {
      return 0;
    }
    constexpr std::string_view kForbidden = " <>{}[]?*\"#%\\^|~`$&,;:/";
    return kForbidden.find(static_cast<char>(lead)) == std::string_view::npos ? 1 : 0;
  }
  std::size_t length = 0;
  std::uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return 0;
  }
  if (i + length > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return 0;
    }
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  const bool overlong = code < kMinForLength[length];
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  const bool c1_control = code >= 0x7F && code <= 0x9F;
  const bool nonchar = code == 0xFFFE || code == 0xFFFF;
  const bool whitespace = code == 0x85 || code == 0xA0 || code == 0x1680 ||
                          (code >= 0x2000 && code <= 0x200A) || code == 0x2028 || code == 0x2029 ||
                          code == 0x202F || code == 0x205F || code == 0x3000;
  if (overlong || surrogate || c1_control || nonchar || whitespace || code > 0x10FFFF) {
    return 0;
  }
  return length;
}

}  // namespace

std::string StateMachineArn(const ServiceConfig& config, std::string_view name) {
  std::string out;
  AppendPrefix(config, out);
  out += "stateMachine:";
  out += name;
  return out;
}

void AppendExpressExecutionArn(const ServiceConfig& config, std::string_view machine,
                               std::string_view execution, std::string_view uuid,
                               std::string& out) {
  AppendPrefix(config, out);
  out += "express:";
  out += machine;
  out += ':';
  out += execution;
  out += ':';
  out += uuid;
}

StateMachineArnParts ParseStateMachineArn(const ServiceConfig& config, std::string_view arn) {
  std::string_view rest = arn;
  std::string_view scheme, partition, service, region, account, type;
  if (!TakeField(rest, scheme) || scheme != "arn" || !TakeField(rest, partition) ||
      !TakeField(rest, service) || service != "states" || !TakeField(rest, region) ||
      !TakeField(rest, account) || !TakeField(rest, type) || type != "stateMachine" ||
      rest.empty() || partition.empty() || region.empty() || account.empty()) {
    return {ArnCheck::kMalformed, {}};
  }
  const std::string_view name = rest.substr(0, rest.find(':'));
  if (name.empty() || name.size() > 80) {
    return {ArnCheck::kMalformed, {}};
  }
  const bool qualified = name.size() != rest.size();
  if (qualified || partition != config.partition || region != config.region ||
      account != config.account) {
    return {ArnCheck::kElsewhere, name};
  }
  return {ArnCheck::kOurs, name};
}

bool IsValidResourceName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  std::size_t characters = 0;
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t length = ValidNameCharLength(name, i);
    if (length == 0) {
      return false;
    }
    i += length;
    ++characters;
  }
  return characters <= 80;
}

Uuid RandomUuid() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const std::uint64_t high = (generator() & 0xFFFFFFFFFFFF0FFFull) | 0x4000ull;  // version 4
  const std::uint64_t low = (generator() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  constexpr char kHex[] = "0123456789abcdef";
  Uuid uuid{};
  std::size_t at = 0;
  const auto put = [&](std::uint64_t bits, int nibbles) {
    for (int shift = (nibbles - 1) * 4; shift >= 0; shift -= 4) {
      uuid.text[at++] = kHex[(bits >> shift) & 0xF];
    }
  };
  put(high >> 32, 8);
  uuid.text[at++] = '-';
  put(high >> 16, 4);
  uuid.text[at++] = '-';
  put(high, 4);
  uuid.text[at++] = '-';
  put(low >> 48, 4);
  uuid.text[at++] = '-';
  put(low, 12);
  return uuid;
}

}  // namespace stepd::service

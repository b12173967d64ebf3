#include "dataplane/detect/policy.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <set>


namespace sluice::detect {

namespace {

constexpr const char* kDetectorNames[kDetectorCount] = {
    "enumeration", "scraping", "exfiltration", "auth_failures", "forced_browsing", "baseline_deviation",
};

// One settable key: a parser that writes the value or returns false with an error.
using KeyParser = std::function<bool(const YAML::Node&, const std::string& key, std::string*)>;

// A range bound as the operator would write it: 64, not 64.000000; 0.5 stays 0.5.
std::string FormatBound(double bound) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.15g", bound);
  return text;
}

template <typename T>
KeyParser Number(T* out, double minimum, double maximum) {
  return [out, minimum, maximum](const YAML::Node& node, const std::string& key, std::string* error) {
    double value = 0;
    try {
      value = node.as<double>();
    } catch (const YAML::Exception&) {
      *error = "'" + key + "' must be a number";
      return false;
    }
    if (!(value >= minimum && value <= maximum)) {
      *error = "'" + key + "' is " + node.as<std::string>() + ", outside " + FormatBound(minimum) +
               " to " + FormatBound(maximum);
      return false;
    }
    *out = static_cast<T>(value);
    return true;
  };
}

KeyParser Bool(bool* out) {
  return [out](const YAML::Node& node, const std::string& key, std::string* error) {
    try {
      *out = node.as<bool>();
      return true;
    } catch (const YAML::Exception&) {
      *error = "'" + key + "' must be true or false";
      return false;
    }
  };
}

bool ParseAction(const std::string& text, Action* action) {
  if (text == "log") *action = Action::kLog;
  else if (text == "tag") *action = Action::kTag;
  else if (text == "block") *action = Action::kBlock;
  else return false;
  return true;
}

// "10.0.0.0/8", "192.0.2.7", "2001:db8::/32". False when `text` is not a network.
bool ParseNetwork(const std::string& text, Network* network) {
  const size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  if (inet_pton(AF_INET, address.c_str(), network->ip) == 1) {
    network->version = 4;
    network->prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), network->ip) == 1) {
    network->version = 6;
    network->prefix = 128;
  } else {
    return false;
  }
  if (slash == std::string::npos) return true;
  const std::string bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) return false;
  const int prefix = std::stoi(bits);
  if (prefix > network->prefix) return false;
  network->prefix = static_cast<uint8_t>(prefix);
  return true;
}

KeyParser Allow(AllowList* list) {
  return [list](const YAML::Node& node, const std::string& key, std::string* error) {
    if (!node.IsSequence()) {
      *error = "'" + key + "' must be a list of networks (CIDR) or client identities";
      return false;
    }
    list->networks.clear();
    list->identities.clear();
    for (const YAML::Node& entry : node) {
      if (!entry.IsScalar()) {
        *error = "'" + key + "' entries must be strings";
        return false;
      }
      const std::string text = entry.as<std::string>();
      Network network;
      if (ParseNetwork(text, &network)) {
        list->networks.push_back(network);
      } else if (text.find('/') != std::string::npos && text.find_first_of(".:") != std::string::npos) {
        *error = "'" + key + "' has '" + text + "', which is not a valid network (example: 10.0.0.0/8)";
        return false;
      } else {
        list->identities.push_back(text);
      }
    }
    return true;
  };
}

KeyParser ActionKey(Action* action) {
  return [action](const YAML::Node& node, const std::string& key, std::string* error) {
    if (!node.IsScalar()) {
      *error = "'" + key + "' must be log, tag or block";
      return false;
    }
    if (!ParseAction(node.Scalar(), action)) {
      *error = "'" + key + "' must be log, tag or block, got '" + node.Scalar() + "'";
      return false;
    }
    return true;
  };
}

bool ParseMap(const YAML::Node& node, const std::string& prefix, const std::map<std::string, KeyParser>& keys,
              std::string* error) {
  if (!node.IsMap()) {
    *error = "'" + prefix + "' must be a mapping";
    return false;
  }
  // Every key is checked, so that one update reports all its errors, one per line.
  bool ok = true;
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const auto match = keys.find(key);
    std::string key_error;
    if (!seen.insert(key).second) {
      key_error = "'" + prefix + "." + key + "' is given twice";
    } else if (match == keys.end()) {
      key_error = "unknown key '" + prefix + "." + key + "'";
    } else if (match->second(entry.second, prefix + "." + key, &key_error)) {
      continue;
    }
    if (!ok) *error += "\n";
    *error += key_error;
    ok = false;
  }
  return ok;
}

void AddCommon(DetectorCommon* common, std::map<std::string, KeyParser>* keys) {
  (*keys)["enabled"] = Bool(&common->enabled);
  (*keys)["action"] = ActionKey(&common->action);
  (*keys)["window_s"] = Number(&common->window_s, 1, 7 * 86400);
  (*keys)["allow"] = Allow(&common->allow);
}

KeyParser Section(std::map<std::string, KeyParser> keys) {
  return [keys](const YAML::Node& node, const std::string& key, std::string* error) {
    return ParseMap(node, key, keys, error);
  };
}

KeyParser IdentityKey(IdentitySettings* identity) {
  return [identity](const YAML::Node& node, const std::string& key, std::string* error) {
    std::string kind;
    std::map<std::string, KeyParser> keys;
    keys["kind"] = [&kind](const YAML::Node& value, const std::string&, std::string*) {
      kind = value.as<std::string>();
      return true;
    };
    keys["header"] = [identity](const YAML::Node& value, const std::string& name, std::string* message) {
      std::string header = value.as<std::string>();
      if (header.empty() || header.size() > 64 || header.find_first_of(" :\t\r\n") != std::string::npos) {
        *message = "'" + name + "' must be a header name of 1 to 64 characters";
        return false;
      }
      for (char& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      identity->header = header;
      return true;
    };
    if (!ParseMap(node, key, keys, error)) return false;
    if (kind.empty()) return true;
    static const std::map<std::string, ClientKind> kKinds = {{"ip", ClientKind::kIp},
                                                             {"api_key", ClientKind::kApiKey},
                                                             {"bearer", ClientKind::kBearer},
                                                             {"jwt_sub", ClientKind::kJwtSub},
                                                             {"basic_user", ClientKind::kBasicUser}};
    const auto found = kKinds.find(kind);
    if (found == kKinds.end()) {
      *error = "'" + key + ".kind' is '" + kind + "'; expected ip, api_key, bearer, jwt_sub or basic_user";
      return false;
    }
    identity->kind = found->second;
    return true;
  };
}

std::map<std::string, KeyParser> PolicyKeys(DetectorPolicy* policy) {
  std::map<std::string, KeyParser> keys;
  keys["enabled"] = Bool(&policy->enabled);
  keys["identity"] = IdentityKey(&policy->identity);
  keys["tracked_per_worker"] = Number(&policy->tracked_per_worker, 64, 1u << 24);
  keys["flagged_per_worker"] = Number(&policy->flagged_per_worker, 16, 1u << 22);
  keys["endpoints_per_worker"] = Number(&policy->endpoints_per_worker, 16, 1u << 22);
  keys["event_ring_size"] = Number(&policy->event_ring_size, 64, 1u << 20);
  keys["finding_ttl_s"] = Number(&policy->finding_ttl_s, 1, 30 * 86400);
  keys["inventory_interval_s"] = Number(&policy->inventory_interval_s, 1, 86400);
  // Values above kEventTemplateBytes are accepted, as earlier versions did, and act as it.
  keys["max_template_bytes"] = Number(&policy->max_template_bytes, 16, 1024);

  std::map<std::string, KeyParser> enumeration;
  AddCommon(&policy->enumeration.common, &enumeration);
  enumeration["min_distinct_ids"] = Number(&policy->enumeration.min_distinct_ids, 2, 1000);
  enumeration["min_sequential_share"] = Number(&policy->enumeration.min_sequential_share, 0, 1);
  enumeration["min_failure_share"] = Number(&policy->enumeration.min_failure_share, 0, 1);
  enumeration["any_pattern_distinct_ids"] = Number(&policy->enumeration.any_pattern_distinct_ids, 2, 1000);
  keys["enumeration"] = Section(enumeration);

  std::map<std::string, KeyParser> scraping;
  AddCommon(&policy->scraping.common, &scraping);
  scraping["min_advances"] = Number(&policy->scraping.min_advances, 2, 1000000);
  scraping["large_page_size"] = Number(&policy->scraping.large_page_size, 1, 1000000000);
  scraping["large_page_weight"] = Number(&policy->scraping.large_page_weight, 1, 1000);
  keys["scraping"] = Section(scraping);

  std::map<std::string, KeyParser> exfiltration;
  AddCommon(&policy->exfiltration.common, &exfiltration);
  exfiltration["min_response_bytes"] = Number(&policy->exfiltration.min_response_bytes, 1, 1e15);
  exfiltration["min_pii_items"] = Number(&policy->exfiltration.min_pii_items, 1, 1e9);
  exfiltration["baseline_factor"] = Number(&policy->exfiltration.baseline_factor, 1, 1e6);
  exfiltration["min_baseline_bytes"] = Number(&policy->exfiltration.min_baseline_bytes, 1, 1e15);
  keys["exfiltration"] = Section(exfiltration);

  for (auto [name, settings] : {std::pair{"auth_failures", &policy->auth_failures},
                                std::pair{"forced_browsing", &policy->forced_browsing}}) {
    std::map<std::string, KeyParser> burst;
    AddCommon(&settings->common, &burst);
    burst["min_count"] = Number(&settings->min_count, 1, 1000000);
    keys[name] = Section(burst);
  }

  std::map<std::string, KeyParser> baseline;
  AddCommon(&policy->baseline.common, &baseline);
  baseline["learning_calls"] = Number(&policy->baseline.learning_calls, 1, 1e9);
  baseline["learning_s"] = Number(&policy->baseline.learning_s, 0, 30 * 86400);
  baseline["size_factor"] = Number(&policy->baseline.size_factor, 1, 1e6);
  baseline["min_outliers"] = Number(&policy->baseline.min_outliers, 1, 1000000);
  keys["baseline_deviation"] = Section(baseline);
  return keys;
}

bool InNetwork(const Network& network, uint8_t version, const uint8_t* ip) {
  if (network.version != version) return false;
  const uint32_t full = network.prefix / 8;
  if (std::memcmp(network.ip, ip, full) != 0) return false;
  const uint32_t rest = network.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (network.ip[full] & mask) == (ip[full] & mask);
}

}  // namespace

const char* DetectorName(Detector detector) {
  const auto index = static_cast<int>(detector);
  return index < kDetectorCount ? kDetectorNames[index] : "unknown";
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kLog: return "log";
    case Action::kTag: return "tag";
    case Action::kBlock: return "block";
  }
  return "unknown";
}

const char* ClientKindName(ClientKind kind) {
  switch (kind) {
    case ClientKind::kIp: return "ip";
    case ClientKind::kApiKey: return "api_key";
    case ClientKind::kBearer: return "bearer";
    case ClientKind::kJwtSub: return "jwt_sub";
    case ClientKind::kBasicUser: return "basic_user";
    case ClientKind::kIpFallback: return "ip_fallback";
  }
  return "unknown";
}

const DetectorCommon& DetectorPolicy::common(Detector detector) const {
  switch (detector) {
    case Detector::kEnumeration: return enumeration.common;
    case Detector::kScraping: return scraping.common;
    case Detector::kExfiltration: return exfiltration.common;
    case Detector::kAuthFailures: return auth_failures.common;
    case Detector::kForcedBrowsing: return forced_browsing.common;
    default: return baseline.common;
  }
}

bool ParsePolicyNode(const YAML::Node& node, const std::string& prefix, DetectorPolicy* policy, std::string* error) {
  if (node.IsNull()) return true;
  return ParseMap(node, prefix, PolicyKeys(policy), error);
}

namespace {

// Loads the policy's YAML text and returns its `detectors:` mapping (or the document itself) in
// *root. Returns false with an error when the text is not valid YAML.
bool LoadPolicyRoot(const std::string& yaml_text, YAML::Node* root, std::string* error) {
  try {
    *root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    *error = "invalid YAML in detector policy at line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return false;
  }
  if (root->IsMap() && (*root)["detectors"]) *root = (*root)["detectors"];
  return true;
}

bool ParsePolicyRoot(const YAML::Node& root, DetectorPolicy* policy, std::string* error) {
  try {
    return ParsePolicyNode(root, "detectors", policy, error);
  } catch (const YAML::Exception& e) {
    *error = "invalid detector policy: " + e.msg;
    return false;
  }
}

}  // namespace

bool ParsePolicyText(const std::string& yaml_text, DetectorPolicy* policy, std::string* error) {
  YAML::Node root;
  return LoadPolicyRoot(yaml_text, &root, error) && ParsePolicyRoot(root, policy, error);
}

bool ParsePolicyUpdate(const DetectorPolicy& current, const std::string& yaml_text, DetectorPolicy* next,
                       std::string* error) {
  YAML::Node root;
  if (!LoadPolicyRoot(yaml_text, &root, error)) return false;
  // A document that is not a mapping sets no key, so there is nothing to compare.
  if (!root.IsNull() && !root.IsMap()) return ParsePolicyRoot(root, next, error);
  const bool parsed = ParsePolicyRoot(root, next, error);
  std::string why;
  if (!SameShape(current, *next, &why)) {
    *error += (parsed ? "" : "\n") + why;
    return false;
  }
  return parsed;
}

bool SameShape(const DetectorPolicy& current, const DetectorPolicy& next, std::string* why) {
  // Every key that differs is named, one per line.
  bool same = true;
  const auto check = [why, &same](bool changed, const char* key) {
    if (!changed) return;
    if (!same) *why += "\n";
    *why += "'detectors." + std::string(key) + "' changes only with a restart";
    same = false;
  };
  check(current.tracked_per_worker != next.tracked_per_worker, "tracked_per_worker");
  check(current.flagged_per_worker != next.flagged_per_worker, "flagged_per_worker");
  check(current.endpoints_per_worker != next.endpoints_per_worker, "endpoints_per_worker");
  check(current.event_ring_size != next.event_ring_size, "event_ring_size");
  check(current.enabled != next.enabled, "enabled");
  return same;
}

bool Allowed(const AllowList& list, uint8_t version, const uint8_t* ip, const char* identity,
             uint32_t identity_length) {
  for (const Network& network : list.networks) {
    if (InNetwork(network, version, ip)) return true;
  }
  for (const std::string& entry : list.identities) {
    if (entry.size() == identity_length && std::memcmp(entry.data(), identity, identity_length) == 0) return true;
  }
  return false;
}

}  // namespace sluice::detect

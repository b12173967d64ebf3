#include "perf/scenario/roles.h"

#include <sstream>

namespace sluice::scenario {
namespace {

struct RoleInfo {
  const char* name;
  bool attack;
  const char* detector;
};

// Indexed by Role.
constexpr RoleInfo kRoles[] = {
    {"normal", false, "none"},
    {"enum_sequential", true, "enumeration"},
    {"enum_random", true, "enumeration"},
    {"enum_slow", true, "enumeration"},
    {"scrape_page", true, "scraping"},
    {"scrape_offset", true, "scraping"},
    {"scrape_cursor", true, "scraping"},
    {"credential_stuffing", true, "auth_failures"},
    {"forced_browsing", true, "forced_browsing"},
    {"exfiltration", true, "exfiltration"},
    {"size_anomaly", true, "baseline_deviation"},
    {"related_app", false, "none"},
    {"batch_job", false, "none"},
    {"nat_address", false, "none"},
    {"health_checker", false, "none"},
};
static_assert(std::size(kRoles) == static_cast<size_t>(Role::kCount));

const RoleInfo& Info(Role role) { return kRoles[static_cast<int>(role)]; }

struct Shape {
  const char* name;
  std::vector<Role> roles;
};

// Every shape carries the hard benign cases, so each run also measures false positives.
const std::vector<Shape>& Shapes() {
  static const std::vector<Role> kBenign = {Role::kRelatedApp, Role::kBatchJob, Role::kNatAddress,
                                            Role::kHealthChecker};
  static const std::vector<Shape> shapes = [] {
    auto with_benign = [](std::vector<Role> roles) {
      roles.insert(roles.end(), kBenign.begin(), kBenign.end());
      return roles;
    };
    return std::vector<Shape>{
        {"full", with_benign({Role::kEnumSequential, Role::kEnumRandom, Role::kEnumSlow,
                              Role::kScrapePage, Role::kScrapeOffset, Role::kScrapeCursor,
                              Role::kCredentialStuffing, Role::kForcedBrowsing,
                              Role::kExfiltration, Role::kSizeAnomaly})},
        {"enumeration",
         with_benign({Role::kEnumSequential, Role::kEnumRandom, Role::kEnumSlow})},
        {"scraping", with_benign({Role::kScrapePage, Role::kScrapeOffset, Role::kScrapeCursor,
                                  Role::kExfiltration})},
        {"auth", with_benign({Role::kCredentialStuffing, Role::kForcedBrowsing})},
        {"baseline", with_benign({Role::kSizeAnomaly})},
        {"benign", kBenign},
    };
  }();
  return shapes;
}

}  // namespace

const char* RoleName(Role role) { return Info(role).name; }

bool ParseRole(const std::string& name, Role* role) {
  for (int i = 0; i < static_cast<int>(Role::kCount); ++i) {
    if (name == kRoles[i].name) {
      *role = static_cast<Role>(i);
      return true;
    }
  }
  return false;
}

bool IsAttack(Role role) { return Info(role).attack; }

const char* ExpectedDetector(Role role) { return Info(role).detector; }

std::string ExpectedTemplate(Role role, const NameSet& names) {
  switch (role) {
    case Role::kEnumSequential:
    case Role::kEnumRandom:
    case Role::kEnumSlow:
      return names.child_path;
    case Role::kScrapePage:
    case Role::kExfiltration:
      return names.page_path;
    case Role::kScrapeOffset:
      return names.offset_path;
    case Role::kScrapeCursor:
      return names.cursor_path;
    case Role::kCredentialStuffing:
      return names.login_path;
    case Role::kSizeAnomaly:
      return names.object_path;
    default:
      return "";
  }
}

bool TemplateRequired(Role role) {
  return IsAttack(role) && role != Role::kCredentialStuffing && role != Role::kForcedBrowsing;
}

std::string ExpectedHost(Role role, const NameSet& names) {
  if (role == Role::kCredentialStuffing) return names.auth_host;
  return ExpectedTemplate(role, names).empty() ? "" : names.api_host;
}

bool ExpandShape(const std::string& spec, std::vector<Role>* roles, std::string* error) {
  std::stringstream parts(spec);
  std::string part;
  bool any = false;
  while (std::getline(parts, part, ',')) {
    if (part.empty()) continue;
    any = true;
    bool found = false;
    for (const Shape& shape : Shapes()) {
      if (part == shape.name) {
        roles->insert(roles->end(), shape.roles.begin(), shape.roles.end());
        found = true;
      }
    }
    Role role;
    if (!found && ParseRole(part, &role)) {
      roles->push_back(role);
      found = true;
    }
    if (!found) {
      *error = "unknown shape or role '" + part + "'";
      return false;
    }
  }
  if (!any) {
    *error = "empty shape";
    return false;
  }
  return true;
}

std::string DescribeShapes() {
  std::string text;
  for (const Shape& shape : Shapes()) {
    text += "  ";
    text += shape.name;
    text += ":";
    for (Role role : shape.roles) {
      text += ' ';
      text += RoleName(role);
    }
    text += '\n';
  }
  return text;
}

}  // namespace sluice::scenario

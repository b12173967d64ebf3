#pragma once

#include <string>
#include <vector>

#include "perf/scenario/name_sets.h"

namespace sluice::scenario {

// Behaviour of a scenario client. Each attack role has a detector that must report it, and no
// detector may flag a benign role.
enum class Role {
  kNormal,            // Ordinary user or app: own objects, first pages, searches, logins.
  kEnumSequential,    // Walks child_path over consecutive ids, a few calls per second.
  kEnumRandom,        // child_path with random ids from a wide range, many 404s.
  kEnumSlow,          // Consecutive ids, one call every ~20 s over the whole capture.
  kScrapePage,        // page_path with page=1, 2, 3, ... and large page sizes.
  kScrapeOffset,      // offset_path with offset advancing by the page size.
  kScrapeCursor,      // cursor_path following each response's next token.
  kCredentialStuffing,  // Bursts of failed logins (401, some 403) on login_path.
  kForcedBrowsing,    // Bursts of requests for paths that do not exist (404).
  kExfiltration,      // A few pages of thousands of records full of e-mails and card numbers.
  kSizeAnomaly,       // After the learning period, object_path responses are 100 times larger.
  kRelatedApp,        // Benign: a service fetching objects and their children from a small id pool.
  kBatchJob,          // Benign: every few minutes pages through its own short list.
  kNatAddress,        // Benign: many normal users behind one address (one client per user with keys).
  kHealthChecker,     // Benign: GET health_path every few seconds for the whole capture.
  kCount,
};

// Role name used in --shape and the labels ("enum_sequential").
const char* RoleName(Role role);
// Parses a role name; false when unknown.
bool ParseRole(const std::string& name, Role* role);
bool IsAttack(Role role);
// The detector that must report this role: enumeration, scraping, exfiltration, auth_failures,
// forced_browsing, baseline_deviation, or "none" for benign roles.
const char* ExpectedDetector(Role role);
// The endpoint template the finding must name, or "" when the attack spans many templates
// (forced browsing) or the role is benign.
std::string ExpectedTemplate(Role role, const NameSet& names);
// False for the attacks whose detector judges the client as a whole (auth failures, forced
// browsing): their finding may name any template, or none.
bool TemplateRequired(Role role);
// Host of the expected template, "" when ExpectedTemplate is "".
std::string ExpectedHost(Role role, const NameSet& names);

// Expands a shape ("full", "enumeration", "scraping", "auth", "baseline", "benign") or a role
// name into roles; `spec` is a comma-separated list of either. False with `error` on an unknown name.
bool ExpandShape(const std::string& spec, std::vector<Role>* roles, std::string* error);
// The shape names with the roles each contains, for --help.
std::string DescribeShapes();

}  // namespace sluice::scenario

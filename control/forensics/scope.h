// The analysis behind `sluicectl report scope`. From the transactions and findings the store
// returned, it selects those in scope and summarises the endpoints, functions, clients and
// personal data they involved and when. It classifies the exposure as deep or shallow and as
// narrow or broad.
//
// Terms (docs/report-scope.md has the long form):
// - function: a (host, method, endpoint template) triple, e.g. GET api.example.com /accounts/{id};
// - template: a distinct (host, endpoint template) pair, whatever the method;
// - object: a distinct (template, path values at the template's placeholders) pair, e.g.
//   /accounts/{id} with id 1234, named by a call with a 2xx response. A path whose template has no
//   placeholder names no object. Requested objects count calls with any answer or none;
// - returned objects of one response: the largest count of any single PII type in it, at least 1
//   (a list of 50 customers carries 50 email values), used to compute bytes per object;
// - subject: a distinct (type, fingerprint) pair of the identifying PII types
//   (ScopeThresholds::subject_types) in responses;
// - distinct items: distinct (type, fingerprint) pairs of any PII type in responses.
//
// Thread-safety: plain functions over values; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "control/forensics/scope_config.h"
#include "control/forensics/scope_input.h"

namespace sluice::control::forensics {

struct ScopeRequest {
  ScopeSelector selector;
  ScopeThresholds thresholds;
  // Wall-clock time the report was made, shown in its header; 0 leaves it out, which keeps the
  // output reproducible.
  uint64_t generated_at_ns = 0;
};

// Calls per HTTP status class. `none` counts calls without a response.
struct StatusClasses {
  uint64_t informational = 0;  // 1xx
  uint64_t success = 0;        // 2xx
  uint64_t redirection = 0;    // 3xx
  uint64_t client_error = 0;   // 4xx
  uint64_t server_error = 0;   // 5xx
  uint64_t none = 0;           // no response, or a status outside 100..599
};

struct FunctionSummary {
  std::string host;
  std::string method;
  std::string endpoint;
  uint64_t calls = 0;
  StatusClasses status;
  uint64_t response_bytes = 0;
  uint64_t objects = 0;            // distinct objects named by calls with a 2xx response
  uint64_t objects_requested = 0;  // distinct objects named by any of these calls
  uint64_t distinct_items = 0;   // distinct (type, fingerprint) pairs in the responses
  bool items_lower_bound = false;  // some values had no fingerprint: the true count is higher
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
};

struct PiiTypeSummary {
  std::string type;
  uint64_t occurrences = 0;      // values found in responses, repeats included
  uint64_t distinct_items = 0;   // distinct fingerprints
  bool lower_bound = false;      // some values had no fingerprint: the true count is higher
  uint64_t calls = 0;            // responses that carried this type
  bool identifying = false;      // listed in subject_types
};

struct ClientSummary {
  std::string kind;
  std::string id;
  std::vector<std::string> addresses;  // distinct, sorted
  uint64_t calls = 0;
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
};

// One rule of a classification and how the scope measured against it.
// Deep rules read "value >= threshold", broad rules "value > threshold".
struct ClassificationReason {
  std::string measure;     // e.g. "templates"
  std::string comparison;  // ">=" or ">"
  uint64_t value = 0;      // what the scope measured
  uint64_t threshold = 0;
  bool met = false;        // value compared to threshold holds: it makes the scope deep or broad
};

struct Classification {
  std::string depth;    // "deep" or "shallow"; "none" when nothing was selected
  std::string breadth;  // "narrow" or "broad"; "none" when nothing was selected
  uint64_t successful_responses = 0;  // 2xx responses
  uint64_t deep_responses = 0;        // 2xx responses with whole objects and sensitive fields
  uint64_t returned_objects = 0;      // sum of returned objects over 2xx responses
  uint32_t max_pii_types = 0;         // most PII types in one 2xx response
  uint64_t max_bytes_per_object = 0;  // largest bytes per returned object of a 2xx response
  std::vector<ClassificationReason> depth_reasons;
  std::vector<ClassificationReason> breadth_reasons;
};

// Calls per time bucket and status class, for the timeline chart.
struct TimelineBucket {
  uint64_t start_ns = 0;
  StatusClasses calls;
};

struct ScopeReport {
  ScopeRequest request;
  uint64_t transactions_examined = 0;  // rows given to the analysis
  uint64_t calls = 0;                  // rows in scope
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;
  StatusClasses status;
  uint64_t templates = 0;
  uint64_t objects = 0;            // distinct objects named by calls with a 2xx response
  uint64_t objects_requested = 0;  // distinct objects named by any call
  uint64_t subjects = 0;
  bool subjects_lower_bound = false;
  uint64_t distinct_items = 0;
  bool items_lower_bound = false;
  std::vector<FunctionSummary> functions;  // most calls first
  std::vector<PiiTypeSummary> pii_types;   // most distinct items first
  std::vector<ClientSummary> clients;      // most calls first
  std::vector<FindingRow> findings;        // findings in scope, by id
  Classification classification;
  std::vector<TransactionRow> evidence;    // the first evidence_limit calls in time order
  uint64_t evidence_omitted = 0;           // calls in scope not listed in `evidence`
  uint64_t timeline_bucket_ns = 0;
  std::vector<TimelineBucket> timeline;
  // Set when the selector names a finding that neither the findings nor any transaction know.
  bool finding_not_found = false;
};

// Returns true when `row` is in the scope `selector` describes. `finding` is the row of
// selector.finding_id, or nullptr when the store has none.
bool MatchesSelector(const TransactionRow& row, const ScopeSelector& selector,
                     const FindingRow* finding);

// Returns the object `row` names: its template followed by the path values at the template's
// placeholders ("{...}" segments), or an empty string when the template has none or the path does
// not line up with it.
std::string ObjectKey(const TransactionRow& row);

// Builds the report. `transactions` may hold rows outside the scope; they are skipped.
ScopeReport AnalyzeScope(const ScopeRequest& request,
                         const std::vector<TransactionRow>& transactions,
                         const std::vector<FindingRow>& findings);

// Picks the timeline bucket width: the smallest of a fixed ladder (1 s, 5 s, 15 s, 1 min, ...,
// 1 day, then whole days) that keeps the span within kMaxTimelineBuckets buckets.
inline constexpr uint64_t kMaxTimelineBuckets = 60;
uint64_t ChooseBucketWidth(uint64_t span_ns);

}  // namespace sluice::control::forensics

#include "control/forensics/scope.h"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

namespace sluice::control::forensics {
namespace {

constexpr uint64_t kMillisecond = 1'000'000;
constexpr uint64_t kSecond = 1'000 * kMillisecond;
constexpr uint64_t kMinute = 60 * kSecond;
constexpr uint64_t kHour = 60 * kMinute;
constexpr uint64_t kDay = 24 * kHour;

// Names a distinct PII value by its type and fingerprint. The length prefix keeps two different
// (type, fingerprint) pairs from ever giving the same key.
std::string ItemKey(const std::string& type, const std::string& fingerprint) {
  return std::to_string(type.size()) + ':' + type + fingerprint;
}

// True when an earlier entry of `list` than `index` has the same type, so that a type listed
// twice in one direction counts once.
bool TypeSeenBefore(const std::vector<PiiItems>& list, size_t index) {
  for (size_t i = 0; i < index; ++i) {
    if (list[i].type == list[index].type) return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// True when the data plane ran out of fingerprint slots, so some distinct values went unnamed.
bool FingerprintsTruncated(const PiiItems& items) {
  return items.fingerprints.size() >= kWireFingerprintLimit &&
         items.count > items.fingerprints.size();
}

void CountStatus(const TransactionRow& row, StatusClasses& classes) {
  const uint16_t status = row.status_code;
  if (!row.has_response || status < 100 || status > 599) {
    ++classes.none;
  } else if (status < 200) {
    ++classes.informational;
  } else if (status < 300) {
    ++classes.success;
  } else if (status < 400) {
    ++classes.redirection;
  } else if (status < 500) {
    ++classes.client_error;
  } else {
    ++classes.server_error;
  }
}

bool IsSuccess(const TransactionRow& row) {
  return row.has_response && row.status_code >= 200 && row.status_code < 300;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    segments.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool IsPlaceholder(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

void Widen(uint64_t ts_ns, uint64_t& first, uint64_t& last, bool first_seen) {
  if (first_seen || ts_ns < first) first = ts_ns;
  if (first_seen || ts_ns > last) last = ts_ns;
}

// Per-response measures behind the deep/shallow rule.
struct ResponseDepth {
  uint32_t pii_types = 0;
  uint64_t returned_objects = 1;
  uint64_t bytes_per_object = 0;
};

ResponseDepth MeasureResponse(const TransactionRow& row) {
  ResponseDepth depth;
  uint64_t largest = 0;
  for (size_t i = 0; i < row.pii_response.size(); ++i) {
    const PiiItems& items = row.pii_response[i];
    if (items.count == 0) continue;
    bool counted = false;
    for (size_t j = 0; j < i && !counted; ++j) {
      counted = row.pii_response[j].count > 0 && row.pii_response[j].type == items.type;
    }
    if (!counted) ++depth.pii_types;
    largest = std::max(largest, items.count);
  }
  depth.returned_objects = std::max<uint64_t>(1, largest);
  depth.bytes_per_object = row.response_bytes / depth.returned_objects;
  return depth;
}

// Accumulates one group of calls (the whole scope or one function).
struct GroupState {
  // Keys with repeats; CountDistinct counts them once at the end. Sorting once is several times
  // faster than a hash set for the 10^5..10^6 keys of a broad incident, whose inserts miss the
  // cache.
  std::vector<std::string> objects;            // named by calls with a 2xx response
  std::vector<std::string> objects_requested;  // named by any call
  std::vector<std::string> items;              // ItemKey of each value with a fingerprint
  bool items_lower_bound = false;
};

// Sorts `keys` and returns how many distinct keys it holds.
uint64_t CountDistinct(std::vector<std::string>& keys) {
  std::sort(keys.begin(), keys.end());
  return static_cast<uint64_t>(std::unique(keys.begin(), keys.end()) - keys.begin());
}

// `object` is ObjectKey(row), computed once per row by the caller.
void AddCallToGroup(const TransactionRow& row, const std::string& object, GroupState& group) {
  if (!object.empty()) {
    if (IsSuccess(row)) group.objects.push_back(object);
    group.objects_requested.push_back(object);
  }
  for (const PiiItems& items : row.pii_response) {
    for (const std::string& fingerprint : items.fingerprints) {
      group.items.push_back(ItemKey(items.type, fingerprint));
    }
    if (FingerprintsTruncated(items)) group.items_lower_bound = true;
  }
}

void SummarizeFunctions(const std::vector<const TransactionRow*>& rows,
                        const std::vector<std::string>& objects, ScopeReport& report) {
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, std::pair<FunctionSummary, GroupState>> groups;
  for (size_t i = 0; i < rows.size(); ++i) {
    const TransactionRow* row = rows[i];
    auto [it, inserted] = groups.try_emplace(Key{row->host, row->method, row->endpoint});
    FunctionSummary& summary = it->second.first;
    if (inserted) {
      summary.host = row->host;
      summary.method = row->method;
      summary.endpoint = row->endpoint;
    }
    Widen(row->ts_ns, summary.first_ts_ns, summary.last_ts_ns, summary.calls == 0);
    ++summary.calls;
    CountStatus(*row, summary.status);
    summary.response_bytes += row->response_bytes;
    AddCallToGroup(*row, objects[i], it->second.second);
  }
  for (auto& [key, entry] : groups) {
    FunctionSummary& summary = entry.first;
    summary.objects = CountDistinct(entry.second.objects);
    summary.objects_requested = CountDistinct(entry.second.objects_requested);
    summary.distinct_items = CountDistinct(entry.second.items);
    summary.items_lower_bound = entry.second.items_lower_bound;
    report.functions.push_back(std::move(summary));
  }
  std::stable_sort(report.functions.begin(), report.functions.end(),
                   [](const FunctionSummary& a, const FunctionSummary& b) {
                     return a.calls > b.calls;
                   });
}

void SummarizePiiTypes(const std::vector<const TransactionRow*>& rows,
                       const ScopeThresholds& thresholds, ScopeReport& report) {
  std::map<std::string, std::pair<PiiTypeSummary, std::vector<std::string>>> types;
  for (const TransactionRow* row : rows) {
    for (size_t i = 0; i < row->pii_response.size(); ++i) {
      const PiiItems& items = row->pii_response[i];
      if (items.count == 0 && items.fingerprints.empty()) continue;
      auto& [summary, fingerprints] = types[items.type];
      summary.type = items.type;
      summary.occurrences += items.count;
      if (!TypeSeenBefore(row->pii_response, i)) ++summary.calls;
      fingerprints.insert(fingerprints.end(), items.fingerprints.begin(), items.fingerprints.end());
      if (FingerprintsTruncated(items)) summary.lower_bound = true;
    }
  }
  for (auto& [type, entry] : types) {
    PiiTypeSummary& summary = entry.first;
    summary.distinct_items = CountDistinct(entry.second);
    summary.identifying = Contains(thresholds.subject_types, type);
    if (summary.identifying) {
      report.subjects += summary.distinct_items;
      report.subjects_lower_bound = report.subjects_lower_bound || summary.lower_bound;
    }
    report.pii_types.push_back(std::move(summary));
  }
  std::stable_sort(report.pii_types.begin(), report.pii_types.end(),
                   [](const PiiTypeSummary& a, const PiiTypeSummary& b) {
                     return a.distinct_items > b.distinct_items;
                   });
}

void SummarizeClients(const std::vector<const TransactionRow*>& rows, ScopeReport& report) {
  std::map<std::pair<std::string, std::string>, std::pair<ClientSummary, std::set<std::string>>>
      clients;
  for (const TransactionRow* row : rows) {
    // Records written before client identities existed carry only the address.
    const bool anonymous = row->client_kind.empty() && row->client_id.empty();
    std::string kind = anonymous ? "ip" : row->client_kind;
    std::string id = anonymous ? row->client_address : row->client_id;
    auto& [summary, addresses] = clients[{kind, id}];
    if (summary.calls == 0) {
      summary.kind = std::move(kind);
      summary.id = std::move(id);
    }
    Widen(row->ts_ns, summary.first_ts_ns, summary.last_ts_ns, summary.calls == 0);
    ++summary.calls;
    if (!row->client_address.empty()) addresses.insert(row->client_address);
  }
  for (auto& [key, entry] : clients) {
    entry.first.addresses.assign(entry.second.begin(), entry.second.end());
    report.clients.push_back(std::move(entry.first));
  }
  std::stable_sort(report.clients.begin(), report.clients.end(),
                   [](const ClientSummary& a, const ClientSummary& b) {
                     return a.calls > b.calls;
                   });
}

void CollectFindings(const std::vector<const TransactionRow*>& rows,
                     const std::vector<FindingRow>& findings, const ScopeSelector& selector,
                     ScopeReport& report) {
  // A finding is named by its run and id: ids restart with every run.
  using RunAndId = std::pair<uint64_t, uint64_t>;
  std::set<RunAndId> ids;
  if (selector.finding_id) ids.emplace(selector.run_id.value_or(0), *selector.finding_id);
  for (const TransactionRow* row : rows) {
    for (uint64_t id : row->finding_ids) ids.emplace(row->ref.run_id, id);
  }
  std::map<RunAndId, const FindingRow*> by_id;
  for (const FindingRow& finding : findings) by_id.emplace(RunAndId{finding.run_id, finding.finding_id}, &finding);
  for (const RunAndId& id : ids) {
    const auto found = by_id.find(id);
    if (found != by_id.end()) {
      report.findings.push_back(*found->second);
    } else {
      // Listed with its id only, so the reader sees that the store lacks the finding itself.
      FindingRow unknown;
      unknown.finding_id = id.second;
      unknown.run_id = id.first;
      report.findings.push_back(std::move(unknown));
    }
  }
}

void Classify(const std::vector<const TransactionRow*>& rows, const ScopeThresholds& thresholds,
              ScopeReport& report) {
  Classification& result = report.classification;
  for (const TransactionRow* row : rows) {
    if (!IsSuccess(*row)) continue;
    const ResponseDepth depth = MeasureResponse(*row);
    ++result.successful_responses;
    result.returned_objects += depth.returned_objects;
    result.max_pii_types = std::max(result.max_pii_types, depth.pii_types);
    result.max_bytes_per_object = std::max(result.max_bytes_per_object, depth.bytes_per_object);
    if (depth.pii_types >= thresholds.deep_min_pii_types &&
        depth.bytes_per_object >= thresholds.deep_min_bytes_per_object) {
      ++result.deep_responses;
    }
  }

  const ClassificationReason deep{"deep_responses", ">=", result.deep_responses,
                                  thresholds.deep_min_responses,
                                  result.deep_responses >= thresholds.deep_min_responses};
  result.depth_reasons = {deep};

  result.breadth_reasons = {
      {"templates", ">", report.templates, thresholds.narrow_max_templates,
       report.templates > thresholds.narrow_max_templates},
      {"objects", ">", report.objects, thresholds.narrow_max_objects,
       report.objects > thresholds.narrow_max_objects},
      {"subjects", ">", report.subjects, thresholds.narrow_max_subjects,
       report.subjects > thresholds.narrow_max_subjects},
  };
  const bool broad = std::any_of(result.breadth_reasons.begin(), result.breadth_reasons.end(),
                                 [](const ClassificationReason& r) { return r.met; });

  if (rows.empty()) {
    result.depth = "none";
    result.breadth = "none";
  } else {
    result.depth = deep.met ? "deep" : "shallow";
    result.breadth = broad ? "broad" : "narrow";
  }
}

void BuildTimeline(const std::vector<const TransactionRow*>& rows, ScopeReport& report) {
  if (rows.empty()) return;
  const uint64_t width = ChooseBucketWidth(report.last_ts_ns - report.first_ts_ns);
  const uint64_t start = report.first_ts_ns - report.first_ts_ns % width;
  const uint64_t buckets = (report.last_ts_ns - start) / width + 1;
  report.timeline_bucket_ns = width;
  report.timeline.resize(buckets);
  for (uint64_t i = 0; i < buckets; ++i) report.timeline[i].start_ns = start + i * width;
  for (const TransactionRow* row : rows) {
    CountStatus(*row, report.timeline[(row->ts_ns - start) / width].calls);
  }
}

bool EvidenceOrder(const TransactionRow* a, const TransactionRow* b) {
  return std::tie(a->ts_ns, a->ref.dataplane_id, a->ref.run_id, a->ref.worker_id,
                  a->ref.sequence, a->ref.record_index) <
         std::tie(b->ts_ns, b->ref.dataplane_id, b->ref.run_id, b->ref.worker_id,
                  b->ref.sequence, b->ref.record_index);
}

}  // namespace

bool MatchesSelector(const TransactionRow& row, const ScopeSelector& selector,
                     const FindingRow* finding) {
  if (selector.since_ns && row.ts_ns < *selector.since_ns) return false;
  if (selector.until_ns && row.ts_ns >= *selector.until_ns) return false;
  if (selector.endpoint && row.endpoint != *selector.endpoint) return false;
  if (selector.client && row.client_id != *selector.client &&
      row.client_address != *selector.client) {
    return false;
  }
  if (selector.run_id && row.ref.run_id != *selector.run_id) return false;
  if (!selector.finding_id) return true;

  // The id names the finding only within the finding's own run.
  const uint64_t id = *selector.finding_id;
  const bool same_run = finding == nullptr || row.ref.run_id == finding->run_id;
  if (same_run && std::find(row.finding_ids.begin(), row.finding_ids.end(), id) != row.finding_ids.end()) {
    return true;
  }
  // Without a known window, only the calls that carry the id are the finding's.
  if (finding == nullptr || finding->client_id.empty() || finding->last_ts_ns == 0) return false;
  return same_run && row.client_kind == finding->client_kind && row.client_id == finding->client_id &&
         row.ts_ns >= finding->first_ts_ns && row.ts_ns <= finding->last_ts_ns;
}

std::string ObjectKey(const TransactionRow& row) {
  const std::vector<std::string_view> names = SplitPath(row.endpoint);
  const std::vector<std::string_view> values = SplitPath(row.url_path);
  if (names.size() != values.size()) return {};
  std::string key;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!IsPlaceholder(names[i])) continue;
    key += '/';
    key += values[i];
  }
  if (key.empty()) return {};
  // The host and template come first so the same id under two templates is two objects.
  return row.host + ' ' + row.endpoint + ' ' + key;
}

uint64_t ChooseBucketWidth(uint64_t span_ns) {
  static constexpr std::array<uint64_t, 28> kLadder = {
      kMillisecond,      2 * kMillisecond,   5 * kMillisecond,   10 * kMillisecond,
      20 * kMillisecond, 50 * kMillisecond,  100 * kMillisecond, 200 * kMillisecond,
      500 * kMillisecond, kSecond,           2 * kSecond,        5 * kSecond,
      10 * kSecond,      15 * kSecond,       30 * kSecond,       kMinute,
      2 * kMinute,       5 * kMinute,        10 * kMinute,       15 * kMinute,
      30 * kMinute,      kHour,              2 * kHour,          3 * kHour,
      6 * kHour,         12 * kHour,         kDay,               7 * kDay};
  // The first bucket starts at a multiple of the width, so a span needs at most
  // span / width + 2 buckets.
  for (uint64_t width : kLadder) {
    if (span_ns / width + 2 <= kMaxTimelineBuckets) return width;
  }
  const uint64_t days = span_ns / kDay / (kMaxTimelineBuckets - 2) + 1;
  return days * kDay;
}

ScopeReport AnalyzeScope(const ScopeRequest& request,
                         const std::vector<TransactionRow>& transactions,
                         const std::vector<FindingRow>& findings) {
  ScopeReport report;
  report.request = request;
  report.transactions_examined = transactions.size();
  const ScopeSelector& selector = request.selector;

  const FindingRow* finding = nullptr;
  if (selector.finding_id) {
    for (const FindingRow& row : findings) {
      if (row.finding_id == *selector.finding_id && (!selector.run_id || row.run_id == *selector.run_id)) {
        finding = &row;
      }
    }
  }

  std::vector<const TransactionRow*> rows;
  for (const TransactionRow& row : transactions) {
    if (MatchesSelector(row, selector, finding)) rows.push_back(&row);
  }
  std::sort(rows.begin(), rows.end(), EvidenceOrder);
  if (selector.finding_id && finding == nullptr && rows.empty()) report.finding_not_found = true;

  std::vector<std::string> objects;
  objects.reserve(rows.size());
  for (const TransactionRow* row : rows) objects.push_back(ObjectKey(*row));

  GroupState scope;
  std::set<std::pair<std::string, std::string>> templates;
  for (size_t i = 0; i < rows.size(); ++i) {
    const TransactionRow* row = rows[i];
    Widen(row->ts_ns, report.first_ts_ns, report.last_ts_ns, report.calls == 0);
    ++report.calls;
    report.request_bytes += row->request_bytes;
    report.response_bytes += row->response_bytes;
    CountStatus(*row, report.status);
    templates.emplace(row->host, row->endpoint);
    AddCallToGroup(*row, objects[i], scope);
  }
  report.templates = templates.size();
  report.objects = CountDistinct(scope.objects);
  report.objects_requested = CountDistinct(scope.objects_requested);
  report.distinct_items = CountDistinct(scope.items);
  report.items_lower_bound = scope.items_lower_bound;

  SummarizeFunctions(rows, objects, report);
  SummarizePiiTypes(rows, request.thresholds, report);
  SummarizeClients(rows, report);
  CollectFindings(rows, findings, selector, report);
  Classify(rows, request.thresholds, report);
  BuildTimeline(rows, report);

  const size_t listed = std::min<uint64_t>(rows.size(), request.thresholds.evidence_limit);
  for (size_t i = 0; i < listed; ++i) report.evidence.push_back(*rows[i]);
  report.evidence_omitted = rows.size() - listed;
  return report;
}

}  // namespace sluice::control::forensics

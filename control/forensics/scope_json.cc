// The JSON form of the scope report. Field names are stable: docs/report-scope.md lists them,
// and kScopeJsonSchema changes when one changes meaning or goes away.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "control/forensics/scope_format.h"
#include "control/forensics/scope_render.h"
#include "control/sinks/run_id.h"

namespace sluice::control::forensics {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Key(Writer& w, const char* key) { w.Key(key); }

// Every string from a record goes through here: RapidJSON escapes it, and the UTF-8 repair
// keeps the document valid whatever bytes the record held.
void Text(Writer& w, std::string_view text) {
  const std::string valid = ValidUtf8(text);
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

void Member(Writer& w, const char* key, std::string_view text) {
  Key(w, key);
  Text(w, text);
}

void Member(Writer& w, const char* key, uint64_t value) {
  Key(w, key);
  w.Uint64(value);
}

void MemberBool(Writer& w, const char* key, bool value) {
  Key(w, key);
  w.Bool(value);
}

// Timestamps are RFC 3339 strings with nanoseconds; 0 (unknown) is null.
void Time(Writer& w, const char* key, uint64_t unix_ns) {
  Key(w, key);
  if (unix_ns == 0) {
    w.Null();
  } else {
    Text(w, FormatTime(unix_ns));
  }
}

void Status(Writer& w, const char* key, const StatusClasses& s) {
  Key(w, key);
  w.StartObject();
  Member(w, "1xx", s.informational);
  Member(w, "2xx", s.success);
  Member(w, "3xx", s.redirection);
  Member(w, "4xx", s.client_error);
  Member(w, "5xx", s.server_error);
  Member(w, "none", s.none);
  w.EndObject();
}

void Selector(Writer& w, const ScopeSelector& s) {
  Key(w, "selector");
  w.StartObject();
  Key(w, "finding_id");
  s.finding_id ? w.Uint64(*s.finding_id) : w.Null();
  Key(w, "run_id");
  s.run_id ? Text(w, RunIdHex(*s.run_id)) : static_cast<void>(w.Null());
  Key(w, "client");
  s.client ? Text(w, *s.client) : static_cast<void>(w.Null());
  Key(w, "endpoint");
  s.endpoint ? Text(w, *s.endpoint) : static_cast<void>(w.Null());
  Time(w, "since", s.since_ns.value_or(0));
  Time(w, "until", s.until_ns.value_or(0));
  w.EndObject();
}

void Thresholds(Writer& w, const ScopeThresholds& t) {
  Key(w, "thresholds");
  w.StartObject();
  Member(w, "deep_min_pii_types", t.deep_min_pii_types);
  Member(w, "deep_min_bytes_per_object", t.deep_min_bytes_per_object);
  Member(w, "deep_min_responses", t.deep_min_responses);
  Member(w, "narrow_max_templates", t.narrow_max_templates);
  Member(w, "narrow_max_objects", t.narrow_max_objects);
  Member(w, "narrow_max_subjects", t.narrow_max_subjects);
  Key(w, "subject_types");
  w.StartArray();
  for (const std::string& type : t.subject_types) Text(w, type);
  w.EndArray();
  Member(w, "evidence_limit", t.evidence_limit);
  w.EndObject();
}

void Integrity(Writer& w, const IntegrityStatus& integrity) {
  Key(w, "integrity");
  w.StartObject();
  Member(w, "state", IntegrityStateName(integrity.state));
  Member(w, "segments_checked", integrity.segments_checked);
  Time(w, "checked_at", integrity.checked_at_ns);
  Key(w, "broken_segments");
  w.StartArray();
  for (const auto& broken : integrity.broken_segments) {
    w.StartObject();
    Member(w, "segment", broken.segment);
    Member(w, "reason", broken.reason);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void Summary(Writer& w, const ScopeReport& r) {
  Key(w, "summary");
  w.StartObject();
  Member(w, "transactions_examined", r.transactions_examined);
  Member(w, "calls", r.calls);
  Time(w, "first_call", r.first_ts_ns);
  Time(w, "last_call", r.last_ts_ns);
  Member(w, "request_bytes", r.request_bytes);
  Member(w, "response_bytes", r.response_bytes);
  Status(w, "status", r.status);
  Member(w, "templates", r.templates);
  Member(w, "objects", r.objects);
  Member(w, "objects_requested", r.objects_requested);
  Member(w, "subjects", r.subjects);
  MemberBool(w, "subjects_lower_bound", r.subjects_lower_bound);
  Member(w, "distinct_items", r.distinct_items);
  MemberBool(w, "distinct_items_lower_bound", r.items_lower_bound);
  w.EndObject();
}

void Reasons(Writer& w, const char* key, const std::vector<ClassificationReason>& reasons) {
  Key(w, key);
  w.StartArray();
  for (const ClassificationReason& reason : reasons) {
    w.StartObject();
    Member(w, "measure", reason.measure);
    Member(w, "comparison", reason.comparison);
    Member(w, "value", reason.value);
    Member(w, "threshold", reason.threshold);
    MemberBool(w, "met", reason.met);
    w.EndObject();
  }
  w.EndArray();
}

void ClassificationObject(Writer& w, const Classification& c) {
  Key(w, "classification");
  w.StartObject();
  Member(w, "depth", c.depth);
  Member(w, "breadth", c.breadth);
  Member(w, "successful_responses", c.successful_responses);
  Member(w, "deep_responses", c.deep_responses);
  Member(w, "returned_objects", c.returned_objects);
  Member(w, "max_pii_types", c.max_pii_types);
  Member(w, "max_bytes_per_object", c.max_bytes_per_object);
  Reasons(w, "depth_rules", c.depth_reasons);
  Reasons(w, "breadth_rules", c.breadth_reasons);
  w.EndObject();
}

void Functions(Writer& w, const std::vector<FunctionSummary>& functions) {
  Key(w, "functions");
  w.StartArray();
  for (const FunctionSummary& f : functions) {
    w.StartObject();
    Member(w, "host", f.host);
    Member(w, "method", f.method);
    Member(w, "endpoint", f.endpoint);
    Member(w, "calls", f.calls);
    Status(w, "status", f.status);
    Member(w, "response_bytes", f.response_bytes);
    Member(w, "objects", f.objects);
    Member(w, "objects_requested", f.objects_requested);
    Member(w, "distinct_items", f.distinct_items);
    MemberBool(w, "distinct_items_lower_bound", f.items_lower_bound);
    Time(w, "first_call", f.first_ts_ns);
    Time(w, "last_call", f.last_ts_ns);
    w.EndObject();
  }
  w.EndArray();
}

void PiiTypes(Writer& w, const std::vector<PiiTypeSummary>& types) {
  Key(w, "pii_types");
  w.StartArray();
  for (const PiiTypeSummary& p : types) {
    w.StartObject();
    Member(w, "type", p.type);
    Member(w, "distinct_items", p.distinct_items);
    MemberBool(w, "lower_bound", p.lower_bound);
    Member(w, "occurrences", p.occurrences);
    Member(w, "calls", p.calls);
    MemberBool(w, "identifying", p.identifying);
    w.EndObject();
  }
  w.EndArray();
}

void Clients(Writer& w, const std::vector<ClientSummary>& clients) {
  Key(w, "clients");
  w.StartArray();
  for (const ClientSummary& c : clients) {
    w.StartObject();
    Member(w, "kind", c.kind);
    Member(w, "id", c.id);
    Key(w, "addresses");
    w.StartArray();
    for (const std::string& address : c.addresses) Text(w, address);
    w.EndArray();
    Member(w, "calls", c.calls);
    Time(w, "first_call", c.first_ts_ns);
    Time(w, "last_call", c.last_ts_ns);
    w.EndObject();
  }
  w.EndArray();
}

void Findings(Writer& w, const std::vector<FindingRow>& findings) {
  Key(w, "findings");
  w.StartArray();
  for (const FindingRow& f : findings) {
    w.StartObject();
    Member(w, "id", f.finding_id);
    Member(w, "dataplane", f.dataplane_id);
    Member(w, "run_id", RunIdHex(f.run_id));
    MemberBool(w, "known", !f.detector.empty());
    Member(w, "detector", f.detector);
    Member(w, "client_kind", f.client_kind);
    Member(w, "client_id", f.client_id);
    Member(w, "endpoint", f.endpoint);
    Time(w, "first_call", f.first_ts_ns);
    Time(w, "last_call", f.last_ts_ns);
    Member(w, "calls", f.calls);
    Member(w, "verdict", f.verdict);
    w.EndObject();
  }
  w.EndArray();
}

void Timeline(Writer& w, const ScopeReport& r) {
  Key(w, "timeline");
  w.StartObject();
  Member(w, "bucket_ns", r.timeline_bucket_ns);
  Key(w, "buckets");
  w.StartArray();
  for (const TimelineBucket& bucket : r.timeline) {
    w.StartObject();
    Time(w, "start", bucket.start_ns);
    Status(w, "status", bucket.calls);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void Pii(Writer& w, const char* key, const std::vector<PiiItems>& list) {
  Key(w, key);
  w.StartArray();
  for (const PiiItems& items : list) {
    w.StartObject();
    Member(w, "type", items.type);
    Member(w, "count", items.count);
    Key(w, "fingerprints");
    w.StartArray();
    for (const std::string& fingerprint : items.fingerprints) Text(w, fingerprint);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

void EvidenceRecord(Writer& w, const TransactionRow& row) {
  w.StartObject();
  Time(w, "time", row.ts_ns);
  Time(w, "response_end", row.response_end_ts_ns);
  Key(w, "record");
  w.StartObject();
  Member(w, "dataplane_id", row.ref.dataplane_id);
  Member(w, "run_id", RunIdHex(row.ref.run_id));
  Member(w, "worker_id", row.ref.worker_id);
  Member(w, "sequence", row.ref.sequence);
  Member(w, "record_index", row.ref.record_index);
  Member(w, "flow_id", row.ref.flow_id);
  Member(w, "transaction_index", row.ref.transaction_index);
  w.EndObject();

  Member(w, "client_kind", row.client_kind);
  Member(w, "client_id", row.client_id);
  Member(w, "client_address", row.client_address);
  Member(w, "host", row.host);
  Member(w, "method", row.method);
  Member(w, "endpoint", row.endpoint);
  Member(w, "url_path", row.url_path);
  Key(w, "status_code");
  row.has_response ? w.Uint(row.status_code) : w.Null();
  Member(w, "request_bytes", row.request_bytes);
  Member(w, "response_bytes", row.response_bytes);

  Pii(w, "pii_response", row.pii_response);
  Pii(w, "pii_request", row.pii_request);
  Key(w, "rule_ids");
  w.StartArray();
  for (uint32_t id : row.rule_ids) w.Uint(id);
  w.EndArray();
  Key(w, "finding_ids");
  w.StartArray();
  for (uint64_t id : row.finding_ids) w.Uint64(id);
  w.EndArray();
  w.EndObject();
}

void Evidence(Writer& w, const ScopeReport& r) {
  Key(w, "evidence");
  w.StartObject();
  Member(w, "listed", r.evidence.size());
  Member(w, "omitted", r.evidence_omitted);
  Key(w, "records");
  w.StartArray();
  for (const TransactionRow& row : r.evidence) EvidenceRecord(w, row);
  w.EndArray();
  w.EndObject();
}

}  // namespace

void RenderScopeJson(const ScopeReport& report, const IntegrityStatus& integrity,
                     std::ostream& out) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  Member(w, "schema", kScopeJsonSchema);
  Time(w, "generated_at", report.request.generated_at_ns);
  Selector(w, report.request.selector);
  Thresholds(w, report.request.thresholds);
  Integrity(w, integrity);
  Summary(w, report);
  ClassificationObject(w, report.classification);
  Functions(w, report.functions);
  PiiTypes(w, report.pii_types);
  Clients(w, report.clients);
  Findings(w, report.findings);
  Timeline(w, report);
  Evidence(w, report);
  w.EndObject();
  out << buffer.GetString() << "\n";
}

}  // namespace sluice::control::forensics

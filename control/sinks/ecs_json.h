// Conversion of wire records into Elastic Common Schema (ECS) JSON lines.
// The layout of each line is documented for SIEM teams in schemas/ecs-record.schema.json; change
// both together.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "control/sinks/community_id.h"
#include "control/sinks/json_writer.h"
#include "records_generated.h"

namespace sluice::control {

// The batch header fields that every record of the batch carries under `sluice.*`.
struct BatchContext {
  std::string_view dataplane_id;
  uint64_t run_id = 0;
  uint16_t worker_id = 0;
  uint64_t sequence = 0;
};

// Result of formatting one record. Each value other than kOk is a counter in the daemon.
enum class FormatResult : uint8_t {
  kOk,
  kNoBody,           // Record.body is absent
  kUnknownBody,      // a body type this build does not know (a newer data plane)
  kBadIpVersion,     // ip_version is neither 4 nor 6
  kMissingEndpoint,  // the client or server endpoint is absent
};

// Formats records as ECS JSON lines. Strings from the wire are untrusted: JsonWriter escapes
// quotes, backslashes and control characters, and RepairUtf8 first replaces each ill-formed
// UTF-8 subpart with U+FFFD, so every line is valid UTF-8 JSON.
// The lines of one batch accumulate in one buffer so that the sink can write them with one
// system call. Not thread-safe. The buffers are reused, so formatting allocates only while they
// grow.
class EcsFormatter {
 public:
  EcsFormatter() = default;

  // Starts a batch: drops the buffered lines and formats the batch header fields, which every
  // line of the batch repeats, once.
  void BeginBatch(const BatchContext& batch);

  // Appends `record` as one JSON object followed by '\n' to lines(). On any result other than
  // kOk, nothing is appended.
  FormatResult Append(const wire::Record& record);

  // The lines appended since BeginBatch or ClearLines.
  std::string_view lines() const { return json_.view(); }
  // Drops the buffered lines, for example once the sink has taken them, and keeps the batch.
  void ClearLines() { json_.Clear(); }

  // Formats `record` alone: BeginBatch(batch) then Append(record). line() returns the line until
  // the next call. On any result other than kOk, line() is empty.
  FormatResult Format(const wire::Record& record, const BatchContext& batch);
  std::string_view line() const { return lines(); }

 private:
  void FormatTransaction(const wire::Transaction& transaction);
  void FormatFlow(const wire::FlowSummary& flow);
  // Defined in ecs_gap.cc.
  void FormatGap(const wire::Gap& gap);
  void FormatFinding(const wire::Finding& finding);
  void FormatInventory(const wire::Inventory& inventory);
  void WriteFindingEvent(const wire::Finding& finding);
  void WriteFindingDetails(const wire::Finding& finding);
  void WriteEvidence(const flatbuffers::Vector<flatbuffers::Offset<wire::Evidence>>* evidence);
  void WriteInventoryEntry(const wire::InventoryEntry& entry);
  void WriteClient(const flatbuffers::String* kind, const flatbuffers::String* id);
  void WriteTransactionDetection(const wire::Transaction& transaction);

  void WriteTransactionEvent(const wire::Transaction& transaction);
  void WriteFlowEvent(const wire::FlowSummary& flow);
  void WriteEndpoint(wire::IpVersion version, const wire::Endpoint& endpoint);
  void WriteCommunityId(wire::IpVersion version, const wire::Endpoint& client,
                        const wire::Endpoint& server);
  void WriteHttp(const wire::Transaction& transaction);
  void WriteUrl(const wire::Transaction& transaction);
  void WriteSluiceBatch(uint64_t flow_id);
  void WriteAnomalies(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list);

  // Inspection results under `sluice.*`. They take wire parts rather than a Transaction so that
  // other record types (findings) can reuse them.
  void WriteInspection(const wire::Transaction& transaction);
  void WriteRules(const flatbuffers::Vector<flatbuffers::Offset<wire::RuleMatch>>* rules);
  void WritePii(const flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>* request,
                const flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>* response);
  void WritePiiDirection(const char* direction,
                         const flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>* list);
  void WritePiiType(const char* key,
                    const flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>& list);
  void WriteBlock(const wire::BlockInfo* block);
  void WriteTimestamp(std::string_view key, uint64_t unix_ns);

  void UntrustedString(JsonWriter& json, std::string_view text);
  void UntrustedString(std::string_view text) { UntrustedString(json_, text); }
  // Writes `key: text` unless `text` is absent or empty.
  void OptionalString(std::string_view key, const flatbuffers::String* text);

  JsonWriter json_;
  // The `sluice.*` members taken from the batch header, formatted by BeginBatch.
  JsonWriter batch_members_;
  std::string utf8_scratch_;
  CommunityIdHasher community_id_hasher_;
};

// Returns the JSON name of a flow end ("open", "fin", ...), or "unknown" for a value this build
// does not know.
const char* FlowEndName(wire::FlowEnd end);

// Returns the JSON name of a verdict ("pass", "tag", "block", "would_block"), or "unknown" for a
// value this build does not know.
const char* VerdictName(wire::Verdict verdict);

// PII types written as keys of `sluice.pii.request` and `sluice.pii.response`, in output order.
// The keys come from this list and never from the wire, so a newer or hostile data plane cannot
// add SIEM fields. Entries of any other type are summed under kOtherPiiType.
inline constexpr const char* kPiiTypes[] = {
    "email", "credit_card",    "us_ssn",      "iban",         "phone",
    "jwt",   "aws_access_key", "private_key", "bearer_token", "api_key",
    "password",
};
inline constexpr const char* kOtherPiiType = "other";

}  // namespace sluice::control

// The fields of one wire record that the store's index holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "records_generated.h"

namespace sluice::control::store {

// Values of records.type in the index: the RecordBody union tags of the wire schema.
enum class RecordType : uint8_t {
  kUnknown = 0,
  kTransaction = 1,
  kFlowSummary = 2,
  kFinding = 3,
  kInventory = 4,
  kGap = 5,
};

// "transaction", "flow", "finding", "inventory", "gap" or "unknown".
const char* RecordTypeName(RecordType type);
// Parses a RecordTypeName. Returns false for other text.
bool ParseRecordType(std::string_view name, RecordType& type);

enum class PiiDirection : uint8_t { kRequest = 0, kResponse = 1 };

struct PiiEntry {
  PiiDirection direction = PiiDirection::kRequest;
  std::string type;
  uint64_t count = 0;
  std::vector<std::string> fingerprints;
};

// Owned copies, because a record's fields are written to SQLite after its batch buffer may be
// reused. The ingest thread reuses one instance per record to keep allocation low.
struct RecordFields {
  RecordType type = RecordType::kUnknown;
  uint64_t ts_ns = 0;
  std::string client_ip;  // printable address; empty when the record has no client endpoint
  uint16_t client_port = 0;
  std::string server_ip;
  uint16_t server_port = 0;
  std::string client_kind;
  std::string client_id;  // empty for clients identified by their address (client_ip has it)
  std::string host;
  std::string method;
  std::string url_path;
  std::string endpoint;
  uint16_t status = 0;
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;
  int verdict = -1;  // wire::Verdict, -1 when not a transaction
  std::string detector;
  std::vector<uint32_t> rule_ids;
  std::vector<uint64_t> finding_ids;  // a transaction's findings in force, or a finding's own id
  std::vector<PiiEntry> pii;

  void Clear();
};

// Fills `fields` from `record`. Records without a timestamp of their own (findings, gaps) take
// `received_ns`, the time sluice-control stored them.
void ExtractRecordFields(const wire::Record& record, uint64_t received_ns, RecordFields& fields);

// Formats a wire endpoint's address as text: dotted quad for IPv4, RFC 5952 text for IPv6.
std::string FormatAddress(wire::IpVersion version, const wire::Endpoint& endpoint);

}  // namespace sluice::control::store

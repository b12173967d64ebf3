// Inputs of `sluicectl report scope`: one plain row per transaction and per finding, the selector
// and the store's integrity status. The forensic store's query layer fills these rows (see
// scope_wire.h for the conversion from decoded wire records); the analysis never reads the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::control::forensics {

// The location of a record in the store: the batch that carried it, by the (data plane, run,
// worker, sequence) key that names every batch, and its position in that batch. flow_id and
// transaction_index name the transaction within its TCP connection.
struct RecordRef {
  std::string dataplane_id;
  uint64_t run_id = 0;
  uint32_t worker_id = 0;
  uint64_t sequence = 0;
  uint32_t record_index = 0;  // position in Batch.records
  uint64_t flow_id = 0;
  uint32_t transaction_index = 0;
};

// Personal data of one type in one direction of a transaction.
struct PiiItems {
  std::string type;  // email, credit_card, us_ssn, iban, phone, jwt, ...
  uint64_t count = 0;  // values found, repeats and values past the fingerprint limit included
  // Keyed HMAC-SHA256 of each distinct value, hex. The data plane keeps at most
  // kWireFingerprintLimit per type and transaction, so a count above that many fingerprints means
  // some distinct values have no fingerprint.
  std::vector<std::string> fingerprints;
};

// Maximum fingerprints the data plane records per PII type and transaction (PiiCount in
// schemas/records.fbs).
inline constexpr size_t kWireFingerprintLimit = 8;

// One HTTP transaction, reduced to what the scope report uses.
struct TransactionRow {
  uint64_t ts_ns = 0;                // capture time of the first request byte
  uint64_t response_end_ts_ns = 0;   // capture time of the last response byte, 0 without one
  RecordRef ref;
  std::string client_kind;           // ip, api_key, bearer, jwt_sub, basic_user
  std::string client_id;             // the address for ip, else the pseudonym
  std::string client_address;        // the TCP client's IP address in text form
  std::string host;                  // Host header, port removed
  std::string method;
  std::string endpoint;              // endpoint template, ids replaced by {id}
  std::string url_path;
  bool has_response = false;
  uint16_t status_code = 0;          // 0 without a response
  uint64_t request_bytes = 0;        // request body bytes
  uint64_t response_bytes = 0;       // response body bytes
  std::vector<PiiItems> pii_response;
  std::vector<PiiItems> pii_request;
  std::vector<uint32_t> rule_ids;
  std::vector<uint64_t> finding_ids;  // findings in force for this client when the call ended
};

// One detector finding about one client.
struct FindingRow {
  uint64_t finding_id = 0;     // unique within one data plane run only
  std::string dataplane_id;    // the data plane and run that raised it
  uint64_t run_id = 0;
  std::string detector;
  std::string client_kind;
  std::string client_id;
  std::string endpoint;        // template the finding is about, empty when it spans several
  uint64_t first_ts_ns = 0;    // first call the finding covers, 0 when unknown
  uint64_t last_ts_ns = 0;     // last call the finding covers, 0 when unknown
  uint64_t calls = 0;
  std::string verdict;         // pass, tag, block or would_block
};

// The criteria for the transactions the report covers. Every criterion that is set must hold
// (logical AND).
struct ScopeSelector {
  // The finding's transactions: those that carry this id, and the calls of the finding's client
  // from its first to its last call (the calls that raised a finding were made before it existed,
  // so they cannot carry its id).
  std::optional<uint64_t> finding_id;
  // Only calls of this data plane run. Finding ids restart with every run, so a finding is named
  // by its run and id.
  std::optional<uint64_t> run_id;
  std::optional<std::string> client;    // matches client_id or client_address exactly
  std::optional<std::string> endpoint;  // matches the endpoint template exactly
  std::optional<uint64_t> since_ns;     // ts_ns >= since_ns
  std::optional<uint64_t> until_ns;     // ts_ns < until_ns
};

// The forensic store's integrity, as `sluicectl verify` found it.
struct IntegrityStatus {
  enum class State { kNotChecked, kVerified, kBroken };
  struct BrokenSegment {
    std::string segment;  // segment file name
    std::string reason;   // e.g. "hash chain mismatch"
  };

  State state = State::kNotChecked;
  uint64_t segments_checked = 0;
  uint64_t checked_at_ns = 0;  // wall-clock time of the check, 0 when unknown
  std::vector<BrokenSegment> broken_segments;
};

}  // namespace sluice::control::forensics

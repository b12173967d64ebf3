// Conversion of decoded wire records (schemas/records.fbs) into the scope report's rows, so the
// store's query layer only has to find the records and call these.
#pragma once

#include "control/forensics/scope_input.h"
#include "records_generated.h"

namespace sluice::control::forensics {

// Builds a row from a transaction that flatbuffers::Verifier has accepted. `ref` names the batch
// and position the record came from; its flow_id and transaction_index are filled from the record.
TransactionRow TransactionRowFromWire(const wire::Transaction& transaction, RecordRef ref);

// Builds a row from a verified finding.
// NOTE: wire::Finding carries only its id, detector and client so far. The template, first and
// last call, call count and verdict stay empty until the schema gains those fields.
FindingRow FindingRowFromWire(const wire::Finding& finding);

}  // namespace sluice::control::forensics

// A typical finished flow and transaction, as the worker hands them to RecordBuilder: an IPv4
// keep-alive connection and a GET with a query, a bearer-token client and a JSON response.
#pragma once

#include <cstdint>

#include "dataplane/flow/flow.h"
#include "dataplane/session/transaction.h"

namespace sluice::perf {

// Fills `flow` (value-initialised first) with connection `number`.
void MakeRecordFlow(uint32_t number, flow::Flow* flow);
// Fills `transaction` with call `index` of a flow.
void MakeRecordTransaction(uint32_t index, session::Transaction* transaction);

}  // namespace sluice::perf

// The hooks the HTTP session offers to per-call analysis (the detectors): which request headers
// to keep, the end of the request headers (where a flagged client can be blocked) and the end of
// the call (before its record is built).
//
// Ownership: one observer per worker lcore, called only by that worker's HttpSession.
#pragma once

#include <string_view>

#include "dataplane/flow/flow.h"
#include "dataplane/session/transaction.h"

namespace sluice::session {

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // True when the request header `name` (any case) names the client; its value is then kept in
  // Transaction::identity_header.
  virtual bool WantsHeader(std::string_view name) const = 0;
  // The request headers are complete. A Block verdict in txn->detect makes the session stop the
  // connection (inline only: elsewhere the observer writes WouldBlock).
  virtual void OnRequestHeaders(const flow::Flow& flow, Transaction* txn) = 0;
  // The call is over; its record is built right after.
  virtual void OnCallEnd(const flow::Flow& flow, Transaction* txn) = 0;
};

}  // namespace sluice::session

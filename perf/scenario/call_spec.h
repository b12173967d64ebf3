#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "perf/gen/connection_simulator.h"

namespace sluice::scenario {

// Which response body a call gets.
enum class BodyKind {
  kNone,         // 204, or a status whose body is an error document.
  kObject,       // One object.
  kChildren,     // A short list of child objects.
  kPeople,       // A page of `items` person records (e-mail, phone).
  kCardholders,  // A page of `items` person records with Luhn-valid card numbers.
  kCursorPage,   // A page of `items` person records plus "next": next_cursor.
  kCreated,      // 201 with the new object and a Location header.
  kSession,      // 201 with an access token.
  kHealth,
  kHistory,      // One object with `items` history entries and no personal data.
  kError,        // Error document matching the status.
};

// One scripted HTTP call, decided by a behaviour before the connection is simulated.
struct CallSpec {
  const char* method = "GET";
  std::string target;       // Path and query.
  std::string endpoint;     // Template of the path, for the labels ("/v2/patients/{id}").
  int server = 0;           // Index into the scenario's servers.
  int status = 200;
  BodyKind body = BodyKind::kObject;
  int items = 0;            // List length for list bodies.
  int64_t first_item_id = 1;
  std::string next_cursor;  // kCursorPage: the token of the next page.
  std::string request_body;  // JSON request body for POST.
  bool with_auth = true;    // Send the client's credential header.
  bool attack = false;      // Counts as an attack call in the labels.
};

// The calls of one TCP connection.
struct Session {
  int64_t start_ns = 0;
  std::vector<CallSpec> calls;
  gen::CloseKind close = gen::CloseKind::kClientFin;
};

}  // namespace sluice::scenario

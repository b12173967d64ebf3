#pragma once

namespace sluice::gen {

// The API calls the model issues. A Server's endpoint_mask selects the ones it serves.
enum EndpointKind : int {
  kGetUser,          // GET /api/v1/users/{id}
  kHeadUser,         // HEAD /api/v1/users/{id}
  kPutUser,          // PUT /api/v1/users/{id}
  kPatchUser,        // PATCH /api/v1/users/{id}
  kGetRelated,       // GET /api/v1/accounts/{id}/related
  kListCustomers,    // GET /api/v1/customers?page=N&per_page=M
  kExportCustomers,  // GET /api/v1/customers/export (the ~100 KB responses)
  kGetOrder,         // GET /api/v1/orders/{uuid}
  kCreateOrder,      // POST /api/v1/orders
  kDeleteOrder,      // DELETE /api/v1/orders/{uuid}
  kListProducts,     // GET /api/v1/products?category=X&page=N
  kGetStock,         // GET /api/v1/stock/{sku}
  kCreateSession,    // POST /api/v1/sessions
  kDeleteSession,    // DELETE /api/v1/sessions/current
  kHealth,           // GET /health
  kLegacyUser,       // GET /v1/users/{id}, redirected with 301
  kAdminAudit,       // GET /api/v1/admin/audit-log, mostly 403
  kEndpointCount,
};

constexpr unsigned EndpointBit(EndpointKind kind) { return 1u << kind; }

}  // namespace sluice::gen

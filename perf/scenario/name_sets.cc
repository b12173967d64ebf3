#include "perf/scenario/name_sets.h"

namespace sluice::scenario {
namespace {

std::vector<NameSet> BuildNameSets() {
  std::vector<NameSet> sets;

  NameSet accounts;
  accounts.name = "accounts";
  accounts.api_host = "api.example.com";
  accounts.auth_host = "auth.example.com";
  accounts.child_path = "/accounts/{id}/related";
  accounts.object_path = "/accounts/{id}";
  accounts.uuid_path = "/transfers/{id}";
  accounts.create_path = "/transfers";
  accounts.search_path = "/customers/search";
  accounts.page_path = "/customers";
  accounts.page_param = "page";
  accounts.page_size_param = "per_page";
  accounts.offset_path = "/invoices";
  accounts.offset_size_param = "limit";
  accounts.cursor_path = "/events";
  accounts.cursor_param = "cursor";
  accounts.cursor_size_param = "limit";
  accounts.login_path = "/sessions";
  accounts.health_path = "/health";
  sets.push_back(accounts);

  NameSet tickets;
  tickets.name = "tickets";
  tickets.api_host = "helpdesk.example.net";
  tickets.auth_host = "sso.example.net";
  tickets.child_path = "/api/tickets/{id}/comments";
  tickets.object_path = "/api/tickets/{id}";
  tickets.uuid_path = "/api/attachments/{id}";
  tickets.create_path = "/api/attachments";
  tickets.search_path = "/api/tickets/search";
  tickets.page_path = "/api/users";
  tickets.page_param = "page";
  tickets.page_size_param = "size";
  tickets.offset_path = "/api/audit";
  tickets.offset_size_param = "count";
  tickets.cursor_path = "/api/messages";
  tickets.cursor_param = "after";
  tickets.cursor_size_param = "limit";
  tickets.login_path = "/api/login";
  tickets.health_path = "/status";
  sets.push_back(tickets);

  NameSet patients;
  patients.name = "patients";
  patients.api_host = "records.example.org";
  patients.auth_host = "id.example.org";
  patients.child_path = "/v2/patients/{id}/records";
  patients.object_path = "/v2/patients/{id}";
  patients.uuid_path = "/v2/appointments/{id}";
  patients.create_path = "/v2/appointments";
  patients.search_path = "/v2/practitioners";
  patients.page_path = "/v2/patients";
  patients.page_param = "page";
  patients.page_size_param = "page_size";
  patients.offset_path = "/v2/observations";
  patients.offset_size_param = "limit";
  patients.cursor_path = "/v2/encounters";
  patients.cursor_param = "after";
  patients.cursor_size_param = "count";
  patients.login_path = "/oauth/token";
  patients.health_path = "/healthz";
  sets.push_back(patients);

  NameSet orders;
  orders.name = "orders";
  orders.api_host = "shop.example.net";
  orders.auth_host = "login.example.net";
  orders.child_path = "/api/v3/orders/{id}/items";
  orders.object_path = "/api/v3/orders/{id}";
  orders.uuid_path = "/api/v3/shipments/{id}";
  orders.create_path = "/api/v3/shipments";
  orders.search_path = "/api/v3/products/search";
  orders.page_path = "/api/v3/customers";
  orders.page_param = "page";
  orders.page_size_param = "limit";
  orders.offset_path = "/api/v3/invoices";
  orders.offset_size_param = "size";
  orders.cursor_path = "/api/v3/payments";
  orders.cursor_param = "cursor";
  orders.cursor_size_param = "per_page";
  orders.login_path = "/api/v3/auth/login";
  orders.health_path = "/ping";
  sets.push_back(orders);
  return sets;
}

const std::vector<NameSet>& AllNameSets() {
  static const std::vector<NameSet> sets = BuildNameSets();
  return sets;
}

}  // namespace

const NameSet* FindNameSet(const std::string& name) {
  for (const NameSet& set : AllNameSets()) {
    if (set.name == name) return &set;
  }
  return nullptr;
}

std::vector<std::string> NameSetNames() {
  std::vector<std::string> names;
  for (const NameSet& set : AllNameSets()) names.push_back(set.name);
  return names;
}

std::string FillTemplate(const std::string& path_template, const std::string& id) {
  const size_t at = path_template.find("{id}");
  if (at == std::string::npos) return path_template;
  return path_template.substr(0, at) + id + path_template.substr(at + 4);
}

}  // namespace sluice::scenario

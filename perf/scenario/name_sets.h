#pragma once

#include <string>
#include <vector>

namespace sluice::scenario {

// The paths, hosts and parameter names of one modelled API. Thresholds are tuned on some sets and
// evaluated on others, so a detector cannot pass by knowing the names. Paths are templates: "{id}"
// stands for a numeric id or a UUID, which the product's endpoint inventory also turns into "{id}".
struct NameSet {
  std::string name;
  std::string api_host;   // Host header of every call except logins.
  std::string auth_host;  // Host header of the login endpoint.

  std::string child_path;   // GET, related objects of an object; the enumeration target.
  std::string object_path;  // GET an object (numeric id); DELETE never appears in normal use.
  std::string uuid_path;    // GET an object by UUID.
  std::string create_path;  // POST creates an object with a UUID.
  std::string search_path;  // GET with a "q" parameter.

  std::string page_path;  // GET list paged with page_param and page_size_param.
  std::string page_param;
  std::string page_size_param;
  std::string offset_path;  // GET list paged with "offset" and offset_size_param.
  std::string offset_size_param;
  std::string cursor_path;  // GET list paged with an opaque token in cursor_param.
  std::string cursor_param;  // "cursor" or "after".
  std::string cursor_size_param;

  std::string login_path;  // POST on auth_host.
  std::string health_path;
};

// The built-in sets: "accounts" and "tickets" are for tuning, "patients" and "orders" for the
// evaluation. Returns nullptr for an unknown name.
const NameSet* FindNameSet(const std::string& name);
std::vector<std::string> NameSetNames();

// Replaces "{id}" in `path_template` with `id`.
std::string FillTemplate(const std::string& path_template, const std::string& id);

}  // namespace sluice::scenario

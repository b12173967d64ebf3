// libFuzzer target for the detectors' parsers of hostile request data: client identities from
// headers (bearer, JWT sub, basic user, API key) and endpoint templates of paths. The first input
// byte picks the identity kind and the template capacity; the rest is the header value and the
// path. Every result must stay inside its output buffer.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dataplane/detect/client_identity.h"
#include "dataplane/detect/endpoint_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sluice::detect::ClientKind;
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto kind = static_cast<ClientKind>(1 + control % 4);  // api_key, bearer, jwt_sub, basic_user
  char identity[sluice::detect::kMaxIdentityBytes];
  const uint32_t length = sluice::detect::ExtractIdentity(kind, text, identity);
  if (length > sizeof(identity)) std::abort();

  const uint32_t capacity = 8 + (control >> 2) % 120;
  char endpoint[128];
  const sluice::detect::TemplateResult result = sluice::detect::TemplatePath(text, endpoint, capacity);
  if (result.length > capacity) std::abort();
  if (!result.object_id.empty() &&
      (result.object_id.data() < text.data() || result.object_id.data() + result.object_id.size() > text.data() + text.size())) {
    std::abort();
  }
  return 0;
}

// End to end: rule matches, verdicts, PII counts, fingerprints and redaction in the records that
// sluice-control writes for a capture this test generates. Every connection's record is known
// exactly: which rules fire, the verdict, each PII type's count and fingerprints per direction,
// the anomalies, and the redacted url.* and user_agent fields. The capture is written three
// times (segments as written, byte by byte, random splits) and each must give the same records.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness/sluice_runner.h"
#include "tests/integration/rules_pii/conversation_capture.h"
#include "tests/unit/matchers/compress_for_test.h"

namespace sluice::testing {
namespace {

constexpr int kExitInvalid = 2;
constexpr uint16_t kFirstClientPort = 41001;
constexpr size_t kFingerprintBytes = 16;  // HMAC-SHA256 truncated, as records carry it
// The fingerprint key that ControlServer::RunDataplane writes to the --pii-key-file it passes
// (harness/sluice_runner.cc). sluice-dataplane accepts that option once, so the test cannot pass
// its own. A change of the harness key shows here as fingerprint mismatches.
constexpr const char* kPiiKey = "sluice integration test key 0123456789";

// --- Expected values -----------------------------------------------------------------------------

// Lower-case hex of HMAC-SHA256(kPiiKey, value) cut to 16 bytes: the product's fingerprint.
std::string Fingerprint(const std::string& value) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const std::string key = kPiiKey;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < kFingerprintBytes && i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

// The redaction marker that replaces `value` in url.* and user_agent.
std::string Marker(const std::string& type, const std::string& value) {
  return "[" + type + ":" + Fingerprint(value) + "]";
}

// Values of one PII type found in one direction, in the order they occur, repeats included:
// the record's count is their number and its fingerprints those of the distinct values.
struct PiiValues {
  std::string type;
  std::vector<std::string> values;
};

struct TransactionCase {
  std::string name;
  // client_port is set from the case's position in the table. A connection with several
  // requests has one case for each, in order, and all but the first leave `conversation` empty.
  Conversation conversation;
  std::string verdict;
  std::vector<uint32_t> rule_ids;
  std::vector<PiiValues> request_pii;
  std::vector<PiiValues> response_pii;
  std::vector<std::string> anomalies;
  // Record fields after redaction; an empty string means the field is absent.
  std::string url_original;
  std::string url_path;
  std::string url_query;
  std::string user_agent;
  std::string url_domain = "api.example.test";
  // Checked only when set: sluice.endpoint and http.response.mime_type.
  std::optional<std::string> endpoint;
  std::optional<std::string> response_mime;
};

// The sluice.rules entry expected for each rule in rules.yaml.
struct RuleInfo {
  std::string msg;
  std::string field;
  std::string action;
  std::string severity;
};

const std::map<uint32_t, RuleInfo>& RulesYaml() {
  static const std::map<uint32_t, RuleInfo> rules = {
      {1001, {"SQL injection in the query string", "url.query", "block", "critical"}},
      {1002, {"Session deleted", "http.request.method,url.path", "tag", "low"}},
      {1003, {"curl client", "http.request.header.user-agent", "log", "info"}},
      {1004, {"Script tag in a request body", "http.request.body", "tag", "high"}},
      {1005, {"Export marker in a response body", "http.response.body", "log", "medium"}},
      {1006, {"Token that only the decoded body shows", "http.response.body", "block", "high"}},
      {1007, {"Admin path or debug header", "url.path,http.request.header.x-debug", "tag", "medium"}},
      {1008, {"Server error", "http.response.status_code", "log", "low"}},
      {1009, {"Marker at the very end of a response body", "http.response.body", "log", "medium"}},
  };
  return rules;
}

// --- HTTP text -----------------------------------------------------------------------------------

std::string Request(const std::string& method, const std::string& target,
                    const std::vector<std::string>& headers, const std::string& body = "",
                    const std::string& host = "api.example.test") {
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const std::string& header : headers) text += header + "\r\n";
  if (!body.empty()) text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return text + "\r\n" + body;
}

// A response head; Content-Length is added when `body_length` is set.
std::string ResponseHead(const std::string& status, const std::vector<std::string>& headers,
                         std::optional<size_t> body_length) {
  std::string text = "HTTP/1.1 " + status + "\r\n";
  for (const std::string& header : headers) text += header + "\r\n";
  if (body_length) text += "Content-Length: " + std::to_string(*body_length) + "\r\n";
  return text + "\r\n";
}

std::string Response(const std::string& status, const std::string& body,
                     const std::vector<std::string>& headers = {"Content-Type: application/json"}) {
  return ResponseHead(status, headers, body.size()) + body;
}

std::string NoContent() { return ResponseHead("204 No Content", {}, std::nullopt); }

std::string Chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof(size), "%zx", data.size());
  return std::string(size) + "\r\n" + data + "\r\n";
}

// `text` compressed as a gzip member (RFC 1952) by zlib.
std::string Gzip(const std::string& text) { return CompressForTest(text, 15 + 16); }

// `text` as a raw deflate stream (RFC 1951, no zlib header), which some servers send for
// Content-Encoding: deflate.
std::string RawDeflate(const std::string& text) { return CompressForTest(text, -15); }

// A gzip header (RFC 1952 section 2.3) followed by a deflate block of the reserved type 3,
// which zlib rejects with Z_DATA_ERROR ("invalid block type").
std::string CorruptGzip() {
  const unsigned char bytes[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  return std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

// --- The cases -----------------------------------------------------------------------------------

// The jwt.io example token: header {"alg":"HS256","typ":"JWT"}.
const std::string kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const std::string kAwsKey = "AKIAIOSFODNN7EXAMPLE";
const std::string kApiKey = "k3y-0123456789abcdef";
const std::string kValidCard = "4111111111111111";    // Visa test number, Luhn valid
const std::string kInvalidCard = "4111111111111112";  // Luhn check digit wrong
const std::string kValidIban = "DE89370400440532013000";
const std::string kInvalidIban = "DE89370400440532013001";  // mod-97 check fails
const std::string kValidSsn = "123-45-6789";
const std::string kInvalidSsn = "900-12-3456";  // area 900-999 is never issued
const std::string kPhone = "+14155552671";
const std::string kAlice = "alice@example.com";
const std::string kBob = "bob@example.org";

TransactionCase SqlInjectionCase() {
  const std::string target = "/api/v1/search?q=union+select+1";
  return {.name = "sql injection in query",
          .conversation = {0, {Request("GET", target, {"User-Agent: curl/8"})},
                           {Response("200 OK", "[]")}},
          .verdict = "would_block",
          .rule_ids = {1001, 1003},
          .url_original = target,
          .url_path = "/api/v1/search",
          .url_query = "q=union+select+1",
          .user_agent = "curl/8"};
}

TransactionCase DeleteSessionCase() {
  return {.name = "delete session",
          .conversation = {0, {Request("DELETE", "/api/v1/sessions/42", {})}, {NoContent()}},
          .verdict = "tag",
          .rule_ids = {1002},
          .url_original = "/api/v1/sessions/42",
          .url_path = "/api/v1/sessions/42"};
}

// Only the method of rule 1002's `all` matches: the rule must not fire.
TransactionCase DeleteUserCase() {
  return {.name = "delete user",
          .conversation = {0, {Request("DELETE", "/api/v1/users/42", {})}, {NoContent()}},
          .verdict = "pass",
          .url_original = "/api/v1/users/42",
          .url_path = "/api/v1/users/42"};
}

TransactionCase CurlLogCase() {
  return {.name = "curl logged",
          .conversation = {0, {Request("GET", "/health", {"User-Agent: curl/8"})},
                           {Response("200 OK", "{\"status\":\"up\"}")}},
          .verdict = "pass",
          .rule_ids = {1003},
          .url_original = "/health",
          .url_path = "/health",
          .user_agent = "curl/8"};
}

TransactionCase DebugHeaderCase() {
  return {.name = "debug header",
          .conversation = {0, {Request("GET", "/status", {"X-Debug: 1"})},
                           {Response("200 OK", "{}")}},
          .verdict = "tag",
          .rule_ids = {1007},
          .url_original = "/status",
          .url_path = "/status"};
}

TransactionCase BaselineCase() {
  return {.name = "baseline",
          .conversation = {0, {Request("GET", "/api/v1/ok", {"User-Agent: app/2.1"})},
                           {Response("200 OK", "{\"ok\":true}")}},
          .verdict = "pass",
          .url_original = "/api/v1/ok",
          .url_path = "/api/v1/ok",
          .user_agent = "app/2.1"};
}

// Three e-mail addresses (two distinct), and a valid and an invalid value of each checked type:
// only the valid ones count.
TransactionCase ResponsePiiCase() {
  const std::string body =
      "{\"users\":[{\"email\":\"" + kAlice + "\",\"card\":\"" + kValidCard + "\",\"iban\":\"" +
      kValidIban + "\",\"ssn\":\"" + kValidSsn + "\",\"phone\":\"" + kPhone +
      "\"},{\"email\":\"" + kBob + "\",\"card\":\"" + kInvalidCard + "\",\"iban\":\"" +
      kInvalidIban + "\",\"ssn\":\"" + kInvalidSsn + "\"},{\"contact\":\"" + kAlice + "\"}]}";
  return {.name = "response pii",
          .conversation = {0, {Request("GET", "/api/v1/customers/7", {})},
                           {Response("200 OK", body)}},
          .verdict = "pass",
          .response_pii = {{"email", {kAlice, kBob, kAlice}},
                           {"credit_card", {kValidCard}},
                           {"us_ssn", {kValidSsn}},
                           {"iban", {kValidIban}},
                           {"phone", {kPhone}}},
          .url_original = "/api/v1/customers/7",
          .url_path = "/api/v1/customers/7"};
}

// A bearer JWT counts twice: as bearer_token (the Authorization header's token) and as jwt (the
// pattern scan of the header value), with the same fingerprint because the value is the same.
TransactionCase CredentialsCase() {
  const std::string query = "key=" + kAwsKey + "&page=2";
  const std::string redacted_query = "key=" + Marker("aws_access_key", kAwsKey) + "&page=2";
  return {.name = "credentials",
          .conversation = {0,
                           {Request("GET", "/api/v1/files?" + query,
                                    {"Authorization: Bearer " + kJwt, "X-API-Key: " + kApiKey})},
                           {Response("200 OK", "[]")}},
          .verdict = "pass",
          .request_pii = {{"jwt", {kJwt}},
                          {"aws_access_key", {kAwsKey}},
                          {"bearer_token", {kJwt}},
                          {"api_key", {kApiKey}}},
          .url_original = "/api/v1/files?" + redacted_query,
          .url_path = "/api/v1/files",
          .url_query = redacted_query};
}

// The rule's pattern and an e-mail address both straddle the boundary between two segments.
TransactionCase SplitBodyCase() {
  const std::string body = "{\"text\":\"hi <script>alert(1)</script>\",\"by\":\"" + kAlice + "\"}";
  const std::string request =
      Request("POST", "/api/v1/comments", {"Content-Type: application/json"}, body);
  const size_t script_cut = request.find("<script") + 4;
  const size_t email_cut = request.find(kAlice) + 5;
  return {.name = "split request body",
          .conversation = {0,
                           {request.substr(0, script_cut),
                            request.substr(script_cut, email_cut - script_cut),
                            request.substr(email_cut)},
                           {Response("201 Created", "{\"id\":9}")}},
          .verdict = "tag",
          .rule_ids = {1004},
          .request_pii = {{"email", {kAlice}}},
          .url_original = "/api/v1/comments",
          .url_path = "/api/v1/comments"};
}

// The rule's pattern and an e-mail address each span two chunks, and segment boundaries fall
// inside a chunk-size line and inside chunk data.
TransactionCase ChunkedCase() {
  const std::string chunks = Chunk("{\"export\":\"BEGIN EXPORT-SEC") +
                             Chunk("RET-MARKER\",\"owner\":\"carol@exa") + Chunk("mple.com\"}") +
                             "0\r\n\r\n";
  const size_t cut = chunks.find("RET-MARKER") - 3;
  return {.name = "chunked response",
          .conversation = {0, {Request("GET", "/api/v1/export", {})},
                           {ResponseHead("200 OK", {"Transfer-Encoding: chunked"}, std::nullopt) +
                                chunks.substr(0, cut),
                            chunks.substr(cut)}},
          .verdict = "pass",
          .rule_ids = {1005},
          .response_pii = {{"email", {"carol@example.com"}}},
          .url_original = "/api/v1/export",
          .url_path = "/api/v1/export"};
}

// Rule 1006's token and the card number exist only in the decoded body.
TransactionCase GzipCase() {
  const std::string compressed =
      Gzip("{\"note\":\"INFLATED-ONLY-TOKEN\",\"card\":\"" + kValidCard + "\"}");
  EXPECT_EQ(compressed.find("INFLATED"), std::string::npos);
  const std::string head = ResponseHead(
      "200 OK", {"Content-Type: application/json", "Content-Encoding: gzip"}, compressed.size());
  const size_t half = compressed.size() / 2;
  return {.name = "gzip response",
          .conversation = {0, {Request("GET", "/api/v1/archive", {"Accept-Encoding: gzip"})},
                           {head + compressed.substr(0, half), compressed.substr(half)}},
          .verdict = "would_block",
          .rule_ids = {1006},
          .response_pii = {{"credit_card", {kValidCard}}},
          .url_original = "/api/v1/archive",
          .url_path = "/api/v1/archive"};
}

TransactionCase CorruptGzipCase() {
  const std::string body = CorruptGzip();
  return {.name = "corrupt gzip",
          .conversation = {0, {Request("GET", "/api/v1/broken", {"Accept-Encoding: gzip"})},
                           {ResponseHead("200 OK", {"Content-Encoding: gzip"}, body.size()) + body}},
          .verdict = "pass",
          .anomalies = {"body.inflate_corrupt"},
          .url_original = "/api/v1/broken",
          .url_path = "/api/v1/broken"};
}

// A status-code rule, and an e-mail address in User-Agent: counted and redacted.
TransactionCase ServerErrorCase() {
  const std::string agent = "probe/1.0 (ops@example.net)";
  return {.name = "server error",
          .conversation = {0, {Request("GET", "/api/v1/fail", {"User-Agent: " + agent})},
                           {Response("503 Service Unavailable", "{\"retry\":true}")}},
          .verdict = "pass",
          .rule_ids = {1008},
          .request_pii = {{"email", {"ops@example.net"}}},
          .url_original = "/api/v1/fail",
          .url_path = "/api/v1/fail",
          .user_agent = "probe/1.0 (" + Marker("email", "ops@example.net") + ")"};
}

TransactionCase RawDeflateCase() {
  const std::string compressed = RawDeflate("{\"note\":\"INFLATED-ONLY-TOKEN\"}");
  return {.name = "raw deflate response",
          .conversation = {0, {Request("GET", "/api/v1/deflated", {})},
                           {ResponseHead("200 OK", {"Content-Encoding: deflate"}, compressed.size()) +
                            compressed}},
          .verdict = "would_block",
          .rule_ids = {1006},
          .url_original = "/api/v1/deflated",
          .url_path = "/api/v1/deflated"};
}

// url.path rules see the path after dot segments are resolved; the record names the evasion.
TransactionCase DotSegmentCase() {
  return {.name = "dot segments to admin",
          .conversation = {0, {Request("GET", "/api/v1/../../../admin/users", {})},
                           {Response("200 OK", "[]")}},
          .verdict = "tag",
          .rule_ids = {1007},
          .anomalies = {"url.above_root", "url.dot_segments"},
          .url_original = "/api/v1/../../../admin/users",
          .url_path = "/admin/users"};
}

// An e-mail address in the path is redacted in url.original and url.path. NOTE: it is not
// counted in sluice.pii, because PII detection has no path field (matchers/pii/pii_types.h
// PiiField): only query, headers and bodies are counted.
TransactionCase PathPiiCase() {
  const std::string marker = Marker("email", "dave@example.com");
  return {.name = "email in path",
          .conversation = {0, {Request("GET", "/api/v1/users/dave@example.com/profile", {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .url_original = "/api/v1/users/" + marker + "/profile",
          .url_path = "/api/v1/users/" + marker + "/profile"};
}

// More values in the target than the record builder keeps spans for (64): url.original cannot
// be redacted in full, so it is withheld, and so is url.query. The path, scanned on its own, is
// redacted. All values are counted, five distinct ones.
TransactionCase ManyValuesCase() {
  std::vector<std::string> mails;
  std::string query;
  for (int i = 0; i < 70; ++i) {
    std::string mail = "user";
    mail += std::to_string(i % 5);
    mails.push_back(mail + "@example.com");
    query += (i == 0 ? "to=" : "&to=") + mails.back();
  }
  const std::string marker = Marker("email", "erin@example.com");
  return {.name = "many values",
          .conversation = {0, {Request("GET", "/api/v1/mail/erin@example.com?" + query, {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"email", mails}},
          .url_original = "[redacted]",
          .url_path = "/api/v1/mail/" + marker,
          .url_query = "[redacted]"};
}

// An absolute-form target without a path: its query is still the query, counted and redacted.
TransactionCase AbsoluteFormQueryCase() {
  const std::string marker = Marker("email", "fay@example.com");
  return {.name = "absolute-form query",
          .conversation = {0, {Request("GET", "http://api.example.test?mail=fay@example.com", {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"email", {"fay@example.com"}}},
          .url_original = "http://api.example.test?mail=" + marker,
          .url_path = "/",
          .url_query = "mail=" + marker};
}

// A private key in an absolute-form target whose path starts inside the key ('/' is a key
// character). url.path contains the key's last characters: they are redacted with the key's marker,
// not left raw because the path alone does not show the key's start. The marker covers the key
// characters after the first 40 too, up to the '?'. Not counted: PII detection has no field for the
// target's authority or path.
TransactionCase KeyAcrossPathStartCase() {
  const std::string body = "AAAAAAAAAA/" + std::string(29, 'B');  // the 40 key characters
  const std::string marker = Marker("private_key", "-----BEGIN PRIVATE KEY-----\n" + body);
  return {.name = "key across the path start",
          .conversation = {0,
                           {Request("GET", "http://h-----BEGIN%20PRIVATE%20KEY-----%0A" + body + "CDEFG?q=1", {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .url_original = "http://h" + marker + "?q=1",
          .url_path = marker,
          .url_query = "q=1"};
}

// An e-mail address as the Host header: counted, and redacted in url.domain.
TransactionCase HostPiiCase() {
  return {.name = "email as host",
          .conversation = {0, {Request("GET", "/api/v1/ping", {}, "", "carol@example.org")},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"email", {"carol@example.org"}}},
          .url_original = "/api/v1/ping",
          .url_path = "/api/v1/ping",
          .url_domain = Marker("email", "carol@example.org")};
}

// A JWT in a response header, and an e-mail address that ends the body (no byte after it).
TransactionCase ResponseHeaderJwtCase() {
  return {.name = "response header jwt",
          .conversation = {0, {Request("POST", "/api/v1/login", {}, "{\"user\":\"frank\"}")},
                           {Response("200 OK", "reply to frank@example.com",
                                     {"Set-Cookie: session=" + kJwt + "; Path=/; HttpOnly"})}},
          .verdict = "pass",
          .response_pii = {{"jwt", {kJwt}}, {"email", {"frank@example.com"}}},
          .url_original = "/api/v1/login",
          .url_path = "/api/v1/login"};
}

// '+' is a space in a form-encoded query, so it separates the digits of a card number there.
TransactionCase FormEncodedCardCase() {
  const std::string card = "4111+1111+1111+1111";
  const std::string redacted_query = "card=" + Marker("credit_card", card) + "&exp=12";
  return {.name = "form-encoded card",
          .conversation = {0, {Request("GET", "/api/v1/pay?card=" + card + "&exp=12", {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"credit_card", {card}}},
          .url_original = "/api/v1/pay?" + redacted_query,
          .url_path = "/api/v1/pay",
          .url_query = redacted_query};
}

// A login form sends "%40" for '@', and a cookie contains an address escaped the same way: both
// are found decoded, with the fingerprint of the plain address. The form body is cut inside
// the escape.
TransactionCase FormBodyCase() {
  const std::string body = "user=dana%40example.com&remember=1";
  const std::string request =
      Request("POST", "/api/v1/session",
              {"Content-Type: application/x-www-form-urlencoded", "Cookie: last=erin%40example.net"}, body);
  const size_t cut = request.find("%40") + 2;
  return {.name = "form body and cookie escapes",
          .conversation = {0, {request.substr(0, cut), request.substr(cut)}, {Response("201 Created", "{}")}},
          .verdict = "pass",
          .request_pii = {{"email", {"erin@example.net", "dana@example.com"}}},
          .url_original = "/api/v1/session",
          .url_path = "/api/v1/session"};
}

// A JSON response that escapes the line break of a private key, the '/' in it and the '@' of an
// address, cut inside the "\u0040": both are found decoded and fingerprinted as plain text.
TransactionCase JsonEscapedBodyCase() {
  const std::string first = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw/gSj";  // 40 key characters
  const std::string escaped_first = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\\/gSj";
  const std::string body = "{\"key\":\"-----BEGIN PRIVATE KEY-----\\n" + escaped_first +
                           "AgEA\\n-----END PRIVATE KEY-----\",\"owner\":\"gina\\u0040example.com\"}";
  const std::string response = Response("200 OK", body);
  const size_t cut = response.find("\\u00") + 3;
  return {.name = "json escapes in a response body",
          .conversation = {0, {Request("GET", "/api/v1/keys/7", {})}, {response.substr(0, cut), response.substr(cut)}},
          .verdict = "pass",
          .response_pii = {{"private_key", {"-----BEGIN PRIVATE KEY-----\n" + first}}, {"email", {"gina@example.com"}}},
          .url_original = "/api/v1/keys/7",
          .url_path = "/api/v1/keys/7",
          .endpoint = "/api/v1/keys/{id}"};
}

// Secrets that only their parameter names mark: counted, fingerprinted as sent, and redacted.
TransactionCase QuerySecretsCase() {
  const std::string redacted_query = "user=ann&password=" + Marker("password", "hunter2") +
                                     "&access_token=" + Marker("bearer_token", "tok123") +
                                     "&api_key=" + Marker("api_key", "k3y");
  return {.name = "query secrets",
          .conversation = {0,
                           {Request("GET",
                                    "/api/v1/session?user=ann&password=hunter2&access_token=tok123&api_key=k3y",
                                    {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"password", {"hunter2"}}, {"bearer_token", {"tok123"}}, {"api_key", {"k3y"}}},
          .url_original = "/api/v1/session?" + redacted_query,
          .url_path = "/api/v1/session",
          .url_query = redacted_query,
          .endpoint = "/api/v1/session"};
}

// A secret path parameter: counted and redacted in url.original. Normalising drops path
// parameters, so url.path has none left.
TransactionCase PathParameterCase() {
  const std::string marker = Marker("password", "hunter2");
  return {.name = "path parameter",
          .conversation = {0, {Request("GET", "/api/v1/../v1/app;password=hunter2/x", {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"password", {"hunter2"}}},
          .anomalies = {"url.dot_segments", "url.path_parameters"},
          .url_original = "/api/v1/../v1/app;password=" + marker + "/x",
          .url_path = "/api/v1/app/x"};
}

// The user information of an absolute-form target, password and all. With a host name after the
// '@' it would also read as an e-mail address, whose marker would then cover both.
TransactionCase UserInfoPasswordCase() {
  return {.name = "user-info password",
          .conversation = {0, {Request("GET", "http://ann:S3cretPw@192.0.2.7/api/v1/p?x=1", {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"password", {"ann:S3cretPw"}}},
          .url_original = "http://" + Marker("password", "ann:S3cretPw") + "@192.0.2.7/api/v1/p?x=1",
          .url_path = "/api/v1/p",
          .url_query = "x=1"};
}

// A social security number as a path segment is an object id in the endpoint template, so the
// template contains no number. A hostile Content-Type is scanned like any recorded field.
TransactionCase PathSsnCase() {
  return {.name = "ssn in path",
          .conversation = {0, {Request("GET", "/api/v1/people/" + kValidSsn + "/profile", {})},
                           {Response("200 OK", "{}", {"Content-Type: " + kAlice})}},
          .verdict = "pass",
          .response_pii = {{"email", {kAlice}}},
          .url_original = "/api/v1/people/" + Marker("us_ssn", kValidSsn) + "/profile",
          .url_path = "/api/v1/people/" + Marker("us_ssn", kValidSsn) + "/profile",
          .endpoint = "/api/v1/people/{id}/profile",
          .response_mime = Marker("email", kAlice)};
}

// A whole private key in a query: the marker replaces the block up to its END line, though the
// fingerprint covers only the header and the first 40 key characters.
TransactionCase KeyBlockInQueryCase() {
  const std::string first = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj";  // 40 key characters
  const std::string block = "-----BEGIN%20PRIVATE%20KEY-----%0A" + first +
                            "AgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4%0A-----END%20PRIVATE%20KEY-----";
  const std::string marker = Marker("private_key", "-----BEGIN PRIVATE KEY-----\n" + first);
  return {.name = "key block in query",
          .conversation = {0, {Request("GET", "/api/v1/keys?k=" + block + "&x=1", {})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"private_key", {"-----BEGIN PRIVATE KEY-----\n" + first}}},
          .url_original = "/api/v1/keys?k=" + marker + "&x=1",
          .url_path = "/api/v1/keys",
          .url_query = "k=" + marker + "&x=1"};
}

// A User-Agent longer than the 512 bytes a record keeps, cut inside a card number: the recorded
// value ends at the space before the card, so no digit of it is recorded. The header is scanned
// whole, so the card is counted.
TransactionCase CutUserAgentCase() {
  const std::string agent = "app/1.0 (" + std::string(495, 'a') + "; " + kValidCard + "; x)";
  return {.name = "cut user agent",
          .conversation = {0, {Request("GET", "/api/v1/agent", {"User-Agent: " + agent})},
                           {Response("200 OK", "{}")}},
          .verdict = "pass",
          .request_pii = {{"credit_card", {kValidCard}}},
          .anomalies = {"record.field_truncated"},
          .url_original = "/api/v1/agent",
          .url_path = "/api/v1/agent",
          .user_agent = agent.substr(0, agent.find(';') + 2)};
}

// Two requests on one keep-alive connection: the second must not inherit the first one's rule
// matches or PII. Rule 1009's "TAIL-MARK$" fires only where the marker ends the body.
std::vector<TransactionCase> KeepAliveCases() {
  const std::string first_body = "{\"owner\":\"erin@example.com\"} TAIL-MARK";
  const std::string second_body = "TAIL-MARK, then more";
  TransactionCase first = {
      .name = "keep-alive first",
      .conversation = {0,
                       {Request("GET", "/api/v1/first", {}), Request("GET", "/api/v1/second", {})},
                       {Response("200 OK", first_body), Response("200 OK", second_body)}},
      .verdict = "pass",
      .rule_ids = {1009},
      .response_pii = {{"email", {"erin@example.com"}}},
      .url_original = "/api/v1/first",
      .url_path = "/api/v1/first"};
  TransactionCase second = {.name = "keep-alive second",
                            .verdict = "pass",
                            .url_original = "/api/v1/second",
                            .url_path = "/api/v1/second"};
  return {first, second};
}

std::vector<TransactionCase> Cases() {
  std::vector<TransactionCase> cases = {
      SqlInjectionCase(), DeleteSessionCase(),   DeleteUserCase(),   CurlLogCase(),
      DebugHeaderCase(),  BaselineCase(),        ResponsePiiCase(),  CredentialsCase(),
      SplitBodyCase(),    ChunkedCase(),         GzipCase(),         CorruptGzipCase(),
      ServerErrorCase(),  RawDeflateCase(),      DotSegmentCase(),   PathPiiCase(),
      ResponseHeaderJwtCase(), HostPiiCase(), ManyValuesCase(), AbsoluteFormQueryCase(),
      KeyAcrossPathStartCase(), FormEncodedCardCase(), FormBodyCase(), JsonEscapedBodyCase(), QuerySecretsCase(), UserInfoPasswordCase(),
      PathSsnCase(), KeyBlockInQueryCase(), CutUserAgentCase(), PathParameterCase(),
  };
  for (TransactionCase& c : KeepAliveCases()) cases.push_back(std::move(c));
  uint16_t port = kFirstClientPort - 1;
  for (TransactionCase& c : cases) {
    if (!c.conversation.request_segments.empty()) ++port;
    c.conversation.client_port = port;
  }
  return cases;
}

// Cases keyed by connection (client port) and transaction index on that connection.
using TransactionKey = std::pair<int64_t, int64_t>;

std::map<TransactionKey, const TransactionCase*> CasesByKey(const std::vector<TransactionCase>& cases) {
  std::map<TransactionKey, const TransactionCase*> keyed;
  int64_t index = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const bool continues = i > 0 && cases[i].conversation.client_port == cases[i - 1].conversation.client_port;
    index = continues ? index + 1 : 0;
    keyed[{cases[i].conversation.client_port, index}] = &cases[i];
  }
  return keyed;
}

// --- Record checks -------------------------------------------------------------------------------

std::string OptionalField(const rapidjson::Value& record, const char* path) {
  return FindString(record, path).value_or("");
}

std::vector<uint32_t> RuleIds(const rapidjson::Value& record) {
  std::vector<uint32_t> ids;
  const rapidjson::Value* rules = Find(record, "sluice.rules");
  if (rules == nullptr || !rules->IsArray()) return ids;
  for (const rapidjson::Value& rule : rules->GetArray()) {
    const std::optional<int64_t> id = FindInt(rule, "id");
    ids.push_back(id ? static_cast<uint32_t>(*id) : 0);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void ExpectRuleDetails(const rapidjson::Value& record) {
  const rapidjson::Value* rules = Find(record, "sluice.rules");
  if (rules == nullptr || !rules->IsArray()) return;
  for (const rapidjson::Value& rule : rules->GetArray()) {
    const uint32_t id = static_cast<uint32_t>(FindInt(rule, "id").value_or(0));
    const auto known = RulesYaml().find(id);
    ASSERT_NE(known, RulesYaml().end()) << "rule id " << id << " is not in rules.yaml";
    SCOPED_TRACE("rule " + std::to_string(id));
    EXPECT_EQ(FindString(rule, "msg"), known->second.msg);
    EXPECT_EQ(FindString(rule, "field"), known->second.field);
    EXPECT_EQ(FindString(rule, "action"), known->second.action);
    EXPECT_EQ(FindString(rule, "severity"), known->second.severity);
  }
}

// Checks sluice.pii.<direction> against `expected`: the same types, and for each the count and
// the fingerprints of the distinct values (in any order).
void ExpectPii(const rapidjson::Value& record, const std::string& direction,
               const std::vector<PiiValues>& expected) {
  SCOPED_TRACE("sluice.pii." + direction);
  const rapidjson::Value* found = Find(record, "sluice.pii." + direction);
  if (expected.empty()) {
    EXPECT_EQ(found, nullptr) << "unexpected PII: " << CanonicalJson(*found);
    return;
  }
  ASSERT_NE(found, nullptr) << "no PII recorded";
  ASSERT_TRUE(found->IsObject());
  std::set<std::string> expected_types;
  for (const PiiValues& entry : expected) expected_types.insert(entry.type);
  std::set<std::string> found_types;
  for (const auto& member : found->GetObject()) found_types.insert(member.name.GetString());
  EXPECT_EQ(found_types, expected_types);

  for (const PiiValues& entry : expected) {
    SCOPED_TRACE(entry.type);
    const rapidjson::Value* type = Find(*found, entry.type);
    if (type == nullptr) continue;  // already reported by the type comparison
    EXPECT_EQ(FindInt(*type, "count"), static_cast<int64_t>(entry.values.size()));
    std::multiset<std::string> expected_fingerprints;
    for (const std::string& value : std::set<std::string>(entry.values.begin(), entry.values.end())) {
      expected_fingerprints.insert(Fingerprint(value));
    }
    std::multiset<std::string> fingerprints;
    const rapidjson::Value* list = Find(*type, "fingerprints");
    ASSERT_TRUE(list != nullptr && list->IsArray());
    for (const rapidjson::Value& fingerprint : list->GetArray()) {
      fingerprints.insert(fingerprint.IsString() ? fingerprint.GetString() : "(not a string)");
    }
    EXPECT_EQ(fingerprints, expected_fingerprints);
  }
}

std::vector<std::string> Anomalies(const rapidjson::Value& record) {
  std::vector<std::string> names;
  const rapidjson::Value* list = Find(record, "sluice.anomalies");
  if (list == nullptr || !list->IsArray()) return names;
  for (const rapidjson::Value& name : list->GetArray()) {
    names.push_back(name.IsString() ? name.GetString() : "(not a string)");
  }
  std::sort(names.begin(), names.end());
  return names;
}

void ExpectTransaction(const rapidjson::Value& record, const TransactionCase& expected) {
  EXPECT_EQ(FindString(record, "sluice.verdict"), expected.verdict);
  EXPECT_EQ(RuleIds(record), expected.rule_ids);
  ExpectRuleDetails(record);
  ExpectPii(record, "request", expected.request_pii);
  ExpectPii(record, "response", expected.response_pii);
  if (expected.request_pii.empty() && expected.response_pii.empty()) {
    EXPECT_EQ(Find(record, "sluice.pii"), nullptr);
  }
  EXPECT_EQ(Anomalies(record), expected.anomalies);
  EXPECT_EQ(OptionalField(record, "url.original"), expected.url_original);
  EXPECT_EQ(OptionalField(record, "url.path"), expected.url_path);
  EXPECT_EQ(OptionalField(record, "url.query"), expected.url_query);
  EXPECT_EQ(OptionalField(record, "user_agent.original"), expected.user_agent);
  EXPECT_EQ(OptionalField(record, "url.domain"), expected.url_domain);
  if (expected.endpoint) EXPECT_EQ(OptionalField(record, "sluice.endpoint"), *expected.endpoint);
  if (expected.response_mime) {
    EXPECT_EQ(OptionalField(record, "http.response.mime_type"), *expected.response_mime);
  }
}

std::set<std::string> Fingerprints(const rapidjson::Value* record, const std::string& direction,
                                   const std::string& type) {
  std::set<std::string> fingerprints;
  const rapidjson::Value* list =
      record == nullptr ? nullptr : Find(*record, "sluice.pii." + direction + "." + type + ".fingerprints");
  if (list == nullptr || !list->IsArray()) return fingerprints;
  for (const rapidjson::Value& fingerprint : list->GetArray()) {
    if (fingerprint.IsString()) fingerprints.insert(fingerprint.GetString());
  }
  return fingerprints;
}

// The same value seen in different transactions, directions or types has one fingerprint. Checked
// between records, so it holds whatever key the harness uses.
void ExpectEqualValuesShareFingerprints(
    const std::vector<TransactionCase>& cases,
    const std::map<TransactionKey, const rapidjson::Document*>& records) {
  std::map<std::string, const rapidjson::Value*> by_name;
  for (const auto& [key, expected] : CasesByKey(cases)) {
    const auto found = records.find(key);
    by_name[expected->name] = found == records.end() ? nullptr : found->second;
  }
  struct Occurrence {
    std::string case_name;
    std::string direction;
    std::string type;
  };
  // Each group holds one value (named in the comment) in several places.
  const std::vector<std::vector<Occurrence>> groups = {
      {{"response pii", "response", "credit_card"}, {"gzip response", "response", "credit_card"}},
      {{"credentials", "request", "jwt"},
       {"credentials", "request", "bearer_token"},
       {"response header jwt", "response", "jwt"}},
  };
  for (const std::vector<Occurrence>& group : groups) {
    const std::set<std::string> first = Fingerprints(by_name[group[0].case_name], group[0].direction, group[0].type);
    EXPECT_EQ(first.size(), 1u) << group[0].case_name << " " << group[0].type;
    for (const Occurrence& other : group) {
      EXPECT_EQ(Fingerprints(by_name[other.case_name], other.direction, other.type), first)
          << other.case_name << " " << other.direction << " " << other.type << " vs "
          << group[0].case_name << " " << group[0].type;
    }
  }
  // alice@example.com: once in the split request body, twice among two addresses in a response.
  const std::set<std::string> alice = Fingerprints(by_name["split request body"], "request", "email");
  const std::set<std::string> customers = Fingerprints(by_name["response pii"], "response", "email");
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(customers.count(*alice.begin()), 1u) << "alice@example.com has two fingerprints";
}

// --- Fixture -------------------------------------------------------------------------------------

std::string RuleFile(const char* name) {
  const char* directory = std::getenv("SLUICE_RULES_PII_DIR");
  return std::string(directory == nullptr ? "." : directory) + "/" + name;
}

class RulesPii : public ::testing::TestWithParam<Segmentation> {
 protected:
  static void SetUpTestSuite() {
    setup_error_ = SluicePaths::FromEnvironment(&paths_);
    if (!setup_error_.empty()) return;
    control_ = std::make_unique<ControlServer>(paths_);
    setup_error_ = control_->Start();
  }

  static void TearDownTestSuite() {
    if (control_ != nullptr && setup_error_.empty()) {
      const std::string error = control_->Stop();
      EXPECT_TRUE(error.empty()) << error;
    }
    control_.reset();
  }

  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static SluicePaths paths_;
  static std::unique_ptr<ControlServer> control_;
  static std::string setup_error_;
  TempDir scratch_{"sluice-rules-pii"};
};

SluicePaths RulesPii::paths_;
std::unique_ptr<ControlServer> RulesPii::control_;
std::string RulesPii::setup_error_;

TEST_P(RulesPii, RecordsMatchCaseTable) {
  const std::vector<TransactionCase> cases = Cases();
  std::vector<Conversation> conversations;
  for (const TransactionCase& c : cases) {
    if (!c.conversation.request_segments.empty()) conversations.push_back(c.conversation);
  }
  const std::string capture = scratch_.File("rules-pii.pcap");
  std::string error;
  ASSERT_TRUE(WriteConversationCapture(capture, conversations, GetParam(), 7, &error)) << error;

  const DataplaneRun run = control_->RunDataplane(capture, 1, {"--rules", RuleFile("rules.yaml")},
                                                  std::chrono::seconds(60));
  ASSERT_EQ(run.process.exit_code, 0) << run.process.Describe();
  ASSERT_TRUE(run.records_error.empty()) << run.records_error;

  std::map<TransactionKey, const rapidjson::Document*> records;
  for (const rapidjson::Document* record : run.RecordsOfType("transaction")) {
    const std::optional<int64_t> port = FindInt(*record, "source.port");
    const std::optional<int64_t> index = FindInt(*record, "sluice.transaction");
    ASSERT_TRUE(port && index) << CanonicalJson(*record);
    EXPECT_TRUE(records.emplace(TransactionKey{*port, *index}, record).second)
        << "two records for transaction " << *index << " from port " << *port;
  }
  EXPECT_EQ(records.size(), cases.size());

  for (const auto& [key, expected] : CasesByKey(cases)) {
    SCOPED_TRACE(expected->name);
    const auto found = records.find(key);
    if (found == records.end()) {
      ADD_FAILURE() << "no record for transaction " << key.second << " from port " << key.first;
      continue;
    }
    const ::testing::TestResult* result = ::testing::UnitTest::GetInstance()->current_test_info()->result();
    const int results_before = result->total_part_count();
    ExpectTransaction(*found->second, *expected);
    if (result->total_part_count() != results_before) {
      std::fprintf(stderr, "record of '%s': %s\n", expected->name.c_str(),
                   CanonicalJson(*found->second).c_str());
    }
  }
  ExpectEqualValuesShareFingerprints(cases, records);
  // Every field and body was matched in full.
  EXPECT_EQ(run.SummaryCounter("rule scan errors"), 0) << run.process.stdout_text;
  EXPECT_EQ(run.SummaryCounter("bodies not rule-matched"), 0) << run.process.stdout_text;
  EXPECT_GT(run.SummaryCounter("rule scans"), 0) << run.process.stdout_text;
}

std::string SegmentationName(const ::testing::TestParamInfo<Segmentation>& info) {
  switch (info.param) {
    case Segmentation::kAsWritten: return "AsWritten";
    case Segmentation::kByteByByte: return "ByteByByte";
    case Segmentation::kRandomSplits: return "RandomSplits";
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(Segmentations, RulesPii,
                         ::testing::Values(Segmentation::kAsWritten, Segmentation::kByteByByte,
                                           Segmentation::kRandomSplits),
                         SegmentationName);

// --- --check-rules -------------------------------------------------------------------------------

TEST(CheckRules, ValidFileAccepted) {
  SluicePaths paths;
  const std::string setup_error = SluicePaths::FromEnvironment(&paths);
  ASSERT_TRUE(setup_error.empty()) << setup_error;
  const std::string path = RuleFile("rules.yaml");
  const ProcessResult result =
      RunProcess({paths.dataplane, "--check-rules", path}, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.stdout_text.find(path + ": OK, 9 rules, 11 patterns"), std::string::npos)
      << result.stdout_text;
}

TEST(CheckRules, EveryBadRuleReported) {
  SluicePaths paths;
  const std::string setup_error = SluicePaths::FromEnvironment(&paths);
  ASSERT_TRUE(setup_error.empty()) << setup_error;
  const std::string path = RuleFile("broken_rules.yaml");
  const ProcessResult result =
      RunProcess({paths.dataplane, "--check-rules", path}, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, kExitInvalid) << result.Describe();
  const std::string& report = result.stderr_text;

  // Each bad rule and one piece of the message that names its mistake.
  const std::pair<uint32_t, std::string> bad_rules[] = {
      {3001, "pattern 'a++'"},
      {3002, "unknown field 'http.request.cookie'"},
      {3003, "invalid action 'drop'"},
      {3004, "invalid severity 'urgent'"},
      {3005, "use exactly one of"},
      {3006, "'any' must be a non-empty list"},
      {3007, "missing 'msg'"},
      {3008, "pattern '(a)\\1'"},
      {3009, "duplicate id 3009"},
      {3010, "missing 'pattern'"},
  };
  for (const auto& [id, message] : bad_rules) {
    SCOPED_TRACE("rule " + std::to_string(id));
    const size_t line = report.find("rule " + std::to_string(id) + ": ");
    ASSERT_NE(line, std::string::npos) << report;
    const size_t end = report.find('\n', line);
    EXPECT_NE(report.substr(line, end - line).find(message), std::string::npos) << report;
  }
  EXPECT_EQ(report.find("rule 3000:"), std::string::npos) << "the valid rule was reported: " << report;
  const std::string summary = path + ": " + std::to_string(std::size(bad_rules)) + " error(s)";
  EXPECT_NE(report.find(summary), std::string::npos) << report;
}

// --- Inspection limits ---------------------------------------------------------------------------

// With one rule stream per direction, a request body that starts while another connection's is
// still arriving gets no stream. It is not matched, its record carries an anomaly, and the summary
// counts it. A limit out of range is rejected.
TEST(InspectionLimits, BodyWithoutStreamMarkedAndCounted) {
  SluicePaths paths;
  const std::string setup_error = SluicePaths::FromEnvironment(&paths);
  ASSERT_TRUE(setup_error.empty()) << setup_error;
  TempDir scratch("sluice-inspection-limits");
  // Each body arrives in two segments; the second connection's first segment comes between them.
  // The rule's pattern ends the body, so the first body keeps its stream until its last segment.
  const std::string head = Request("POST", "/api/v1/comments", {"Content-Type: text/html"},
                                   "comment=hello&html=<script");
  const size_t cut = head.size() - 10;
  Conversation first{41000, {head.substr(0, cut), head.substr(cut)}, {NoContent()}};
  Conversation second = first;
  second.client_port = 41001;
  second.overlaps_previous = true;
  const std::string capture = scratch.File("overlapping.pcap");
  std::string error;
  ASSERT_TRUE(WriteConversationCapture(capture, {first, second}, Segmentation::kAsWritten, 7, &error))
      << error;

  const std::string bad_config = scratch.File("bad.yaml");
  std::ofstream(bad_config) << "dataplane:\n  limits:\n    body_streams_per_worker: 0\n";
  const ProcessResult rejected = RunProcess(
      {paths.dataplane, "--config", bad_config, "--pcap", capture}, std::chrono::seconds(30));
  EXPECT_EQ(rejected.exit_code, kExitInvalid) << rejected.Describe();
  EXPECT_NE(rejected.stderr_text.find("'dataplane.limits.body_streams_per_worker' is 0; expected 1 to"),
            std::string::npos)
      << rejected.stderr_text;

  const std::string config = scratch.File("one-stream.yaml");
  std::ofstream(config) << "dataplane:\n  limits:\n    body_streams_per_worker: 1\n";
  ControlServer control(paths);
  ASSERT_EQ(control.Start(), "");
  const DataplaneRun run = control.RunDataplane(
      capture, 1, {"--config", config, "--rules", RuleFile("rules.yaml")}, std::chrono::seconds(60));
  ASSERT_EQ(run.process.exit_code, 0) << run.process.Describe();
  ASSERT_TRUE(run.records_error.empty()) << run.records_error;
  std::map<int64_t, const rapidjson::Document*> by_port;
  for (const rapidjson::Document* record : run.RecordsOfType("transaction")) {
    by_port[FindInt(*record, "source.port").value_or(-1)] = record;
  }
  ASSERT_EQ(by_port.size(), 2u);
  ASSERT_EQ(by_port.count(41000), 1u);
  ASSERT_EQ(by_port.count(41001), 1u);
  const rapidjson::Document& scanned = *by_port[41000];
  const rapidjson::Document& unscanned = *by_port[41001];
  EXPECT_EQ(RuleIds(scanned), std::vector<uint32_t>{1004}) << CanonicalJson(scanned);
  EXPECT_TRUE(Anomalies(scanned).empty()) << CanonicalJson(scanned);
  EXPECT_TRUE(RuleIds(unscanned).empty()) << CanonicalJson(unscanned);
  EXPECT_EQ(Anomalies(unscanned), std::vector<std::string>{"body.rules_unscanned"})
      << CanonicalJson(unscanned);
  EXPECT_EQ(run.SummaryCounter("bodies not rule-matched"), 1) << run.process.stdout_text;
  EXPECT_EQ(run.SummaryCounter("rule scan errors"), 0) << run.process.stdout_text;
  EXPECT_EQ(control.Stop(), "");
}

}  // namespace
}  // namespace sluice::testing

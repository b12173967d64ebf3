// Attack clients. Each sends only attack calls, so every call of the client counts in the labels.

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "perf/gen/json_bodies.h"
#include "perf/scenario/behaviour.h"
#include "perf/scenario/bodies.h"

namespace sluice::scenario {
namespace {

using gen::ClientKind;
using gen::Rng;

int ScaledCount(double base, double scale, int minimum) {
  return std::max(minimum, static_cast<int>(std::lround(base * scale)));
}

// An attack that sends `total` calls in connections of `per_session` calls, a pause between
// connections; `make_call(i)` scripts call i. Subclasses only script the calls.
class ScriptedAttack : public Behaviour {
 public:
  ScriptedAttack(int64_t first_start_ns, int64_t end_ns, int total, int per_session,
                 double pause_s)
      : next_start_ns_(first_start_ns),
        end_ns_(end_ns),
        total_(total),
        per_session_(per_session),
        pause_s_(pause_s) {}

  bool NextSession(int64_t not_before_ns, Rng& rng, Session* session) override {
    if (sent_ >= total_) return false;
    const int64_t start = std::max(next_start_ns_, not_before_ns + SecondsToNs(pause_s_));
    if (start > end_ns_) return false;
    session->start_ns = start;
    session->calls.clear();
    session->close = gen::CloseKind::kClientFin;
    const int count = std::min(per_session_, total_ - sent_);
    for (int i = 0; i < count; ++i) {
      CallSpec call = MakeCall(sent_++, rng);
      call.attack = true;
      session->calls.push_back(std::move(call));
    }
    next_start_ns_ = start + SecondsToNs(NextGapSeconds(rng));
    return true;
  }

 protected:
  virtual CallSpec MakeCall(int index, Rng& rng) = 0;
  // Seconds from one connection's start to the next one's; 0 lets `pause_s` alone decide.
  virtual double NextGapSeconds(Rng&) { return 0; }

 private:
  int64_t next_start_ns_;
  int64_t end_ns_;
  int total_;
  int per_session_;
  double pause_s_;
  int sent_ = 0;
};

// Starts at a random point between `low` and `high` (fractions of the capture).
int64_t StartBetween(const ScenarioContext& context, double low, double high, Rng& rng) {
  const double span = static_cast<double>(context.end_ns - context.start_ns);
  return context.start_ns + static_cast<int64_t>(span * (low + (high - low) * rng.Unit()));
}

class SequentialEnumeration : public ScriptedAttack {
 public:
  SequentialEnumeration(const ScenarioContext& context, Rng& rng)
      : ScriptedAttack(StartBetween(context, 0.1, 0.45, rng), context.end_ns,
                       ScaledCount(200, context.attack_scale, 20), 25, 2.0 / context.attack_rate),
        names_(*context.names),
        next_id_(rng.Between(10000, 90000)) {}

 protected:
  CallSpec MakeCall(int, Rng& rng) override {
    const int64_t id = next_id_;
    next_id_ += rng.Chance(0.05) ? 2 : 1;
    return GetCall(names_.child_path, std::to_string(id), rng.Chance(0.85) ? 200 : 404,
                   BodyKind::kChildren);
  }

 private:
  NameSet names_;
  int64_t next_id_;
};

class RandomEnumeration : public ScriptedAttack {
 public:
  RandomEnumeration(const ScenarioContext& context, Rng& rng)
      : ScriptedAttack(StartBetween(context, 0.1, 0.5, rng), context.end_ns,
                       ScaledCount(200, context.attack_scale, 20), 20, 3.0 / context.attack_rate),
        names_(*context.names) {}

 protected:
  CallSpec MakeCall(int, Rng& rng) override {
    return GetCall(names_.child_path, std::to_string(rng.Between(1, 2000000)),
                   rng.Chance(0.5) ? 200 : 404, BodyKind::kChildren);
  }

 private:
  NameSet names_;
};

// One call every ~20 s from early in the capture to its end: a few calls per minute, below any
// rate limit, each on its own connection.
class SlowEnumeration : public ScriptedAttack {
 public:
  SlowEnumeration(const ScenarioContext& context, Rng& rng, int total, int64_t first_ns)
      : ScriptedAttack(first_ns, context.end_ns, total, 1, 0),
        names_(*context.names),
        next_id_(rng.Between(10000, 90000)),
        interval_s_(static_cast<double>(context.end_ns - first_ns) * 0.97 / 1e9 / total) {}

  static std::unique_ptr<Behaviour> Make(const ScenarioContext& context, Rng& rng) {
    const int total = ScaledCount(60, context.attack_scale * context.attack_rate, 15);
    const int64_t first_ns = context.start_ns + SecondsToNs(rng.Between(20, 90));
    return std::make_unique<SlowEnumeration>(context, rng, total, first_ns);
  }

 protected:
  CallSpec MakeCall(int, Rng& rng) override {
    const int64_t id = next_id_;
    next_id_ += rng.Chance(0.1) ? 2 : 1;
    return GetCall(names_.child_path, std::to_string(id), rng.Chance(0.9) ? 200 : 404,
                   BodyKind::kChildren);
  }
  double NextGapSeconds(Rng& rng) override { return interval_s_ * (0.8 + 0.4 * rng.Unit()); }

 private:
  NameSet names_;
  int64_t next_id_;
  double interval_s_;
};

enum class PagingStyle { kPage, kOffset, kCursor };

class Scraper : public ScriptedAttack {
 public:
  Scraper(const ScenarioContext& context, Rng& rng, PagingStyle style)
      : ScriptedAttack(StartBetween(context, 0.1, 0.5, rng), context.end_ns,
                       ScaledCount(80, context.attack_scale, 10), 15, 2.0 / context.attack_rate),
        names_(*context.names),
        style_(style),
        page_size_(rng.Chance(0.5) ? 100 : 200) {}

 protected:
  CallSpec MakeCall(int index, Rng& rng) override {
    const std::string size = std::to_string(page_size_);
    CallSpec call;
    switch (style_) {
      case PagingStyle::kPage:
        call = GetCall(names_.page_path, "", 200, BodyKind::kPeople);
        call.target += "?" + names_.page_param + "=" + std::to_string(index + 1) + "&" +
                       names_.page_size_param + "=" + size;
        break;
      case PagingStyle::kOffset:
        call = GetCall(names_.offset_path, "", 200, BodyKind::kPeople);
        call.target += "?offset=" + std::to_string(index * page_size_) + "&" +
                       names_.offset_size_param + "=" + size;
        break;
      case PagingStyle::kCursor:
        call = GetCall(names_.cursor_path, "", 200, BodyKind::kCursorPage);
        call.target += "?" + names_.cursor_size_param + "=" + size;
        if (!cursor_.empty()) call.target += "&" + names_.cursor_param + "=" + cursor_;
        cursor_ = RandomCursor(rng);
        call.next_cursor = cursor_;
        break;
    }
    call.items = page_size_;
    call.first_item_id = static_cast<int64_t>(index) * page_size_ + 1;
    return call;
  }

 private:
  NameSet names_;
  PagingStyle style_;
  int page_size_;
  std::string cursor_;
};

// Bursts of login attempts with leaked e-mail and password pairs, minutes apart.
class CredentialStuffing : public ScriptedAttack {
 public:
  CredentialStuffing(const ScenarioContext& context, Rng& rng)
      : ScriptedAttack(StartBetween(context, 0.1, 0.4, rng), context.end_ns,
                       ScaledCount(160, context.attack_scale, 20), 40, 0),
        context_(context) {}

 protected:
  CallSpec MakeCall(int, Rng& rng) override {
    const double draw = rng.Unit();
    const int status = draw < 0.93 ? 401 : (draw < 0.98 ? 403 : 201);
    CallSpec call;
    call.method = "POST";
    call.server = kAuthServer;
    call.endpoint = context_.names->login_path;
    call.target = context_.names->login_path;
    call.status = status;
    call.body = status == 201 ? BodyKind::kSession : BodyKind::kError;
    call.with_auth = context_.identity_in_header;
    gen::AppendLoginJson(call.request_body, rng, rng.Between(1, 5000000));
    return call;
  }
  double NextGapSeconds(Rng& rng) override {
    return static_cast<double>(rng.Between(90, 200)) / context_.attack_rate;
  }

 private:
  ScenarioContext context_;
};

// Requests for paths from a content-discovery word list, 90 % of them not found (404).
class ForcedBrowsing : public ScriptedAttack {
 public:
  ForcedBrowsing(const ScenarioContext& context, Rng& rng)
      : ScriptedAttack(StartBetween(context, 0.1, 0.6, rng), context.end_ns,
                       ScaledCount(120, context.attack_scale, 20), 60, 0),
        context_(context) {
    static constexpr const char* kDirectories[] = {"",       "/admin", "/backup", "/old",
                                                   "/api",   "/v1",    "/internal", "/.git",
                                                   "/debug", "/test"};
    static constexpr const char* kFiles[] = {"config",      ".env",          "db.sql",
                                             "backup.zip",  "users.csv",     "phpinfo.php",
                                             "server-status", "swagger.json", "index.bak",
                                             "login.jsp",   "web.config",    "dump.tar.gz"};
    for (const char* directory : kDirectories) {
      for (const char* file : kFiles) words_.push_back(std::string(directory) + "/" + file);
    }
    // Fisher-Yates with the scenario's generator, so the order depends only on the seed.
    for (size_t i = words_.size() - 1; i > 0; --i) std::swap(words_[i], words_[rng.Below(i + 1)]);
  }

 protected:
  CallSpec MakeCall(int index, Rng& rng) override {
    const std::string& path = words_[static_cast<size_t>(index) % words_.size()];
    const double draw = rng.Unit();
    const int status = draw < 0.9 ? 404 : (draw < 0.97 ? 403 : 200);
    CallSpec call = GetCall(path, "", status, BodyKind::kObject);
    call.with_auth = context_.identity_in_header;
    return call;
  }
  double NextGapSeconds(Rng& rng) override {
    return static_cast<double>(rng.Between(120, 300)) / context_.attack_rate;
  }

 private:
  ScenarioContext context_;
  std::vector<std::string> words_;
};

// A handful of list calls with page sizes in the thousands, each response hundreds of kilobytes of
// person records with card numbers.
class Exfiltration : public ScriptedAttack {
 public:
  Exfiltration(const ScenarioContext& context, Rng& rng)
      : ScriptedAttack(StartBetween(context, 0.2, 0.6, rng), context.end_ns,
                       ScaledCount(6, context.attack_scale, 3), 1, 0),
        context_(context),
        page_size_(static_cast<int>(rng.Between(15, 25)) * 100) {}

 protected:
  CallSpec MakeCall(int index, Rng&) override {
    const NameSet& n = *context_.names;
    CallSpec call = GetCall(n.page_path, "", 200, BodyKind::kCardholders);
    call.target += "?" + n.page_param + "=" + std::to_string(index + 1) + "&" +
                   n.page_size_param + "=" + std::to_string(page_size_) + "&fields=all";
    call.items = page_size_;
    call.first_item_id = static_cast<int64_t>(index) * page_size_ + 1;
    return call;
  }
  double NextGapSeconds(Rng& rng) override {
    return static_cast<double>(rng.Between(15, 40)) / context_.attack_rate;
  }

 private:
  ScenarioContext context_;
  int page_size_;
};

// After the learning period, a few objects fetched again and again with their full history: each
// response is 100 times the endpoint's usual size and contains no personal data.
class SizeAnomaly : public ScriptedAttack {
 public:
  SizeAnomaly(const ScenarioContext& context, Rng& rng)
      : ScriptedAttack(StartBetween(context, 0.75, 0.85, rng), context.end_ns,
                       ScaledCount(30, context.attack_scale, 10), 10, 3.0 / context.attack_rate),
        names_(*context.names) {
    for (int i = 0; i < 8; ++i) ids_.push_back(rng.Between(1000, 999999));
  }

 protected:
  CallSpec MakeCall(int, Rng& rng) override {
    CallSpec call = GetCall(names_.object_path, std::to_string(ids_[rng.Below(ids_.size())]), 200,
                            BodyKind::kHistory);
    call.target += "?expand=history";
    call.items = static_cast<int>(rng.Between(300, 600));
    return call;
  }

 private:
  NameSet names_;
  std::vector<int64_t> ids_;
};

}  // namespace

std::unique_ptr<Behaviour> MakeAttackBehaviour(Role role, const ScenarioContext& context,
                                               Rng& rng, RoleProfile* profile) {
  const double fast = 150 / context.attack_rate;  // Median ms between calls of a scripted tool.
  switch (role) {
    case Role::kEnumSequential:
      *profile = {ClientKind::kPythonRequests, fast};
      return std::make_unique<SequentialEnumeration>(context, rng);
    case Role::kEnumRandom:
      *profile = {ClientKind::kGoHttp, fast};
      return std::make_unique<RandomEnumeration>(context, rng);
    case Role::kEnumSlow:
      *profile = {ClientKind::kCurl, fast};
      return SlowEnumeration::Make(context, rng);
    case Role::kScrapePage:
      *profile = {ClientKind::kPythonRequests, 1.5 * fast};
      return std::make_unique<Scraper>(context, rng, PagingStyle::kPage);
    case Role::kScrapeOffset:
      *profile = {ClientKind::kJavaHttpClient, 1.5 * fast};
      return std::make_unique<Scraper>(context, rng, PagingStyle::kOffset);
    case Role::kScrapeCursor:
      *profile = {ClientKind::kGoHttp, 1.5 * fast};
      return std::make_unique<Scraper>(context, rng, PagingStyle::kCursor);
    case Role::kCredentialStuffing:
      *profile = {ClientKind::kPythonRequests, fast};
      return std::make_unique<CredentialStuffing>(context, rng);
    case Role::kForcedBrowsing:
      *profile = {ClientKind::kGoHttp, 0.7 * fast};
      return std::make_unique<ForcedBrowsing>(context, rng);
    case Role::kExfiltration:
      *profile = {ClientKind::kCurl, fast};
      return std::make_unique<Exfiltration>(context, rng);
    default:  // kSizeAnomaly
      *profile = {ClientKind::kCurl, 5 * fast};
      return std::make_unique<SizeAnomaly>(context, rng);
  }
}

}  // namespace sluice::scenario

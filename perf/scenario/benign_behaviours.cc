// Benign clients: ordinary users and the hard cases that look like attacks at first sight.

#include <algorithm>
#include <vector>

#include "perf/gen/json_bodies.h"
#include "perf/scenario/behaviour.h"
#include "perf/scenario/bodies.h"

namespace sluice::scenario {
namespace {

using gen::ClientKind;
using gen::Rng;

// Picks from a pool with a strong preference for the first entries, as users revisit the same
// few objects most of the time.
int64_t PickSkewed(const std::vector<int64_t>& pool, Rng& rng) {
  const double u = rng.Unit();
  return pool[static_cast<size_t>(u * u * u * static_cast<double>(pool.size()))];
}

int DrawStatus(Rng& rng, double not_found, double unauthorized) {
  const double draw = rng.Unit();
  if (draw < unauthorized) return 401;
  if (draw < unauthorized + not_found) return 404;
  return 200;
}

CallSpec LoginCall(const ScenarioContext& context, Rng& rng, int status) {
  CallSpec call;
  call.method = "POST";
  call.server = kAuthServer;
  call.endpoint = context.names->login_path;
  call.target = context.names->login_path;
  call.status = status;
  call.body = status == 201 ? BodyKind::kSession : BodyKind::kError;
  call.with_auth = context.identity_in_header;
  gen::AppendLoginJson(call.request_body, rng, rng.Between(1, 90000));
  return call;
}

// An ordinary user or app: sessions of a few calls a minute or two apart, on its own objects.
class NormalUser : public Behaviour {
 public:
  NormalUser(const ScenarioContext& context, Rng& rng) : context_(context) {
    const int owned = static_cast<int>(rng.Between(2, 7));
    for (int i = 0; i < owned; ++i) own_ids_.push_back(rng.Between(1000, 999999));
    for (int i = 0; i < 3; ++i) own_uuids_.push_back(gen::RandomUuid(rng));
    mean_gap_s_ = static_cast<double>(rng.Between(45, 160)) / context.normal_rate;
    next_start_ns_ = context.start_ns + SecondsToNs(rng.Exponential(mean_gap_s_));
  }

  bool NextSession(int64_t not_before_ns, Rng& rng, Session* session) override {
    const int64_t start = std::max(next_start_ns_, not_before_ns + SecondsToNs(0.5));
    if (start > context_.end_ns) return false;
    session->start_ns = start;
    session->calls.clear();
    session->close = rng.Chance(0.85) ? gen::CloseKind::kClientFin : gen::CloseKind::kServerIdleFin;
    if (rng.Chance(0.12)) session->calls.push_back(LoginCall(context_, rng, rng.Chance(0.95) ? 201 : 401));
    int calls = 1;
    while (calls < 10 && rng.Chance(0.7)) ++calls;
    for (int i = 0; i < calls; ++i) session->calls.push_back(OneCall(rng));
    next_start_ns_ = start + SecondsToNs(rng.Exponential(mean_gap_s_));
    return true;
  }

 private:
  CallSpec OneCall(Rng& rng) {
    const NameSet& n = *context_.names;
    static constexpr double kWeights[] = {25, 20, 10, 14, 5, 5, 5, 10, 4};
    switch (rng.Pick(kWeights, 9)) {
      case 0:
        return GetCall(n.object_path, std::to_string(PickSkewed(own_ids_, rng)),
                       DrawStatus(rng, 0.02, 0.01), BodyKind::kObject);
      case 1:
        return GetCall(n.child_path, std::to_string(PickSkewed(own_ids_, rng)),
                       DrawStatus(rng, 0.03, 0.01), BodyKind::kChildren);
      case 2:
        return GetCall(n.uuid_path, own_uuids_[rng.Below(own_uuids_.size())],
                       DrawStatus(rng, 0.03, 0.01), BodyKind::kObject);
      case 3: {
        static constexpr int kSizes[] = {10, 20, 25, 50};
        const int size = kSizes[rng.Below(4)];
        const int page = rng.Chance(0.7) ? 1 : static_cast<int>(rng.Between(2, 3));
        CallSpec call = GetCall(n.page_path, "", 200, BodyKind::kPeople);
        call.target += "?" + n.page_param + "=" + std::to_string(page) + "&" + n.page_size_param +
                       "=" + std::to_string(size);
        call.items = size;
        call.first_item_id = (page - 1) * size + 1;
        return call;
      }
      case 4: {
        const int offset = rng.Chance(0.8) ? 0 : 25;
        CallSpec call = GetCall(n.offset_path, "", 200, BodyKind::kPeople);
        call.target += "?offset=" + std::to_string(offset) + "&" + n.offset_size_param + "=25";
        call.items = 25;
        call.first_item_id = offset + 1;
        return call;
      }
      case 5: {
        CallSpec call = GetCall(n.cursor_path, "", 200, BodyKind::kCursorPage);
        call.target += "?" + n.cursor_size_param + "=20";
        call.items = 20;
        call.next_cursor = RandomCursor(rng);
        return call;
      }
      case 6: {
        CallSpec call = GetCall(n.create_path, "", rng.Chance(0.93) ? 201 : 400, BodyKind::kCreated);
        call.method = "POST";
        gen::AppendOrderCreateJson(call.request_body, rng, PickSkewed(own_ids_, rng));
        return call;
      }
      case 7: {
        static constexpr const char* kTerms[] = {"smith", "berlin", "open", "2024", "urgent",
                                                 "refund", "new", "blue"};
        CallSpec call = GetCall(n.search_path, "", 200, BodyKind::kPeople);
        call.target += std::string("?q=") + kTerms[rng.Below(8)];
        call.items = static_cast<int>(rng.Between(0, 10));
        return call;
      }
      default: {
        // Someone else's object the user was sent a link to.
        return GetCall(n.object_path, std::to_string(rng.Between(1000, 999999)),
                       DrawStatus(rng, 0.05, 0.02), BodyKind::kObject);
      }
    }
  }

  ScenarioContext context_;
  std::vector<int64_t> own_ids_;
  std::vector<std::string> own_uuids_;
  double mean_gap_s_;
  int64_t next_start_ns_;
};

// A back-end service that resolves objects and their children by id for its own users: many
// calls on the enumeration template, but from a small pool of ids that it keeps revisiting.
class RelatedApp : public Behaviour {
 public:
  RelatedApp(const ScenarioContext& context, Rng& rng) : context_(context) {
    for (int i = 0; i < 30; ++i) pool_.push_back(rng.Between(1000, 999999));
    next_start_ns_ = context.start_ns + SecondsToNs(rng.Between(1, 20));
  }

  bool NextSession(int64_t not_before_ns, Rng& rng, Session* session) override {
    const int64_t start = std::max(next_start_ns_, not_before_ns + SecondsToNs(0.2));
    if (start > context_.end_ns) return false;
    session->start_ns = start;
    session->calls.clear();
    session->close = gen::CloseKind::kServerIdleFin;
    const int lookups = rng.Chance(0.7) ? 1 : 2;
    for (int i = 0; i < lookups; ++i) {
      const std::string id = std::to_string(PickSkewed(pool_, rng));
      session->calls.push_back(
          GetCall(context_.names->object_path, id, DrawStatus(rng, 0.01, 0), BodyKind::kObject));
      session->calls.push_back(
          GetCall(context_.names->child_path, id, DrawStatus(rng, 0.02, 0), BodyKind::kChildren));
    }
    next_start_ns_ = start + SecondsToNs(rng.Between(6, 14) / context_.normal_rate);
    return true;
  }

 private:
  ScenarioContext context_;
  std::vector<int64_t> pool_;
  int64_t next_start_ns_;
};

// A nightly-export style job that pages through its own short list every few minutes: page
// numbers advance, but only to a small, repeating maximum.
class BatchJob : public Behaviour {
 public:
  BatchJob(const ScenarioContext& context, Rng& rng) : context_(context) {
    pages_ = static_cast<int>(rng.Between(4, 6));
    next_start_ns_ = context.start_ns + SecondsToNs(rng.Between(20, 60));
  }

  bool NextSession(int64_t not_before_ns, Rng& rng, Session* session) override {
    const int64_t start = std::max(next_start_ns_, not_before_ns + SecondsToNs(1));
    if (start > context_.end_ns) return false;
    const NameSet& n = *context_.names;
    session->start_ns = start;
    session->calls.clear();
    session->close = gen::CloseKind::kClientFin;
    constexpr int kPageSize = 100;
    for (int page = 1; page <= pages_; ++page) {
      CallSpec call = GetCall(n.page_path, "", 200, BodyKind::kPeople);
      call.target += "?" + n.page_param + "=" + std::to_string(page) + "&" + n.page_size_param +
                     "=" + std::to_string(kPageSize) + "&owner=team-7";
      call.items = page == pages_ ? 37 : kPageSize;
      call.first_item_id = (page - 1) * kPageSize + 1;
      session->calls.push_back(call);
    }
    next_start_ns_ = start + SecondsToNs(rng.Between(220, 280) / context_.normal_rate);
    return true;
  }

 private:
  ScenarioContext context_;
  int pages_;
  int64_t next_start_ns_;
};

// A load balancer or monitoring probe: one GET on the health path every few seconds, each on
// a new connection that the server closes.
class HealthChecker : public Behaviour {
 public:
  HealthChecker(const ScenarioContext& context, Rng& rng)
      : context_(context),
        interval_s_(static_cast<double>(rng.Between(3, 6))),
        next_start_ns_(context.start_ns + SecondsToNs(rng.Unit() * 3)) {}

  bool NextSession(int64_t, Rng& rng, Session* session) override {
    if (next_start_ns_ > context_.end_ns) return false;
    session->start_ns = next_start_ns_;
    session->calls.clear();
    session->close = gen::CloseKind::kServerFin;
    CallSpec call = GetCall(context_.names->health_path, "", 200, BodyKind::kHealth);
    call.with_auth = false;
    session->calls.push_back(call);
    next_start_ns_ += SecondsToNs(interval_s_ + (rng.Unit() - 0.5) * 0.05);
    return true;
  }

 private:
  ScenarioContext context_;
  double interval_s_;
  int64_t next_start_ns_;
};

ClientKind RandomUserKind(Rng& rng) {
  static constexpr ClientKind kKinds[] = {ClientKind::kChrome,    ClientKind::kFirefox,
                                          ClientKind::kSafariIos, ClientKind::kOkHttp,
                                          ClientKind::kPythonRequests, ClientKind::kGoHttp,
                                          ClientKind::kJavaHttpClient, ClientKind::kCurl};
  static constexpr double kWeights[] = {20, 6, 12, 16, 14, 10, 8, 6};
  return kKinds[rng.Pick(kWeights, 8)];
}

}  // namespace

std::unique_ptr<Behaviour> MakeBenignBehaviour(Role role, const ScenarioContext& context, Rng& rng,
                                               RoleProfile* profile) {
  switch (role) {
    case Role::kRelatedApp:
      *profile = {ClientKind::kGoHttp, 15};
      return std::make_unique<RelatedApp>(context, rng);
    case Role::kBatchJob:
      *profile = {ClientKind::kJavaHttpClient, 600};
      return std::make_unique<BatchJob>(context, rng);
    case Role::kHealthChecker:
      *profile = {ClientKind::kKubeProbe, 0};
      return std::make_unique<HealthChecker>(context, rng);
    default: {  // kNormal and the users behind a kNatAddress.
      profile->kind = RandomUserKind(rng);
      const bool person = profile->kind == ClientKind::kChrome ||
                          profile->kind == ClientKind::kFirefox ||
                          profile->kind == ClientKind::kSafariIos ||
                          profile->kind == ClientKind::kOkHttp;
      profile->think_median_ms = person ? 1500 : 150;
      return std::make_unique<NormalUser>(context, rng);
    }
  }
}

}  // namespace sluice::scenario

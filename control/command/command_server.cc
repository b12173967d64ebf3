#include "control/command/command_server.h"

#include <openssl/evp.h>
#include <zmq.h>

#include <cerrno>

#include "control/command/curve_keys.h"
#include "control/daemon/log.h"

namespace sluice::control {

namespace {

constexpr int kMaxMessagesPerDrain = 256;
constexpr uint64_t kForgetCheckNs = 1'000'000'000ull;

std::string Text(const flatbuffers::String* text) { return text == nullptr ? "" : text->str(); }

// "sha256:" and the first 12 hex digits of the text's SHA-256: short enough for a table, and
// the same text gets the same version on every data plane and after a restart.
std::string RulesVersion(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string version = "sha256:";
  for (unsigned int i = 0; i < 6 && i < length; ++i) {
    version += kHex[digest[i] >> 4];
    version += kHex[digest[i] & 15];
  }
  return version;
}

const char* VerbName(command::Verb verb) {
  switch (verb) {
    case command::Verb::RulesLoad: return "rules load";
    case command::Verb::SetPolicy: return "set policy";
    default: return command::EnumNameVerb(verb);
  }
}

}  // namespace

void SharedCounters::Publish(CounterList counters) {
  std::lock_guard lock(mutex_);
  counters_ = std::move(counters);
}

CounterList SharedCounters::Read() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

CommandServer::CommandServer(const SharedCounters& control_counters)
    : control_counters_(control_counters) {}

CommandServer::~CommandServer() { Stop(); }

std::string CommandServer::Start(const CommandServerOptions& options) {
  options_ = options;
  started_ns_ = MonotonicNanos();
  if (options.operator_enabled) {
    if (std::string error = BindOperatorSocket(options); !error.empty()) return error;
  }
  if (options.dataplane_enabled) {
    if (std::string error = BindDataplaneSocket(options); !error.empty()) return error;
  }
  const std::string dataplanes =
      options.dataplane_enabled
          ? "data planes on " + options.dataplane_endpoint + (options.dataplane_curve ? " (CURVE)" : "")
          : std::string("no data plane socket: rule and policy changes reach no data plane");
  if (!options.operator_enabled) {
    LogLine("command channel: %s; no sluicectl socket", dataplanes.c_str());
    return {};
  }
  LogLine("command channel: sluicectl on %s (CURVE, %zu allowed client key(s) in %s), %s",
          options.operator_endpoint.c_str(), allow_list_.size(), options.allowed_keys_dir.c_str(),
          dataplanes.c_str());
  if (allow_list_.size() == 0) {
    LogLine("warning: no allowed client keys in %s: every sluicectl will be rejected",
            options.allowed_keys_dir.c_str());
  }
  return {};
}

void CommandServer::StartServing() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Serve(); });
}

std::string CommandServer::BindOperatorSocket(const CommandServerOptions& options) {
  std::string secret;
  std::string error;
  if (!ReadKeyFile(options.server_secret_path, &secret, &error)) return error;
  if (!allow_list_.LoadDirectory(options.allowed_keys_dir, &error)) return error;

  operator_context_ = zmq_ctx_new();
  // The ZAP handler must be bound before the CURVE socket accepts its first handshake.
  if (!zap_.Start(operator_context_, &allow_list_, &error)) return error;
  operator_socket_ = zmq_socket(operator_context_, ZMQ_ROUTER);
  const int server = 1;
  const int linger = 0;
  const int64_t max_message = kMaxMessageBytes;
  const char domain[] = "sluice-command";
  zmq_setsockopt(operator_socket_, ZMQ_CURVE_SERVER, &server, sizeof(server));
  zmq_setsockopt(operator_socket_, ZMQ_CURVE_SECRETKEY, secret.c_str(), secret.size());
  zmq_setsockopt(operator_socket_, ZMQ_ZAP_DOMAIN, domain, sizeof(domain) - 1);
  zmq_setsockopt(operator_socket_, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_setsockopt(operator_socket_, ZMQ_MAXMSGSIZE, &max_message, sizeof(max_message));
  if (zmq_bind(operator_socket_, options.operator_endpoint.c_str()) != 0) {
    return "cannot listen for sluicectl on " + options.operator_endpoint + ": " +
           zmq_strerror(zmq_errno()) +
           "; give a free local address in control.command_listen or --command-listen";
  }
  return {};
}

std::string CommandServer::BindDataplaneSocket(const CommandServerOptions& options) {
  dataplane_context_ = zmq_ctx_new();
  dataplane_socket_ = zmq_socket(dataplane_context_, ZMQ_ROUTER);
  const int linger = 0;
  const int64_t max_message = kMaxMessageBytes;
  zmq_setsockopt(dataplane_socket_, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_setsockopt(dataplane_socket_, ZMQ_MAXMSGSIZE, &max_message, sizeof(max_message));
  if (options.dataplane_curve) {
    std::string secret;
    std::string error;
    if (!ReadKeyFile(options.server_secret_path, &secret, &error)) return error;
    const int server = 1;
    zmq_setsockopt(dataplane_socket_, ZMQ_CURVE_SERVER, &server, sizeof(server));
    zmq_setsockopt(dataplane_socket_, ZMQ_CURVE_SECRETKEY, secret.c_str(), secret.size());
  }
  if (zmq_bind(dataplane_socket_, options.dataplane_endpoint.c_str()) != 0) {
    return "cannot listen for data plane commands on " + options.dataplane_endpoint + ": " +
           zmq_strerror(zmq_errno()) +
           "; give a free local address in control.dataplane_command_listen";
  }
  return {};
}

void CommandServer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (operator_socket_ != nullptr) zmq_close(operator_socket_);
  if (dataplane_socket_ != nullptr) zmq_close(dataplane_socket_);
  operator_socket_ = nullptr;
  dataplane_socket_ = nullptr;
  zap_.Stop();
  if (operator_context_ != nullptr) zmq_ctx_term(operator_context_);
  if (dataplane_context_ != nullptr) zmq_ctx_term(dataplane_context_);
  operator_context_ = nullptr;
  dataplane_context_ = nullptr;
}

void CommandServer::Serve() {
  uint64_t next_forget_ns = 0;
  while (!stop_.load()) {
    // Either socket may be off: poll those that exist.
    zmq_pollitem_t items[2];
    int count = 0;
    const int dataplane_item = dataplane_socket_ != nullptr ? count++ : -1;
    if (dataplane_item >= 0) items[dataplane_item] = {dataplane_socket_, 0, ZMQ_POLLIN, 0};
    const int operator_item = operator_socket_ != nullptr ? count++ : -1;
    if (operator_item >= 0) items[operator_item] = {operator_socket_, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(items, count, kPollTimeoutMs) < 0 && zmq_errno() != EINTR) {
      LogLine("error: command channel poll failed: %s; the command channel stops",
              zmq_strerror(zmq_errno()));
      return;
    }
    if (dataplane_item >= 0 && (items[dataplane_item].revents & ZMQ_POLLIN) != 0) DrainDataplaneSocket();
    if (operator_item >= 0 && (items[operator_item].revents & ZMQ_POLLIN) != 0) DrainOperatorSocket();
    const uint64_t now = MonotonicNanos();
    ExpireUpdates(now);
    if (now >= next_forget_ns) {
      next_forget_ns = now + kForgetCheckNs;
      std::lock_guard lock(registry_mutex_);
      for (const std::string& id : registry_.ForgetSilent(now)) {
        LogLine("command channel: data plane %s sent nothing for 15 s; forgotten",
                PrintableForLog(id).c_str());
      }
    }
  }
}

bool CommandServer::Receive(void* socket, std::string* routing_id, std::vector<uint8_t>* payload,
                            std::string* user_id) {
  routing_id->clear();
  payload->clear();
  user_id->clear();
  for (int part_index = 0;; ++part_index) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, socket, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&part);
      return part_index > 0;
    }
    const auto* data = static_cast<const uint8_t*>(zmq_msg_data(&part));
    if (part_index == 0) {
      routing_id->assign(reinterpret_cast<const char*>(data), zmq_msg_size(&part));
    } else if (part_index == 1) {
      payload->assign(data, data + zmq_msg_size(&part));
      const char* user = zmq_msg_gets(&part, "User-Id");
      if (user != nullptr) *user_id = user;
    }
    const bool more = zmq_msg_more(&part) != 0;
    zmq_msg_close(&part);
    if (!more) return true;
  }
}

void CommandServer::Send(void* socket, const std::string& routing_id,
                         const flatbuffers::FlatBufferBuilder& fbb) {
  // NOTE: a send to a full or vanished peer fails. A sluicectl then times out, and a data plane
  // gets the update again only from a new sluicectl request.
  if (zmq_send(socket, routing_id.data(), routing_id.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) return;
  zmq_send(socket, fbb.GetBufferPointer(), fbb.GetSize(), ZMQ_DONTWAIT);
}

void CommandServer::DrainOperatorSocket() {
  std::string routing_id;
  std::string user_id;
  std::vector<uint8_t> payload;
  for (int i = 0; i < kMaxMessagesPerDrain; ++i) {
    if (!Receive(operator_socket_, &routing_id, &payload, &user_id)) return;
    requests_.fetch_add(1, std::memory_order_relaxed);
    flatbuffers::Verifier verifier(payload.data(), payload.size());
    if (!command::VerifyRequestBuffer(verifier)) {
      requests_invalid_.fetch_add(1, std::memory_order_relaxed);
      LogLine("command channel: key %s sent an invalid request (%zu bytes); rejected",
              PrintableForLog(user_id).c_str(), payload.size());
      ReplyError(routing_id, user_id, 0, "invalid request: not a sluice command message");
      continue;
    }
    HandleRequest(routing_id, user_id, *command::GetRequest(payload.data()));
  }
}

void CommandServer::HandleRequest(const std::string& routing_id, const std::string& user_id,
                                  const command::Request& request) {
  switch (request.verb()) {
    case command::Verb::Status:
    case command::Verb::RulesShow:
      ReplyStatus(routing_id, user_id, request);
      return;
    case command::Verb::Stats:
      ReplyStats(routing_id, user_id, request);
      return;
    case command::Verb::RulesLoad:
    case command::Verb::SetPolicy:
      StartUpdate(routing_id, user_id, request);
      return;
    default:
      break;
  }
  if (IsForensicVerb(request.verb())) {
    ReplyForensic(routing_id, user_id, request);
    return;
  }
  requests_invalid_.fetch_add(1, std::memory_order_relaxed);
  ReplyError(routing_id, user_id, request.request_id(),
             "unknown verb " + std::to_string(static_cast<int>(request.verb())) +
                 ": sluicectl is newer than this sluice-control");
}

void CommandServer::ReplyForensic(const std::string& routing_id, const std::string& user_id,
                                  const command::Request& request) {
  forensic_requests_.fetch_add(1, std::memory_order_relaxed);
  const ForensicAnswer answer = AnswerForensicRequest(options_.store, request);
  if (!answer.ok) forensic_failures_.fetch_add(1, std::memory_order_relaxed);
  flatbuffers::FlatBufferBuilder fbb(answer.body.size() + 1024);
  const auto error_text = answer.error.empty() ? 0 : fbb.CreateString(answer.error);
  const auto key = fbb.CreateString(user_id);
  const auto body = fbb.CreateString(answer.body);
  const auto continuation = fbb.CreateString(answer.continuation);
  command::ResponseBuilder response(fbb);
  response.add_request_id(request.request_id());
  response.add_ok(answer.ok);
  if (!answer.error.empty()) response.add_error(error_text);
  response.add_client_key(key);
  response.add_control_uptime_s(static_cast<double>(MonotonicNanos() - started_ns_) / 1e9);
  response.add_dataplane_socket_off(!options_.dataplane_enabled);
  response.add_body(body);
  response.add_continuation(continuation);
  response.add_exit_code(answer.exit_code);
  response.add_rows(answer.rows);
  fbb.Finish(response.Finish());
  Send(operator_socket_, routing_id, fbb);
}

void CommandServer::ReplyError(const std::string& routing_id, const std::string& user_id,
                               uint64_t request_id, const std::string& error) {
  flatbuffers::FlatBufferBuilder fbb(256);
  const auto error_text = fbb.CreateString(error);
  const auto key = fbb.CreateString(user_id);
  command::ResponseBuilder response(fbb);
  response.add_request_id(request_id);
  response.add_ok(false);
  response.add_error(error_text);
  response.add_client_key(key);
  response.add_control_uptime_s(static_cast<double>(MonotonicNanos() - started_ns_) / 1e9);
  response.add_dataplane_socket_off(!options_.dataplane_enabled);
  fbb.Finish(response.Finish());
  Send(operator_socket_, routing_id, fbb);
}

void CommandServer::ReplyStatus(const std::string& routing_id, const std::string& user_id,
                                const command::Request& request) {
  flatbuffers::FlatBufferBuilder fbb(4096);
  std::vector<flatbuffers::Offset<command::DataplaneStatus>> statuses;
  const uint64_t now = MonotonicNanos();
  {
    std::lock_guard lock(registry_mutex_);
    for (const auto& [id, state] : registry_.all()) {
      std::vector<flatbuffers::Offset<flatbuffers::String>> ports;
      for (const std::string& port : state.ports) ports.push_back(fbb.CreateString(port));
      statuses.push_back(command::CreateDataplaneStatus(
          fbb, fbb.CreateString(state.id), state.run_id, fbb.CreateString(state.mode),
          fbb.CreateVector(ports), state.workers, state.uptime_s,
          fbb.CreateString(state.rules_version), state.rule_count, state.records_per_s,
          state.packets_per_s, state.CounterOr(kRecordsSentCounter, 0),
          state.CounterOr(kDropsCounter, 0),
          static_cast<double>(now - state.last_message_ns) / 1e9, fbb.CreateVector(state.rule_ids),
          state.pending_update));
    }
  }
  const auto list = fbb.CreateVector(statuses);
  const auto key = fbb.CreateString(user_id);
  command::ResponseBuilder response(fbb);
  response.add_request_id(request.request_id());
  response.add_ok(true);
  response.add_dataplanes(list);
  response.add_client_key(key);
  response.add_control_uptime_s(static_cast<double>(now - started_ns_) / 1e9);
  response.add_dataplane_socket_off(!options_.dataplane_enabled);
  fbb.Finish(response.Finish());
  Send(operator_socket_, routing_id, fbb);
}

CounterList CommandServer::ControlCounters() const {
  CounterList counters = control_counters_.Read();
  auto add = [&](const char* name, uint64_t value, const char* meaning) {
    counters.push_back({name, value, meaning, false});
  };
  add("control.command.requests", requests_.load(), "sluicectl requests received.");
  add("control.command.requests_invalid", requests_invalid_.load(),
      "sluicectl requests that were not valid command messages; a high value means a client of "
      "another version or a broken client.");
  add("control.command.forensic_requests", forensic_requests_.load(),
      "Forensic store requests (records, report scope, verify, show findings or endpoints).");
  add("control.command.forensic_failures", forensic_failures_.load(),
      "Forensic store requests that failed; each failure's message went back to sluicectl.");
  add("control.command.clients_admitted", zap_.admitted(),
      "sluicectl connections admitted by key (one per connection, not per request).");
  add("control.command.clients_rejected", zap_.rejected(),
      "sluicectl connections rejected because their key is not in the allowed list; each is "
      "logged with the key.");
  add("control.command.updates_applied", updates_applied_.load(),
      "Rule or policy updates that every targeted data plane applied.");
  add("control.command.updates_failed", updates_failed_.load(),
      "Rule or policy updates that at least one data plane rejected or did not answer in time.");
  add("control.command.dataplane_messages_invalid", dataplane_messages_invalid_.load(),
      "Messages on the data plane command socket that failed verification; a high value means "
      "a data plane of another version.");
  return counters;
}

void CommandServer::ReplyStats(const std::string& routing_id, const std::string& user_id,
                               const command::Request& request) {
  flatbuffers::FlatBufferBuilder fbb(16384);
  auto build_set = [&fbb](const std::string& source, const CounterList& counters) {
    std::vector<flatbuffers::Offset<command::Counter>> list;
    for (const CounterValue& counter : counters) {
      list.push_back(command::CreateCounter(fbb, fbb.CreateString(counter.name), counter.value,
                                            fbb.CreateString(counter.meaning), counter.gauge));
    }
    return command::CreateCounterSet(fbb, fbb.CreateString(source), fbb.CreateVector(list));
  };

  const std::string only = Text(request.dataplane_id());
  std::vector<flatbuffers::Offset<command::CounterSet>> sets;
  if (only.empty()) sets.push_back(build_set("sluice-control", ControlCounters()));
  bool found = only.empty();
  {
    std::lock_guard lock(registry_mutex_);
    for (const auto& [id, state] : registry_.all()) {
      if (!only.empty() && state.id != only) continue;
      found = true;
      sets.push_back(build_set(state.id, state.counters));
    }
  }
  if (!found) {
    ReplyError(routing_id, user_id, request.request_id(),
               "no data plane with id '" + only + "' is connected; `sluicectl show status` lists them");
    return;
  }
  const auto list = fbb.CreateVector(sets);
  const auto key = fbb.CreateString(user_id);
  command::ResponseBuilder response(fbb);
  response.add_request_id(request.request_id());
  response.add_ok(true);
  response.add_counter_sets(list);
  response.add_client_key(key);
  response.add_control_uptime_s(static_cast<double>(MonotonicNanos() - started_ns_) / 1e9);
  response.add_dataplane_socket_off(!options_.dataplane_enabled);
  fbb.Finish(response.Finish());
  Send(operator_socket_, routing_id, fbb);
}

void CommandServer::StartUpdate(const std::string& routing_id, const std::string& user_id,
                                const command::Request& request) {
  const std::string text = Text(request.text());
  const std::string source = PrintableForLog(Text(request.source_name()), 200);
  const char* verb = VerbName(request.verb());
  if (text.empty()) {
    ReplyError(routing_id, user_id, request.request_id(), std::string(verb) + ": the file is empty");
    return;
  }

  const uint64_t update_id = next_update_id_++;
  PendingUpdate update;
  update.operator_routing_id = routing_id;
  update.request_id = request.request_id();
  update.verb = request.verb();
  update.key_name = user_id;
  update.source_name = source;
  update.deadline_ns = MonotonicNanos() + uint64_t{options_.update_timeout_s} * 1'000'000'000ull;

  flatbuffers::FlatBufferBuilder fbb(text.size() + 256);
  std::string version;
  if (request.verb() == command::Verb::RulesLoad) {
    version = RulesVersion(text);
    const auto body = command::CreateRulesUpdate(fbb, update_id, fbb.CreateString(version),
                                                 fbb.CreateString(text));
    fbb.Finish(command::CreateControlMessage(fbb, command::ControlBody::RulesUpdate, body.Union()));
  } else {
    const auto body = command::CreatePolicyUpdate(fbb, update_id, fbb.CreateString(text));
    fbb.Finish(command::CreateControlMessage(fbb, command::ControlBody::PolicyUpdate, body.Union()));
  }

  {
    std::lock_guard lock(registry_mutex_);
    for (auto& [dataplane_routing_id, state] : registry_.all()) {
      DataplaneOutcome outcome;
      outcome.id = state.id;
      update.outcomes[dataplane_routing_id] = outcome;
      update.waiting.insert(dataplane_routing_id);
    }
    for (const std::string& target : update.waiting) {
      if (DataplaneState* state = registry_.Find(target)) state->pending_update = true;
    }
  }
  LogLine("command: key %s: %s of '%s' (%zu bytes%s%s) sent to %zu data plane(s), request %llu",
          PrintableForLog(user_id).c_str(), verb, source.c_str(), text.size(),
          version.empty() ? "" : ", version ", version.c_str(), update.waiting.size(),
          static_cast<unsigned long long>(request.request_id()));
  if (update.waiting.empty()) {
    ReplyError(routing_id, user_id, request.request_id(),
               std::string(verb) + (options_.dataplane_enabled
                                        ? ": no data plane is connected; nothing was changed"
                                        : ": the data plane command socket is off "
                                          "(control.dataplane_command_listen), so no data plane "
                                          "can receive it; nothing was changed"));
    return;
  }
  for (const std::string& target : update.waiting) Send(dataplane_socket_, target, fbb);
  updates_.emplace(update_id, std::move(update));
}

void CommandServer::DrainDataplaneSocket() {
  std::string routing_id;
  std::string user_id;
  std::vector<uint8_t> payload;
  for (int i = 0; i < kMaxMessagesPerDrain; ++i) {
    if (!Receive(dataplane_socket_, &routing_id, &payload, &user_id)) return;
    flatbuffers::Verifier verifier(payload.data(), payload.size());
    if (!verifier.VerifyBuffer<command::DataplaneMessage>(nullptr)) {
      dataplane_messages_invalid_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    HandleDataplaneMessage(routing_id,
                           *flatbuffers::GetRoot<command::DataplaneMessage>(payload.data()));
  }
}

void CommandServer::HandleDataplaneMessage(const std::string& routing_id,
                                           const command::DataplaneMessage& message) {
  const uint64_t now = MonotonicNanos();
  switch (message.body_type()) {
    case command::DataplaneBody::Register: {
      bool is_new = false;
      std::lock_guard lock(registry_mutex_);
      const DataplaneState& state =
          registry_.ApplyRegister(routing_id, *message.body_as_Register(), now, &is_new);
      if (is_new) {
        LogLine("command channel: data plane %s registered: run %016llx, mode %s, %u worker(s), "
                "rules %s (%u)",
                PrintableForLog(state.id).c_str(), static_cast<unsigned long long>(state.run_id),
                PrintableForLog(state.mode).c_str(), state.workers,
                PrintableForLog(state.rules_version).c_str(), state.rule_count);
      }
      return;
    }
    case command::DataplaneBody::Report: {
      std::lock_guard lock(registry_mutex_);
      registry_.ApplyReport(routing_id, *message.body_as_Report(), now);
      return;
    }
    case command::DataplaneBody::UpdateResult:
      HandleUpdateResult(routing_id, *message.body_as_UpdateResult());
      return;
    default:
      dataplane_messages_invalid_.fetch_add(1, std::memory_order_relaxed);
      return;
  }
}

void CommandServer::HandleUpdateResult(const std::string& routing_id,
                                       const command::UpdateResult& result) {
  {
    std::lock_guard lock(registry_mutex_);
    if (DataplaneState* state = registry_.Find(routing_id)) {
      state->pending_update = false;
      state->rules_version = Text(result.rules_version());
      state->rule_count = result.rule_count();
      if (result.rule_ids() != nullptr) {
        state->rule_ids.assign(result.rule_ids()->begin(), result.rule_ids()->end());
      }
    }
  }
  const auto found = updates_.find(result.update_id());
  if (found == updates_.end()) return;  // the result came after the deadline
  PendingUpdate& update = found->second;
  if (update.waiting.erase(routing_id) == 0) return;
  DataplaneOutcome& outcome = update.outcomes[routing_id];
  outcome.applied = result.applied();
  outcome.rules_version = Text(result.rules_version());
  outcome.rule_count = result.rule_count();
  if (result.errors() != nullptr) {
    for (const auto* error : *result.errors()) outcome.errors.push_back(error->str());
  }
  if (update.waiting.empty()) {
    FinishUpdate(found->first, update);
    updates_.erase(found);
  }
}

void CommandServer::ExpireUpdates(uint64_t now_ns) {
  for (auto it = updates_.begin(); it != updates_.end();) {
    if (now_ns < it->second.deadline_ns) {
      ++it;
      continue;
    }
    for (const std::string& routing_id : it->second.waiting) {
      it->second.outcomes[routing_id].errors.push_back(
          "no result within " + std::to_string(options_.update_timeout_s) +
          " s; the data plane may be stuck or gone, check `sluicectl show status`");
    }
    FinishUpdate(it->first, it->second);
    it = updates_.erase(it);
  }
}

void CommandServer::FinishUpdate(uint64_t update_id, PendingUpdate& update) {
  flatbuffers::FlatBufferBuilder fbb(4096);
  std::vector<flatbuffers::Offset<command::DataplaneResult>> results;
  bool all_applied = true;
  for (const auto& [routing_id, outcome] : update.outcomes) {
    all_applied &= outcome.applied;
    std::vector<flatbuffers::Offset<flatbuffers::String>> errors;
    for (const std::string& error : outcome.errors) errors.push_back(fbb.CreateString(error));
    results.push_back(command::CreateDataplaneResult(
        fbb, fbb.CreateString(outcome.id), outcome.applied, fbb.CreateVector(errors),
        fbb.CreateString(outcome.rules_version), outcome.rule_count));
    LogLine("command: key %s: %s of '%s' %s on data plane %s%s%s",
            PrintableForLog(update.key_name).c_str(), VerbName(update.verb),
            update.source_name.c_str(), outcome.applied ? "applied" : "failed",
            PrintableForLog(outcome.id).c_str(),
            outcome.applied ? ", rules now " : ", first error: ",
            PrintableForLog(outcome.applied ? outcome.rules_version
                                            : (outcome.errors.empty() ? "" : outcome.errors[0]),
                            200)
                .c_str());
  }
  (all_applied ? updates_applied_ : updates_failed_).fetch_add(1, std::memory_order_relaxed);
  (void)update_id;

  const auto list = fbb.CreateVector(results);
  const auto key = fbb.CreateString(update.key_name);
  command::ResponseBuilder response(fbb);
  response.add_request_id(update.request_id);
  response.add_ok(all_applied);
  response.add_results(list);
  response.add_client_key(key);
  response.add_control_uptime_s(static_cast<double>(MonotonicNanos() - started_ns_) / 1e9);
  response.add_dataplane_socket_off(!options_.dataplane_enabled);
  fbb.Finish(response.Finish());
  Send(operator_socket_, update.operator_routing_id, fbb);
}

std::string CommandServer::RenderMetrics() const {
  using Type = PrometheusWriter::Type;
  PrometheusWriter writer;
  const uint64_t now = MonotonicNanos();
  writer.AddReal("sluice_control_uptime_seconds", "Seconds since sluice-control started.",
                 Type::kGauge, {}, static_cast<double>(now - started_ns_) / 1e9);
  for (const CounterValue& counter : ControlCounters()) {
    writer.AddInteger(PrometheusName("sluice", counter.name), counter.meaning,
                      counter.gauge ? Type::kGauge : Type::kCounter, {}, counter.value);
  }
  std::lock_guard lock(registry_mutex_);
  registry_.AddMetrics(writer, now);
  return writer.Render();
}

}  // namespace sluice::control

#include "dataplane/command/command_client.h"

#include <zmq.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "commands_generated.h"

namespace sluice::command_channel {

namespace {

constexpr int kMaxMessagesPerPoll = 16;
constexpr int64_t kMaxMessageBytes = 16 << 20;

}  // namespace

CommandClient::~CommandClient() {
  if (socket_ != nullptr) zmq_close(socket_);
  if (context_ != nullptr) zmq_ctx_term(context_);
}

bool CommandClient::Start(const CommandClientOptions& options, CommandTarget* target,
                          std::string* error) {
  options_ = options;
  target_ = target;
  context_ = zmq_ctx_new();
  socket_ = zmq_socket(context_, ZMQ_DEALER);
  const int linger = 0;
  const int64_t max_message = kMaxMessageBytes;
  // Reports are worth nothing once stale: a small queue keeps a missing sluice-control from
  // holding memory, and a failed send is counted.
  const int high_water_mark = 64;
  zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_setsockopt(socket_, ZMQ_MAXMSGSIZE, &max_message, sizeof(max_message));
  zmq_setsockopt(socket_, ZMQ_SNDHWM, &high_water_mark, sizeof(high_water_mark));
  if (!options.server_key_z85.empty()) {
    char public_key[41] = {};
    char secret_key[41] = {};
    // An ephemeral client key: the server is authenticated by its key and the traffic is
    // encrypted, but sluice-control cannot identify data planes by key.
    if (zmq_curve_keypair(public_key, secret_key) != 0) {
      *error = "cannot create a CURVE key for the command channel: libzmq lacks CURVE support";
      return false;
    }
    zmq_setsockopt(socket_, ZMQ_CURVE_SERVERKEY, options.server_key_z85.c_str(), 40);
    zmq_setsockopt(socket_, ZMQ_CURVE_PUBLICKEY, public_key, 40);
    zmq_setsockopt(socket_, ZMQ_CURVE_SECRETKEY, secret_key, 40);
  }
  if (zmq_connect(socket_, options.endpoint.c_str()) != 0) {
    *error = "invalid command endpoint '" + options.endpoint + "': " + zmq_strerror(zmq_errno()) +
             " (expected e.g. tcp://127.0.0.1:7752, or off)";
    return false;
  }
  started_ = std::chrono::steady_clock::now();
  next_check_ = started_;
  next_report_ = started_;  // the first report follows the Register at once
  SendRegister();
  return true;
}

void CommandClient::Poll() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return;
  next_check_ = now + kPollInterval;

  ReadMessages();
  UpdateOutcome outcome;
  if (target_->PollRulesUpdate(&outcome)) {
    ++(outcome.applied ? counters_.rule_updates_applied : counters_.rule_updates_failed);
    SendResult(outcome);
    SendRegister();  // the rule ids changed
  }
  if (now >= next_report_) {
    next_report_ = now + options_.report_interval;
    if (++reports_since_register_ >= options_.register_every) {
      reports_since_register_ = 0;
      SendRegister();
    }
    SendReport();
  }
}

void CommandClient::ReadMessages() {
  for (int i = 0; i < kMaxMessagesPerPoll; ++i) {
    zmq_msg_t message;
    zmq_msg_init(&message);
    if (zmq_msg_recv(&message, socket_, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&message);
      return;
    }
    // Copied: the Verifier wants the buffer aligned, which zmq_msg_data does not promise.
    const auto* data = static_cast<const uint8_t*>(zmq_msg_data(&message));
    receive_buffer_.assign(data, data + zmq_msg_size(&message));
    zmq_msg_close(&message);
    HandleMessage(receive_buffer_.data(), receive_buffer_.size());
  }
}

void CommandClient::HandleMessage(const uint8_t* data, size_t size) {
  flatbuffers::Verifier verifier(data, size);
  if (!verifier.VerifyBuffer<command::ControlMessage>(nullptr)) {
    ++counters_.messages_invalid;
    return;
  }
  const auto* message = flatbuffers::GetRoot<command::ControlMessage>(data);
  if (const auto* rules = message->body_as_RulesUpdate()) {
    const std::string version = rules->version() != nullptr ? rules->version()->str() : "";
    const std::string text = rules->text() != nullptr ? rules->text()->str() : "";
    std::vector<std::string> errors;
    std::fprintf(stderr, "sluice-dataplane: compiling rule set %s (%zu bytes) from sluice-control\n",
                 version.c_str(), text.size());
    if (!target_->StartRulesUpdate(rules->update_id(), version, text, &errors)) {
      ++counters_.rule_updates_failed;
      SendResult(UpdateOutcome{rules->update_id(), false, errors});
    }
    return;
  }
  if (const auto* policy = message->body_as_PolicyUpdate()) {
    std::string error;
    const bool applied =
        target_->ApplyPolicy(policy->text() != nullptr ? policy->text()->str() : "", &error);
    if (!applied) ++counters_.policy_updates_failed;
    // The policy parser reports one error per line.
    std::vector<std::string> errors;
    for (size_t start = 0; !applied && start <= error.size();) {
      const size_t end = std::min(error.find('\n', start), error.size());
      if (end > start) errors.push_back(error.substr(start, end - start));
      start = end + 1;
    }
    SendResult(UpdateOutcome{policy->update_id(), applied, errors});
    return;
  }
  ++counters_.messages_invalid;
}

void CommandClient::SendBuffer(const uint8_t* data, size_t size) {
  if (zmq_send(socket_, data, size, ZMQ_DONTWAIT) < 0) ++counters_.sends_failed;
}

void CommandClient::SendRegister() {
  flatbuffers::FlatBufferBuilder fbb(1024);
  const RuleSetState rules = target_->Rules();
  std::vector<flatbuffers::Offset<flatbuffers::String>> ports;
  for (const std::string& port : options_.ports) ports.push_back(fbb.CreateString(port));
  const double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const auto body = command::CreateRegister(
      fbb, fbb.CreateString(options_.dataplane_id), options_.run_id,
      fbb.CreateString(options_.mode), fbb.CreateVector(ports), options_.workers,
      fbb.CreateString(rules.version), static_cast<uint32_t>(rules.ids.size()),
      fbb.CreateVector(rules.ids), uptime);
  fbb.Finish(command::CreateDataplaneMessage(fbb, command::DataplaneBody::Register, body.Union()));
  SendBuffer(fbb.GetBufferPointer(), fbb.GetSize());
}

void CommandClient::SendReport() {
  std::vector<NamedCounter> counters;
  target_->CollectCounters(&counters);
  const auto add = [&counters](const char* name, uint64_t value, const char* meaning) {
    counters.push_back({name, value, meaning, false});
  };
  add("command.reports_sent", counters_.reports_sent, "Counter reports sent to sluice-control.");
  add("command.sends_failed", counters_.sends_failed,
      "Command channel messages the socket could not take; a rising value means sluice-control "
      "is unreachable on its data plane command endpoint.");
  add("command.messages_invalid", counters_.messages_invalid,
      "Messages from sluice-control that failed verification; a high value means mismatched "
      "versions.");
  add("command.rule_updates_applied", counters_.rule_updates_applied,
      "Rule sets received from sluice-control and swapped in.");
  add("command.rule_updates_failed", counters_.rule_updates_failed,
      "Rule sets received from sluice-control and rejected; the old rules stayed in force.");
  add("command.policy_updates_failed", counters_.policy_updates_failed,
      "Detector policies received from sluice-control and rejected.");

  flatbuffers::FlatBufferBuilder fbb(8192);
  std::vector<flatbuffers::Offset<command::Counter>> list;
  for (const NamedCounter& counter : counters) {
    list.push_back(command::CreateCounter(fbb, fbb.CreateString(counter.name), counter.value,
                                          fbb.CreateString(counter.meaning), counter.gauge));
  }
  const RuleSetState rules = target_->Rules();
  const double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const auto body = command::CreateReport(
      fbb, fbb.CreateString(options_.dataplane_id), options_.run_id, uptime,
      fbb.CreateString(rules.version), static_cast<uint32_t>(rules.ids.size()),
      fbb.CreateVector(list));
  fbb.Finish(command::CreateDataplaneMessage(fbb, command::DataplaneBody::Report, body.Union()));
  SendBuffer(fbb.GetBufferPointer(), fbb.GetSize());
  ++counters_.reports_sent;
}

void CommandClient::SendResult(const UpdateOutcome& outcome) {
  flatbuffers::FlatBufferBuilder fbb(1024);
  std::vector<flatbuffers::Offset<flatbuffers::String>> errors;
  for (const std::string& error : outcome.errors) errors.push_back(fbb.CreateString(error));
  const RuleSetState rules = target_->Rules();
  const auto body = command::CreateUpdateResult(
      fbb, outcome.update_id, outcome.applied, fbb.CreateVector(errors),
      fbb.CreateString(rules.version), static_cast<uint32_t>(rules.ids.size()),
      fbb.CreateVector(rules.ids));
  fbb.Finish(command::CreateDataplaneMessage(fbb, command::DataplaneBody::UpdateResult, body.Union()));
  SendBuffer(fbb.GetBufferPointer(), fbb.GetSize());
}

}  // namespace sluice::command_channel

#include "dataplane/app/pipeline.h"

#include <openssl/rand.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "matchers/compile/check_rules.h"
#include "matchers/rules/loader.h"

namespace sluice::app {

namespace {

constexpr uint32_t kInputRingSize = 4096;

uint64_t RandomRunId() {
  uint64_t id = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof(id)) != 1) {
    id = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
  return id;
}

worker::WorkerConfig MakeWorkerConfig(const DataplaneConfig& config, uint16_t id, uint32_t link_type,
                                      bool offline, uint64_t run_id) {
  const Limits& limits = config.limits;
  worker::WorkerConfig worker;
  worker.worker_id = id;
  worker.link_type = link_type;
  worker.max_flows = limits.flows_per_worker;
  worker.idle_timeout_ns = static_cast<uint64_t>(limits.flow_idle_timeout_s) * 1000000000ull;
  worker.transaction_slots = limits.transactions_per_worker;
  worker.segment_chunks = limits.reassembly_chunks_per_worker;
  worker.line_buffers = limits.line_buffers_per_worker;
  worker.line_bytes = limits.max_line_bytes;
  worker.limits.parser.max_headers = limits.max_headers;
  worker.limits.parser.max_header_bytes = limits.max_header_bytes;
  worker.limits.stream.max_held_bytes = limits.max_held_bytes_per_stream;
  worker.limits.http_ports = config.http_ports;
  worker.overlap_policies = config.overlap_policies;
  // auto: inline, the frames are the ones on the wire and a receiver drops a corrupt segment, so
  // it is not parsed. Captures and mirror ports, taken on or near a sending host, often carry
  // checksums left for the NIC or rewritten: there a bad checksum is skipped only from a sender
  // that produced good ones on the same connection.
  worker.verify_checksums = config.checksums != "off";
  worker.skip_bad_checksums =
      config.checksums == "on" || (config.checksums == "auto" && config.mode == Mode::kInline);
  worker.trust_offloaded = config.checksums == "auto";
  worker.records.dataplane_id = config.id;
  worker.records.run_id = run_id;
  worker.records.worker_id = id;
  worker.records.records_per_batch = config.records_per_batch;
  worker.records.wait_for_buffers = offline;
  worker.records.redact = config.pii.redact;
  worker.inline_mode = config.mode == Mode::kInline;
  worker.fail_closed = !config.fail_open;
  worker.block_response.http_error = config.block_with_http_error;
  worker.block_response.status = static_cast<uint16_t>(config.block_status);
  worker.block_response.body = config.block_body;
  return worker;
}

uint32_t PiiFieldBits(const std::vector<std::string>& fields) {
  uint32_t bits = 0;
  for (const std::string& field : fields) {
    if (field == "request_body") bits |= matchers::kPiiRequestBody;
    if (field == "response_body") bits |= matchers::kPiiResponseBody;
    if (field == "request_headers") bits |= matchers::kPiiRequestHeaders;
    if (field == "response_headers") bits |= matchers::kPiiResponseHeaders;
    if (field == "query") bits |= matchers::kPiiQuery;
  }
  return bits;
}

// The fingerprint key: the configured file's content, or random bytes for this run only, in
// which case fingerprints cannot be compared across runs and the operator is told so.
bool PiiKey(const PiiSettings& settings, std::string* key, std::string* error) {
  if (!settings.key_file.empty()) {
    std::ifstream file(settings.key_file, std::ios::binary);
    std::stringstream content;
    content << file.rdbuf();
    *key = content.str();
    if (!file || key->size() < 16) {
      *error = "cannot use PII key file '" + settings.key_file +
               "': missing, unreadable or shorter than 16 bytes (make one with: head -c 32 /dev/urandom > FILE)";
      return false;
    }
    return true;
  }
  key->resize(32);
  RAND_bytes(reinterpret_cast<unsigned char*>(key->data()), 32);
  std::fprintf(stderr, "sluice-dataplane: no dataplane.pii.key_file: PII fingerprints use a random key "
                       "for this run and cannot be matched across runs\n");
  return true;
}

}  // namespace

std::shared_ptr<const matchers::CompiledRuleSet> Pipeline::CompileRules(const std::string& path,
                                                                         std::string* error) {
  const matchers::CheckReport report = matchers::CheckRules(path);
  if (!report.ok) {
    *error = report.text;
    return nullptr;
  }
  matchers::RuleLoadResult loaded = matchers::LoadRulesFile(path);
  std::vector<matchers::RuleError> errors = loaded.errors;
  std::shared_ptr<const matchers::CompiledRuleSet> rules;
  if (errors.empty()) rules = matchers::CompiledRuleSet::Compile(loaded.rule_set, &errors);
  if (!errors.empty() || rules == nullptr) {
    *error = "rule file '" + path + "' has " + std::to_string(errors.size()) + " error(s)";
    return nullptr;
  }
  return rules;
}

bool Pipeline::ReloadRules(const std::string& path, std::string* error) {
  std::shared_ptr<const matchers::CompiledRuleSet> rules = CompileRules(path, error);
  if (rules == nullptr) return false;
  std::vector<std::unique_ptr<matchers::Scanner>> scanners;
  for (size_t i = 0; i < workers_.size(); ++i) {
    scanners.push_back(matchers::Scanner::Create(rules, scanner_config_, error));
    if (scanners.back() == nullptr) return false;
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i]->inspector() != nullptr) workers_[i]->inspector()->OfferRules(std::move(scanners[i]));
  }
  rules_ = std::move(rules);
  return true;
}

bool Pipeline::PrepareRulesText(const std::string& text, size_t workers,
                                const matchers::ScannerConfig& scanner_config, PreparedRules* prepared,
                                std::vector<std::string>* errors) {
  matchers::RuleLoadResult loaded = matchers::LoadRules(text);
  std::vector<matchers::RuleError> rule_errors = std::move(loaded.errors);
  if (rule_errors.empty()) {
    prepared->rules = matchers::CompiledRuleSet::Compile(loaded.rule_set, &rule_errors);
  }
  for (const matchers::RuleError& error : rule_errors) errors->push_back(matchers::FormatRuleError(error));
  if (!errors->empty() || prepared->rules == nullptr) {
    if (errors->empty()) errors->push_back("the rule set did not compile");
    return false;
  }
  for (size_t i = 0; i < workers; ++i) {
    std::string error;
    prepared->scanners.push_back(matchers::Scanner::Create(prepared->rules, scanner_config, &error));
    if (prepared->scanners.back() == nullptr) {
      errors->push_back("cannot create a scanner: " + error);
      return false;
    }
  }
  return true;
}

bool Pipeline::AdoptPreparedRules(PreparedRules prepared, std::string* error) {
  for (const auto& worker : workers_) {
    if (worker->inspector() == nullptr) {
      *error = "this data plane started without rules and without PII detection, so its workers "
               "cannot take rules; restart it with --rules";
      return false;
    }
  }
  if (prepared.scanners.size() != workers_.size()) {
    *error = "prepared " + std::to_string(prepared.scanners.size()) + " scanners for " +
             std::to_string(workers_.size()) + " workers";
    return false;
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->inspector()->OfferRules(std::move(prepared.scanners[i]));
  }
  rules_ = std::move(prepared.rules);
  return true;
}

bool Pipeline::ReloadRulesFromText(const std::string& text, std::string* error) {
  PreparedRules prepared;
  std::vector<std::string> errors;
  if (!PrepareRulesText(text, workers_.size(), scanner_config_, &prepared, &errors)) {
    error->clear();
    for (const std::string& line : errors) *error += line + "\n";
    return false;
  }
  return AdoptPreparedRules(std::move(prepared), error);
}

bool Pipeline::CompileInspection(const DataplaneConfig& config, std::string* error) {
  if (!config.rules.empty()) {
    rules_ = CompileRules(config.rules, error);
    if (rules_ == nullptr) return false;
  }
  // The key pseudonymises both personal data and client identities.
  if (config.pii.enabled || config.detectors.enabled) {
    if (!PiiKey(config.pii, &pii_key_, error)) return false;
  }
  if (config.pii.enabled) {
    matchers::PiiConfig pii;
    pii.hmac_key = pii_key_;
    pii.fields = PiiFieldBits(config.pii.fields);
    pii_ = matchers::PiiDetectorSet::Create(pii, error);
    if (pii_ == nullptr) return false;
  }
  return true;
}

std::unique_ptr<inspect::Inspector> Pipeline::MakeInspector(bool can_block, std::string* error) {
  std::unique_ptr<matchers::Scanner> scanner;
  std::unique_ptr<matchers::PiiScanner> pii;
  if (rules_ != nullptr) {
    scanner = matchers::Scanner::Create(rules_, scanner_config_, error);
    if (scanner == nullptr) return nullptr;
  }
  if (pii_ != nullptr) {
    pii = matchers::PiiScanner::Create(pii_);
  }
  inspect::InspectorConfig inspector;
  inspector.can_block = can_block;
  inspector.inflaters = inflaters_per_worker_;
  return std::make_unique<inspect::Inspector>(std::move(scanner), std::move(pii), inspector);
}

Pipeline::~Pipeline() {
  JoinWorkers();
  for (rte_ring* ring : inputs_) rte_ring_free(ring);
  for (rte_ring* ring : detect_rings_) rte_ring_free(ring);
}

bool Pipeline::ApplyDetectorPolicy(const std::string& yaml_text, std::string* error) {
  const detect::DetectorPolicy* current = detector_policy();
  if (current == nullptr || !current->enabled) {
    *error = "detectors are off in this data plane (dataplane.detectors.enabled: false); restart to turn them on";
    return false;
  }
  // Unset keys keep the defaults, as in the config file, not the values in force.
  auto next = std::make_unique<detect::DetectorPolicy>();
  if (!detect::ParsePolicyUpdate(*current, yaml_text, next.get(), error)) return false;
  for (const auto& worker : workers_) {
    if (worker->detector() != nullptr) worker->detector()->OfferPolicy(next.get());
  }
  policies_.push_back(std::move(next));
  return true;
}

bool Pipeline::CreateDetectRings(const DataplaneConfig& config, std::string* error) {
  if (!config.detectors.enabled || config.workers < 2) return true;
  for (uint32_t id = 0; id < config.workers; ++id) {
    rte_ring* ring = rte_ring_create_elem(("sl_detect_" + std::to_string(id)).c_str(), sizeof(detect::DetectMessage),
                                          config.detectors.event_ring_size, static_cast<int>(rte_socket_id()),
                                          RING_F_SC_DEQ | RING_F_EXACT_SZ);
    if (ring == nullptr) {
      *error = std::string("cannot create a detector event ring (") + std::to_string(config.detectors.event_ring_size) +
               " messages of " + std::to_string(sizeof(detect::DetectMessage)) + " bytes): " + rte_strerror(rte_errno) +
               "; lower dataplane.detectors.event_ring_size or give DPDK more memory (-m)";
      return false;
    }
    detect_rings_.push_back(ring);
  }
  return true;
}

bool Pipeline::Build(const DataplaneConfig& config, uint32_t link_type, bool offline, std::string* error) {
  offline_ = offline;
  run_id_ = RandomRunId();
  scanner_config_.streams_per_direction = config.limits.body_streams_per_worker;
  inflaters_per_worker_ = config.limits.inflaters_per_worker;
  if (rte_lcore_count() < config.workers + 1) {
    *error = "DPDK has " + std::to_string(rte_lcore_count()) + " lcores but " +
             std::to_string(config.workers) + " workers need " + std::to_string(config.workers + 1) +
             " (one main lcore plus one per worker): fix -l/--lcores or --workers";
    return false;
  }
  const uint32_t mbuf_count = config.workers * (kInputRingSize + 1024) + 4096;
  mbufs_ = rte_pktmbuf_pool_create("sl_mbufs", mbuf_count, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   static_cast<int>(rte_socket_id()));
  if (mbufs_ == nullptr) {
    *error = "cannot create the mbuf pool (" + std::to_string(mbuf_count) + " mbufs): " +
             rte_strerror(rte_errno) + "; give DPDK more memory (-m) or use fewer workers";
    return false;
  }
  if (!worker::RegisterTimestampField(error)) return false;
  if (!CompileInspection(config, error)) return false;
  if (config.detectors.enabled) policies_.push_back(std::make_unique<detect::DetectorPolicy>(config.detectors));
  if (!CreateDetectRings(config, error)) return false;
  for (uint16_t id = 0; id < config.workers; ++id) {
    if (offline) {
      rte_ring* ring = rte_ring_create(("sl_input_" + std::to_string(id)).c_str(), kInputRingSize,
                                       static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (ring == nullptr) {
        *error = std::string("cannot create a worker input ring: ") + rte_strerror(rte_errno);
        return false;
      }
      inputs_.push_back(ring);
    }
    auto channel = std::make_unique<exporter::BatchChannel>();
    if (!channel->Init(id, config.batch_buffers_per_worker, error)) return false;
    std::unique_ptr<inspect::Inspector> inspector = MakeInspector(config.mode == Mode::kInline, error);
    if (inspector == nullptr) return false;
    worker::WorkerConfig worker_config = MakeWorkerConfig(config, id, link_type, offline, run_id_);
    worker_config.pool = mbufs_;
    worker_config.detect_policy = detector_policy();
    worker_config.detect_key = pii_key_;
    worker_config.workers = config.workers;
    auto worker = std::make_unique<worker::Worker>(worker_config, channel.get(), std::move(inspector));
    if (!worker->Init(error)) return false;
    if (worker->detector() != nullptr && !detect_rings_.empty()) worker->detector()->SetRings(detect_rings_);
    auto runtime = std::make_unique<worker::WorkerRuntime>();
    runtime->worker = worker.get();
    runtime->input = offline ? inputs_.back() : nullptr;
    runtime->input_done = &input_done;
    runtime->stop = &stop;
    runtime->inline_mode = config.mode == Mode::kInline;
    runtime->fail_open = config.fail_open;
    runtime->overload_queue_depth = config.overload_queue_depth;
    runtime->workers_closed = &workers_closed_;
    runtime->worker_count = config.workers;
    channel_pointers_.push_back(channel.get());
    channels_.push_back(std::move(channel));
    workers_.push_back(std::move(worker));
    runtimes_.push_back(std::move(runtime));
  }
  return true;
}

void Pipeline::PollExporter() {
  const uint64_t now = rte_rdtsc();
  if (now < next_poll_tsc_) return;
  if (poll_interval_tsc_ == 0) poll_interval_tsc_ = rte_get_tsc_hz() / 50000;
  next_poll_tsc_ = now + poll_interval_tsc_;
  exporter_.Poll(channel_pointers_);
  if (command_poller_) command_poller_();
}

// Turns dataplane.export into spool limits; see ExportSettings for the rules.
static bool MakeSpoolLimits(const DataplaneConfig& config, bool offline,
                            exporter::SpoolLimits* limits, std::string* error) {
  const ExportSettings& settings = config.export_settings;
  const bool drop = settings.spool_overflow == "drop_oldest" ||
                    (settings.spool_overflow == "auto" && !offline);
  limits->overflow = drop ? exporter::SpoolOverflow::kDropOldest : exporter::SpoolOverflow::kWait;
  limits->max_bytes_per_worker = settings.spool_bytes / config.workers;
  limits->max_batches_per_worker = settings.spool_batches_per_worker != 0
                                       ? settings.spool_batches_per_worker
                                       : std::min(config.batch_buffers_per_worker * 3 / 4, 1024u);
  if (drop && limits->max_batches_per_worker + 2 > config.batch_buffers_per_worker) {
    *error = "dataplane.export.spool_batches_per_worker (" +
             std::to_string(limits->max_batches_per_worker) +
             ") must be at most dataplane.batch_buffers_per_worker (" +
             std::to_string(config.batch_buffers_per_worker) +
             ") minus 2, so that workers keep free buffers while the spool is full";
    return false;
  }
  return true;
}

bool Pipeline::Connect(const DataplaneConfig& config, std::string* error) {
  exporter::ExporterOptions options;
  options.endpoint = config.control;
  options.dataplane_id = config.id;
  options.run_id = run_id_;
  options.workers = static_cast<uint16_t>(config.workers);
  options.server_key_z85 = config.control_server_key;
  if (!MakeSpoolLimits(config, offline_, &options.spool, error)) return false;
  return exporter_.Connect(options, error);
}

bool Pipeline::Launch(std::string* error) {
  uint32_t index = 0;
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    if (index == runtimes_.size()) break;
    if (rte_eal_remote_launch(worker::RunWorker, runtimes_[index].get(), lcore) != 0) {
      *error = "cannot launch worker " + std::to_string(index) + " on lcore " + std::to_string(lcore);
      return false;
    }
    ++index;
  }
  launched_ = true;
  return true;
}

bool Pipeline::Drain(uint32_t timeout_s) {
  auto last_progress = std::chrono::steady_clock::now();
  uint64_t last_acked = exporter_.counters().batches_acked;
  for (;;) {
    PollExporter();
    bool finished = true;
    for (const auto& runtime : runtimes_) finished &= runtime->finished.load(std::memory_order_acquire);
    if (finished) {
      next_poll_tsc_ = 0;
      PollExporter();  // pick up the last batches the workers handed over
      exporter_.ReportLosses();
      if (exporter_.in_flight() == 0) return true;
    }
    if (exporter_.counters().batches_acked != last_acked || !finished) {
      last_acked = exporter_.counters().batches_acked;
      last_progress = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(timeout_s)) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void Pipeline::JoinWorkers() {
  if (!launched_) return;
  rte_eal_mp_wait_lcore();
  launched_ = false;
}

}  // namespace sluice::app

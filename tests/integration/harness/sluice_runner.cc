#include "tests/integration/harness/sluice_runner.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "tests/integration/harness/loopback.h"

namespace sluice::testing {
namespace {

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string SluicePaths::FromEnvironment(SluicePaths* paths) {
  paths->control = Environment("SLUICE_CONTROL");
  paths->dataplane = Environment("SLUICE_DATAPLANE");
  paths->corpus_dir = Environment("SLUICE_CORPUS_DIR");
  paths->samples_dir = Environment("SLUICE_SAMPLES_DIR");
  std::string missing;
  if (paths->control.empty()) missing += " SLUICE_CONTROL";
  if (paths->dataplane.empty()) missing += " SLUICE_DATAPLANE";
  if (!missing.empty()) return "environment variables not set:" + missing + " (run through meson test)";
  return "";
}

std::vector<std::string> FindCaptures(const std::string& directory) {
  std::vector<std::string> captures;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(directory, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file()) continue;
    const std::string path = it->path().string();
    if (EndsWith(path, ".pcap") || EndsWith(path, ".pcapng")) captures.push_back(path);
  }
  std::sort(captures.begin(), captures.end());
  return captures;
}

std::string CaptureName(const std::string& path, const std::string& root) {
  std::error_code error;
  const std::filesystem::path relative = std::filesystem::relative(path, root, error);
  if (error || relative.empty() || relative.native().rfind("..", 0) == 0) {
    return std::filesystem::path(path).filename().string();
  }
  return relative.string();
}

std::vector<const rapidjson::Document*> DataplaneRun::RecordsOfType(const std::string& type) const {
  std::vector<const rapidjson::Document*> selected;
  for (const JsonRecord& record : records) {
    if (FindString(*record, "sluice.record_type") == type) selected.push_back(record.get());
  }
  return selected;
}

int64_t DataplaneRun::SummaryCounter(const std::string& label) const {
  std::istringstream lines(process.stdout_text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos || line.compare(start, label.size(), label) != 0) continue;
    const std::string rest = line.substr(start + label.size());
    // The label must be followed by padding and the number, not by a longer label.
    if (rest.empty() || rest[0] != ' ') continue;
    char* end = nullptr;
    const long long value = std::strtoll(rest.c_str(), &end, 10);
    if (end != rest.c_str()) return value;
  }
  return -1;
}

ControlServer::ControlServer(SluicePaths paths) : paths_(std::move(paths)), directory_("sluice-control") {}

ControlServer::~ControlServer() {
  if (process_.Running()) Stop();
}

std::string ControlServer::Start() {
  const std::string jsonl = directory_.File("records.jsonl");
  const std::string log = directory_.File("control.log");
  constexpr int kAttempts = 3;  // a free port can be taken between FreeLoopbackPort and bind
  std::string last_error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const uint16_t port = FreeLoopbackPort();
    if (port == 0) return "no free loopback port";
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(port);
    last_error = process_.Start({paths_.control, "--listen", endpoint_, "--jsonl", jsonl,
                                 "--store", directory_.File("store")},
                                log, log);
    if (!last_error.empty()) return last_error;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Log().find("listening on " + endpoint_) != std::string::npos) {
        tail_ = std::make_unique<JsonlTail>(jsonl);
        return "";
      }
      if (!process_.Running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (process_.Running()) {
      process_.Signal(SIGKILL);
      process_.Wait(std::chrono::seconds(5));
      return "sluice-control did not report listening within 10 s; log:\n" + Log();
    }
    last_error = "sluice-control exited: " + process_.Wait(std::chrono::seconds(0)).Describe() + "; log:\n" + Log();
  }
  return last_error;
}

std::string ControlServer::Stop() {
  if (!process_.Signal(SIGTERM)) return "sluice-control is not running; log:\n" + Log();
  const ProcessResult result = process_.Wait(std::chrono::seconds(30));
  if (result.timed_out) {
    process_.Signal(SIGKILL);
    process_.Wait(std::chrono::seconds(5));
    return "sluice-control did not exit within 30 s of SIGTERM; log:\n" + Log();
  }
  if (result.exit_code != 0) return "sluice-control exited with " + result.Describe() + "; log:\n" + Log();
  return "";
}

std::string ControlServer::Log() const {
  std::string text;
  ReadFile(directory_.File("control.log"), &text);
  return text;
}

std::string ControlServer::CollectNewRecords() {
  if (tail_ == nullptr) return "sluice-control was not started";
  std::vector<JsonRecord> fresh;
  std::string error;
  if (!tail_->ReadNew(&fresh, &error)) return error;
  for (JsonRecord& record : fresh) {
    const std::string id = FindString(*record, "sluice.dataplane").value_or("");
    records_by_id_[id].push_back(std::move(record));
  }
  return "";
}

DataplaneRun ControlServer::RunDataplane(const std::string& capture, unsigned workers,
                                         const std::vector<std::string>& extra_arguments,
                                         std::chrono::milliseconds timeout) {
  DataplaneRun run;
  run.capture = capture;
  run.dataplane_id = "integ-" + std::to_string(getpid()) + "-" + std::to_string(++runs_);
  // One fixed PII key for every run, so fingerprints compare across runs and worker counts.
  const std::string key_file = directory_.File("pii.key");
  if (FILE* key = std::fopen(key_file.c_str(), "wb")) {
    std::fputs(kIntegrationPiiKey, key);
    std::fclose(key);
  }
  std::vector<std::string> argv = {paths_.dataplane, "--pcap",    capture,
                                   "--control",      endpoint_,  "--id",
                                   run.dataplane_id, "--workers", std::to_string(workers),
                                   "--progress",     "off",      "--pii-key-file",
                                   key_file};
  argv.insert(argv.end(), extra_arguments.begin(), extra_arguments.end());
  run.process = RunProcess(argv, timeout);
  if (const std::string error = CollectNewRecords(); !error.empty()) {
    run.records_error = error;
    return run;
  }
  auto found = records_by_id_.find(run.dataplane_id);
  if (found != records_by_id_.end()) {
    run.records = std::move(found->second);
    records_by_id_.erase(found);
  }
  return run;
}

}  // namespace sluice::testing

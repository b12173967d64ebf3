// sluice-dataplane settings: defaults, then the YAML config file's `dataplane:` section, then
// command-line flags, each overriding the one before.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/detect/policy.h"
#include "dataplane/reassembly/tcp_reassembler.h"

namespace sluice::app {

enum class Mode { kOffline, kPassive, kInline };

// Personal-data detection (matchers/pii).
struct PiiSettings {
  bool enabled = true;
  std::string key_file;           // HMAC key for fingerprints; empty: a random key per run
  std::vector<std::string> fields = {"request_body", "response_body", "request_headers",
                                     "response_headers", "query"};
  bool redact = true;             // replace detected values in recorded fields by fingerprints
};

struct Limits {
  uint32_t flows_per_worker = 65536;
  uint32_t flow_idle_timeout_s = 120;
  uint32_t transactions_per_worker = 4096;
  uint32_t reassembly_chunks_per_worker = 16384;
  uint32_t max_held_bytes_per_stream = 256 * 1024;
  uint32_t line_buffers_per_worker = 4096;
  uint32_t max_line_bytes = 8192;
  uint32_t max_headers = 128;
  uint32_t max_header_bytes = 64 * 1024;
  // Bodies matched against the rules at once, per worker and direction (Hyperscan streams).
  uint32_t body_streams_per_worker = 1024;
  // Compressed bodies decoded at once per worker (about 64 KiB each, so at most 4096).
  uint32_t inflaters_per_worker = 64;
};

// dataplane.export: the spool of batches not yet acknowledged by sluice-control.
struct ExportSettings {
  // Batches per worker the spool keeps before the overflow policy acts; 0: three quarters of
  // batch_buffers_per_worker. Must stay below batch_buffers_per_worker under drop_oldest, so that
  // workers keep free buffers while sluice-control is down.
  uint32_t spool_batches_per_worker = 0;
  // Bytes of batches the spool keeps across all workers (split evenly between them).
  uint32_t spool_bytes = 256u << 20;
  // auto: wait in offline mode (no packet is lost by waiting), drop_oldest in passive and inline
  // modes (workers never wait). wait or drop_oldest force one policy.
  std::string spool_overflow = "auto";
};

struct DataplaneConfig {
  std::string config_path;               // empty when no file was given
  std::string id;                        // default: host name
  Mode mode = Mode::kOffline;
  std::string pcap;                      // offline input
  std::vector<std::string> ports;        // passive: PCI addresses or vdev strings
  uint32_t workers = 1;
  std::string control = "tcp://127.0.0.1:7750";
  // sluice-control's data plane command endpoint (rule updates, counter reports); "off": none.
  std::string command = "tcp://127.0.0.1:7752";
  // File with sluice-control's CURVE public key (server.public); set when sluice-control runs
  // with control.dataplane_curve. Empty: both channels to sluice-control are plain.
  std::string control_server_key_file;
  std::string control_server_key;        // its Z85 text, read at start
  std::vector<std::string> eal_args;     // config file's, then those after `--`
  Limits limits;
  uint32_t records_per_batch = 512;
  uint32_t batch_buffers_per_worker = 64;
  ExportSettings export_settings;        // dataplane.export
  uint32_t ack_timeout_s = 30;           // end of run: how long to wait for sluice-control
  std::string progress = "auto";         // auto: only when stderr is a terminal
  double replay_seconds = 0;             // > 0: replay the capture from memory for this long
  std::string stats_json;                // also write the summary as JSON to this file
  // auto: verify; inline, skip corrupt segments (offloaded ones are parsed); offline and passive,
  // skip a bad one only from a sender that produced good ones on that connection, since captures
  // taken on a sending host carry offloaded checksums. on: skip every bad one. off: never verify.
  std::string checksums = "auto";
  std::vector<uint16_t> http_ports;      // always parsed as HTTP; others by their first line
  // dataplane.overlap_policy: which copy of overlapping TCP bytes each destination network keeps.
  reassembly::OverlapPolicyTable overlap_policies;
  std::string rules;                     // YAML rule file; empty: no rules
  std::string check_rules;               // --check-rules: compile this file, report, exit
  PiiSettings pii;
  detect::DetectorPolicy detectors;      // dataplane.detectors (docs/detectors.md)
  // Inline mode.
  bool fail_open = true;                 // overload forwards uninspected instead of waiting
  uint32_t overload_queue_depth = 768;   // receive descriptors waiting that mean "behind"
  bool block_with_http_error = false;    // false: reset the client too
  uint32_t block_status = 403;
  std::string block_body = "{\"error\":\"blocked by policy\"}";
};

// Parses the command line (and the config file it names). On failure returns false with a
// message that names the option or key, and `*exit_code` 0 for --help/--version or 2 for errors.
bool ParseCommandLine(int argc, char** argv, DataplaneConfig* config, std::string* message,
                      int* exit_code);

// Reads the `dataplane:` section of a YAML file into `config`.
bool LoadConfigFile(const std::string& path, DataplaneConfig* config, std::string* error);

}  // namespace sluice::app

// The SQLite schema of the store's index.
#pragma once

namespace sluice::control::store {

// File name of the index inside the store directory.
inline constexpr char kIndexFileName[] = "index.sqlite";

// Creates every table and index that is missing. Rows of `records` are numbered in arrival order,
// so the rows of one segment form a contiguous id range and retention deletes them by range.
// Addresses and identities are stored as text; an address-identified client has client_id NULL.
inline constexpr char kIndexSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS segments (
  number INTEGER PRIMARY KEY,
  state INTEGER NOT NULL,             -- 0 open, 1 sealed
  created_ns INTEGER NOT NULL,
  sealed_ns INTEGER,
  bytes INTEGER NOT NULL,             -- committed bytes of the file
  hash TEXT,                          -- hex SHA-256, once sealed
  batches INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0,
  first_ts_ns INTEGER,
  last_ts_ns INTEGER,
  last_received_ns INTEGER
);
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY,
  dataplane_id TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  worker_id INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  first_record_id INTEGER NOT NULL,
  records INTEGER NOT NULL,
  received_ns INTEGER NOT NULL,
  UNIQUE (dataplane_id, run_id, worker_id, sequence)
);
CREATE INDEX IF NOT EXISTS batches_segment ON batches (segment);
CREATE TABLE IF NOT EXISTS records (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL,
  record_index INTEGER NOT NULL,
  type INTEGER NOT NULL,
  ts_ns INTEGER NOT NULL,
  client_ip TEXT,
  client_port INTEGER,
  server_ip TEXT,
  server_port INTEGER,
  client_kind TEXT,
  client_id TEXT,
  host TEXT,
  method TEXT,
  url_path TEXT,
  endpoint TEXT,
  status INTEGER,
  request_bytes INTEGER,
  response_bytes INTEGER,
  verdict INTEGER,
  detector TEXT
);
CREATE INDEX IF NOT EXISTS records_ts ON records (ts_ns);
CREATE INDEX IF NOT EXISTS records_client_ip ON records (client_ip, ts_ns) WHERE client_ip IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_client_id ON records (client_id, ts_ns) WHERE client_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_endpoint ON records (endpoint, ts_ns) WHERE endpoint IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_status ON records (status, ts_ns) WHERE status IS NOT NULL;
CREATE TABLE IF NOT EXISTS record_rules (
  record_id INTEGER NOT NULL,
  rule_id INTEGER NOT NULL,
  PRIMARY KEY (record_id, rule_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_rules_rule ON record_rules (rule_id, record_id);
CREATE TABLE IF NOT EXISTS record_findings (
  record_id INTEGER NOT NULL,
  finding_id INTEGER NOT NULL,
  PRIMARY KEY (record_id, finding_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_findings_finding ON record_findings (finding_id, record_id);
CREATE TABLE IF NOT EXISTS record_pii (
  record_id INTEGER NOT NULL,
  direction INTEGER NOT NULL,         -- 0 request, 1 response
  type TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (record_id, direction, type)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_pii_type ON record_pii (type, record_id);
CREATE TABLE IF NOT EXISTS pii_fingerprints (
  record_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  PRIMARY KEY (record_id, type, fingerprint)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retention_log (
  id INTEGER PRIMARY KEY,
  deleted_ns INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  hash TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  records INTEGER NOT NULL,
  first_ts_ns INTEGER,
  last_ts_ns INTEGER,
  reason TEXT NOT NULL
);
)sql";

}  // namespace sluice::control::store

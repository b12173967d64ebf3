# Starts and stops sluice-control and sluice-dataplane inside the appliance namespace. Sourced by
# run-inline-tests.sh after netns.sh. Needs SLUICE_CONTROL and SLUICE_DATAPLANE (paths of the
# binaries). RULES_FILE names the rule file passed with --rules, and DATAPLANE_EXTRA_CONFIG contains
# more lines of the dataplane: section (each indented by two spaces), such as `  fail: closed`.

CONTROL_ENDPOINT=tcp://127.0.0.1:7750

# Returns 0 when `sluice-dataplane --help` mentions `word` (a mode or an option).
sluice_supports() {
  "$SLUICE_DATAPLANE" --help 2>&1 | grep -qw -- "$1"
}

# Waits up to `seconds` for `pattern` (extended regex) in `file` while process `pid` runs.
sluice_wait_log() {
  local file=$1 pattern=$2 pid=$3 seconds=$4
  local tries=$((seconds * 10))
  while ((tries-- > 0)); do
    grep -Eq -- "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Waits up to `seconds` for process `pid` (a child of this shell) to exit. Sets WAITED_STATUS to
# its exit status, or to 124 when it did not exit in time.
sluice_wait_exit() {
  local pid=$1 seconds=$2
  local tries=$((seconds * 10))
  while ((tries-- > 0)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null
      WAITED_STATUS=$?
      return 0
    fi
    sleep 0.1
  done
  WAITED_STATUS=124
  return 1
}

# Writes the shared YAML config for one run. `ports` is a YAML flow list.
sluice_write_config() {
  local file=$1 mode=$2 ports=$3 jsonl=$4
  cat >"$file" <<EOF
dataplane:
  id: inline-test-$mode
  mode: $mode
  ports: $ports
  workers: 1
  control: $CONTROL_ENDPOINT
${DATAPLANE_EXTRA_CONFIG:-}
control:
  listen: $CONTROL_ENDPOINT
  jsonl: $jsonl
  store:
    path: ${jsonl%/*}/store
EOF
}

# Starts both daemons for `mode` (inline or passive) with their files under `dir`: records in
# dir/records.jsonl and, when the data plane has --stats-json, its end-of-run summary in
# dir/stats.json. Sets CONTROL_PID and DATAPLANE_PID.
sluice_start() {
  local mode=$1 dir=$2 ports=$3
  mkdir -p "$dir" || return 1
  sluice_write_config "$dir/sluice.yaml" "$mode" "$ports" "$dir/records.jsonl" || return 1

  ip netns exec "$NS_APPLIANCE" "$SLUICE_CONTROL" --config "$dir/sluice.yaml" >"$dir/control.log" 2>&1 &
  CONTROL_PID=$!
  if ! sluice_wait_log "$dir/control.log" "listening on" "$CONTROL_PID" 10; then
    echo "sluice: sluice-control did not report listening within 10 s; its log:" >&2
    cat "$dir/control.log" >&2
    return 1
  fi

  local -a arguments=(--config "$dir/sluice.yaml" --progress off)
  if [[ -n "${RULES_FILE:-}" ]]; then
    arguments+=(--rules "$RULES_FILE")
  fi
  if sluice_supports --stats-json; then
    arguments+=(--stats-json "$dir/stats.json")
  fi
  ip netns exec "$NS_APPLIANCE" "$SLUICE_DATAPLANE" "${arguments[@]}" >"$dir/dataplane.log" 2>&1 &
  DATAPLANE_PID=$!
  # Passive mode logs "receiving on N port(s)"; the inline wording is not fixed yet, so any
  # line about ports, receiving or forwarding counts as started.
  if ! sluice_wait_log "$dir/dataplane.log" "receiving on|forwarding|port\(s\)" "$DATAPLANE_PID" 30
  then
    echo "sluice: sluice-dataplane did not report its ports within 30 s; its log:" >&2
    cat "$dir/dataplane.log" >&2
    return 1
  fi
}

# Stops the data plane with SIGINT (it flushes its records and waits for acknowledgements), then
# sluice-control with SIGTERM. Sets DATAPLANE_STATUS and CONTROL_STATUS (124: killed after the
# timeout).
sluice_stop() {
  DATAPLANE_STATUS=
  CONTROL_STATUS=
  if [[ -n "${DATAPLANE_PID:-}" ]]; then
    kill -INT "$DATAPLANE_PID" 2>/dev/null
    if ! sluice_wait_exit "$DATAPLANE_PID" 60; then
      kill -KILL "$DATAPLANE_PID" 2>/dev/null
      wait "$DATAPLANE_PID" 2>/dev/null
    fi
    DATAPLANE_STATUS=$WAITED_STATUS
    DATAPLANE_PID=
  fi
  if [[ -n "${CONTROL_PID:-}" ]]; then
    kill -TERM "$CONTROL_PID" 2>/dev/null
    if ! sluice_wait_exit "$CONTROL_PID" 20; then
      kill -KILL "$CONTROL_PID" 2>/dev/null
      wait "$CONTROL_PID" 2>/dev/null
    fi
    CONTROL_STATUS=$WAITED_STATUS
    CONTROL_PID=
  fi
}

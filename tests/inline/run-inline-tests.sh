#!/usr/bin/env bash
# End-to-end test of Sluice as a bump in the wire, in network namespaces made for this run.
#
# Usage: run-inline-tests.sh MODE
#   bridge   a Linux bridge forwards between client and server; checks the harness alone
#   passive  the bridge forwards, and sluice-dataplane reads a mirror of both ports
#   inline   sluice-dataplane forwards between the ports; then the passive run repeats the same
#            calls and its records are compared with the inline ones
#   policy   three inline runs with other configs (policy.sh): fail-open and fail-closed under
#            overload, a configured HTTP error for blocked requests, and a block on a response
#   reload   one inline run under paced load whose rule file is rewritten and reloaded with
#            SIGHUP, once with a valid file and once with a broken one (reload.sh)
#   fragments fragmented ICMP and UDP cross a Linux bridge, then Sluice inline on net_pcap and
#            on net_af_packet vdevs, while dumpcap records both ends. Every fragment must arrive
#            unchanged and in order (fragments.sh)
#
# Environment: SLUICE_CONTROL and SLUICE_DATAPLANE (paths of the binaries, for passive and
# inline), SLUICE_RULES (rule file; default rules.yaml beside this script), SLUICE_BLOCK_STATUS
# (HTTP status of a configured block response; default 403), SLUICE_LOAD_DELAY_MS (pause before
# each wrk request, per connection; default 2), SLUICE_KEEP_DIR=1 keeps the run's temporary
# directory.
#
# Prints one PASS, FAIL or SKIP line per check and a closing "N passed, N failed" line. Exits 0
# when nothing failed, 1 on a failed check or setup error, 77 (skipped, as meson reads it) when
# the machine or the data plane cannot run MODE: not root, a tool missing, no mode support.
set -uo pipefail

INLINE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=${1:-}
BLOCK_STATUS=${SLUICE_BLOCK_STATUS:-403}
LOAD_URL="/api/v1/users/1?from=wrk"
LOAD_SECONDS=10
# Each of wrk's 4 connections waits this long before each request, which bounds the load at
# 2000 requests a second by default. With 0, wrk sends as fast as the machine allows.
LOAD_DELAY_MS=${SLUICE_LOAD_DELAY_MS:-2}

source "$INLINE_DIR/netns.sh"
source "$INLINE_DIR/server.sh"
source "$INLINE_DIR/sluice.sh"
source "$INLINE_DIR/policy.sh"
source "$INLINE_DIR/reload.sh"
source "$INLINE_DIR/fragments.sh"

PASSED=0
FAILED=0

pass() {
  echo "PASS: $*"
  PASSED=$((PASSED + 1))
}

fail() {
  echo "FAIL: $*"
  FAILED=$((FAILED + 1))
}

skip() { echo "SKIP: $*"; }

# Records a check that passed when `condition_status` is 0.
check() {
  local condition_status=$1
  shift
  if [[ $condition_status -eq 0 ]]; then pass "$@"; else fail "$@"; fi
}

usage_skip() {
  echo "SKIP: $*"
  echo "0 passed, 0 failed, 1 skipped"
  exit 77
}

cleanup() {
  local status=$?
  # A second Ctrl-C or SIGTERM must not cut the cleanup short and leave namespaces behind.
  trap - EXIT
  trap '' INT TERM
  sluice_stop >/dev/null 2>&1
  server_stop >/dev/null 2>&1
  netns_teardown
  if [[ -n "${RUN_DIR:-}" && -d "$RUN_DIR" ]]; then
    if [[ "${SLUICE_KEEP_DIR:-0}" == 1 || $FAILED -gt 0 ]]; then
      echo "run files kept in $RUN_DIR"
    else
      rm -rf "$RUN_DIR"
    fi
  fi
  exit "$status"
}

require_environment() {
  case "$MODE" in
    bridge | passive | inline | policy | reload | fragments) ;;
    *)
      echo "usage: $0 bridge|passive|inline|policy|reload|fragments" >&2
      exit 2
      ;;
  esac
  [[ $(id -u) -eq 0 ]] || usage_skip "network namespaces need root"
  local tool
  for tool in ip tc ss ethtool nginx curl wrk socat ping sha256sum python3; do
    command -v "$tool" >/dev/null || usage_skip "$tool not found (appliance/install-deps.sh installs it)"
  done
  if [[ "$MODE" == fragments ]]; then
    command -v dumpcap >/dev/null ||
      usage_skip "dumpcap not found (appliance/install-deps.sh installs it with tshark)"
  fi
  [[ "$MODE" == bridge ]] && return 0
  local variable
  for variable in SLUICE_CONTROL SLUICE_DATAPLANE; do
    [[ -x "${!variable:-}" ]] || {
      echo "$variable must name the binary for MODE=$MODE (got '${!variable:-}')" >&2
      exit 2
    }
  done
  local dataplane_mode=$MODE
  [[ "$MODE" == policy || "$MODE" == reload || "$MODE" == fragments ]] && dataplane_mode=inline
  sluice_supports "$dataplane_mode" ||
    usage_skip "sluice-dataplane --help does not mention mode $dataplane_mode"
  RULES_FILE=
  if sluice_supports --rules; then
    RULES_FILE=${SLUICE_RULES:-$INLINE_DIR/rules.yaml}
  elif [[ "$MODE" == policy || "$MODE" == reload ]]; then
    usage_skip "sluice-dataplane --help does not mention --rules, which every $MODE check needs"
  fi
}

# --- traffic and checks, the same in every mode -------------------------------------------------

# Sends one request from the client namespace. Sets CURL_STATUS (exit code) and HTTP_CODE, and
# writes the body to `output`.
client_request() {
  local output=$1
  shift
  HTTP_CODE=$(ns_client curl -sS -m 10 -o "$output" -w '%{http_code}' "$@" 2>>"$RUN_DIR/curl.err")
  CURL_STATUS=$?
}

# True when the server namespace has no established TCP connection on port 80 within 3 s.
server_has_no_connection() {
  local tries=30
  while ((tries-- > 0)); do
    ns_server ss -Htn state established "( sport = :80 )" | grep -q . || return 0
    sleep 0.1
  done
  return 1
}

# True when the last client_request ended the way a block ends it: a reset (curl 56), an empty
# reply (curl 52) or the configured block status.
request_was_blocked() {
  [[ $CURL_STATUS -eq 56 || $CURL_STATUS -eq 52 ]] && return 0
  [[ $CURL_STATUS -eq 0 && "$HTTP_CODE" == "$BLOCK_STATUS" ]]
}

# True when Sluice runs inline with rules, so that the admin delete calls must be blocked.
expect_block() { [[ "$RUN_MODE" == inline && -n "${RULES_FILE:-}" ]]; }

check_api() {
  local id body="$RUN_DIR/body"
  for id in "${USER_IDS[@]}"; do
    client_request "$body" "http://$SERVER_IP/api/v1/users/$id"
    cmp -s "$body" "$SERVER_DIR/www/users/$id.json"
    check $? "$RUN_MODE: GET /api/v1/users/$id returns the file (curl $CURL_STATUS, HTTP $HTTP_CODE)"
  done

  client_request "$body" "http://$SERVER_IP/big"
  local digest
  digest=$(sha256sum "$body" | cut -d' ' -f1)
  [[ $CURL_STATUS -eq 0 && "$digest" == "$BIG_SHA256" ]]
  check $? "$RUN_MODE: GET /big ($BIG_FILE_MIB MiB) has the server's SHA-256 (curl $CURL_STATUS)"

  client_request "$body" -X POST -H 'Content-Type: application/json' \
    --data '{"item":"widget","quantity":2}' "http://$SERVER_IP/api/v1/orders"
  [[ "$HTTP_CODE" == 201 && "$(cat "$body")" == "$ORDER_BODY" ]]
  check $? "$RUN_MODE: POST /api/v1/orders returns 201 and its body (HTTP $HTTP_CODE)"
}

check_ping_and_udp() {
  ns_client ping -c 3 -i 0.2 -W 2 -q "$SERVER_IP" >"$RUN_DIR/ping.out" 2>&1
  check $? "$RUN_MODE: ping $SERVER_IP, 3 of 3 replies"

  local token reply ok=0
  for token in first second third; do
    reply=$(echo "udp-$token" | ns_client socat -T 2 - "UDP4:$SERVER_IP:$UDP_ECHO_PORT" 2>&1)
    [[ "$reply" == "udp-$token" ]] || ok=1
  done
  check $ok "$RUN_MODE: UDP echo, 3 of 3 datagrams returned"
}

check_blocked_probe() {
  local url="/admin/delete?probe=1"
  client_request "$RUN_DIR/body" -X DELETE "http://$SERVER_IP$url"
  if ! expect_block; then
    [[ "$HTTP_CODE" == 200 ]]
    check $? "$RUN_MODE: DELETE $url passes unblocked (HTTP $HTTP_CODE)"
    return
  fi
  request_was_blocked
  check $? "$RUN_MODE: DELETE $url is blocked (curl $CURL_STATUS, HTTP $HTTP_CODE)"
  [[ $(server_log_count "$url") -eq 0 ]]
  check $? "$RUN_MODE: DELETE $url never reached nginx"
  server_has_no_connection
  check $? "$RUN_MODE: server has no connection left after the block"
}

# Runs wrk against LOAD_URL for LOAD_SECONDS, paced by paced.lua, while one admin delete call a second runs beside it.
# Sets LOAD_REQUESTS to the responses wrk counted.
check_load() {
  SLUICE_LOAD_DELAY_MS=$LOAD_DELAY_MS ip netns exec "$NS_CLIENT" wrk -t 1 -c 4 --timeout 10s \
    -d "${LOAD_SECONDS}s" -s "$INLINE_DIR/paced.lua" "http://$SERVER_IP$LOAD_URL" \
    >"$RUN_DIR/wrk.out" 2>&1 &
  local wrk_pid=$! n outcomes=()
  for ((n = 1; n < LOAD_SECONDS + 1; n++)); do
    sleep 1
    client_request "$RUN_DIR/body" -X DELETE "http://$SERVER_IP/admin/delete?n=$n"
    if expect_block; then
      request_was_blocked && outcomes+=(blocked) || outcomes+=("curl-$CURL_STATUS/HTTP-$HTTP_CODE")
    else
      [[ "$HTTP_CODE" == 200 ]] && outcomes+=(passed) || outcomes+=("HTTP-$HTTP_CODE")
    fi
  done
  wait "$wrk_pid"
  local wrk_status=$?

  LOAD_REQUESTS=$(awk '/requests in/ {print $1}' "$RUN_DIR/wrk.out")
  LOAD_REQUESTS=${LOAD_REQUESTS:-0}
  local summary
  summary=$(grep -E 'requests in|Non-2xx|Socket errors' "$RUN_DIR/wrk.out" | tr -s ' \n' ' ')
  [[ $wrk_status -eq 0 && $LOAD_REQUESTS -gt 0 ]] &&
    ! grep -qE 'Non-2xx or 3xx responses|Socket errors' "$RUN_DIR/wrk.out"
  check $? "$RUN_MODE: wrk ${LOAD_SECONDS}s load, no errors ($summary)"

  local expected=passed
  expect_block && expected=blocked
  local unexpected
  unexpected=$(printf '%s\n' "${outcomes[@]}" | grep -vcx "$expected")
  [[ ${#outcomes[@]} -eq $LOAD_SECONDS && $unexpected -eq 0 ]]
  check $? "$RUN_MODE: one admin delete a second during load, $expected every time" \
    "(${outcomes[*]})"
  if expect_block; then
    [[ $(server_log_count "/admin/delete") -eq 0 ]]
    check $? "$RUN_MODE: no admin delete call in nginx's access log"
  fi
}

run_traffic() {
  check_ping_and_udp
  check_api
  check_blocked_probe
  check_load
}

# --- one run per appliance setup -----------------------------------------------------------------

check_records() {
  local dir=$1
  local -a arguments=(check "$dir/records.jsonl" --mode "$RUN_MODE" --load-url "$LOAD_URL"
    --load-requests "$LOAD_REQUESTS" --block-status "$BLOCK_STATUS" --stats "$dir/stats.json")
  [[ -n "${RULES_FILE:-}" ]] && arguments+=(--rules)
  count_python_checks python3 "$INLINE_DIR/records.py" "${arguments[@]}"
}

# Runs a checker that prints PASS/FAIL lines itself and adds its lines to the totals.
count_python_checks() {
  local output
  output=$("$@" 2>&1)
  echo "$output"
  PASSED=$((PASSED + $(grep -c '^PASS:' <<<"$output")))
  FAILED=$((FAILED + $(grep -c '^FAIL:' <<<"$output")))
  if ! grep -qE '^(PASS|FAIL):' <<<"$output"; then
    fail "$(basename "$2") $3 produced no check"
  fi
}

stop_sluice_and_check() {
  local dir=$1
  sluice_stop
  [[ "$DATAPLANE_STATUS" == 0 ]]
  check $? "$RUN_MODE: sluice-dataplane exits 0 on SIGINT (exit $DATAPLANE_STATUS)"
  [[ "$CONTROL_STATUS" == 0 ]]
  check $? "$RUN_MODE: sluice-control exits 0 on SIGTERM (exit $CONTROL_STATUS)"
  if [[ "$DATAPLANE_STATUS" != 0 ]]; then
    echo "--- sluice-dataplane log (last 20 lines)"
    tail -n 20 "$dir/dataplane.log"
  fi
  check_records "$dir"
}

run_bridge() {
  RUN_MODE=bridge
  netns_bridge_up || return 1
  run_traffic
  netns_bridge_down
}

run_passive() {
  RUN_MODE=passive
  netns_bridge_up || return 1
  netns_mirror_up || return 1
  if ! sluice_start passive "$RUN_DIR/passive" "[\"net_af_packet0,iface=$MIRROR_IF\"]"; then
    fail "passive: Sluice did not start"
    return 1
  fi
  run_traffic
  stop_sluice_and_check "$RUN_DIR/passive"
  netns_mirror_down
  netns_bridge_down
}

# Waits up to 20 s until ping gets through the appliance, which shows that Sluice forwards.
wait_forwarding() {
  local tries=20
  while ((tries-- > 0)); do
    ns_client ping -c 1 -W 1 -q "$SERVER_IP" >/dev/null 2>&1 && return 0
  done
  return 1
}

run_inline() {
  RUN_MODE=inline
  local ports="[\"net_af_packet0,iface=$APPL_A\", \"net_af_packet1,iface=$APPL_B\"]"
  if ! sluice_start inline "$RUN_DIR/inline" "$ports"; then
    fail "inline: Sluice did not start"
    return 1
  fi
  if ! wait_forwarding; then
    fail "inline: no ping got through Sluice within 20 s"
    tail -n 20 "$RUN_DIR/inline/dataplane.log"
    sluice_stop
    return 1
  fi
  run_traffic
  stop_sluice_and_check "$RUN_DIR/inline"
  # The passive run checks nginx's log for its own requests only, so the log starts empty again.
  : >"$SERVER_DIR/access.log"

  run_passive || return 1
  count_python_checks python3 "$INLINE_DIR/records.py" compare \
    "$RUN_DIR/inline/records.jsonl" "$RUN_DIR/passive/records.jsonl" --load-url "$LOAD_URL"
}

main() {
  require_environment
  RUN_DIR=$(mktemp -d /tmp/sluice-inline.XXXXXX) || exit 1
  SERVER_DIR="$RUN_DIR/server"
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  echo "run-inline-tests: mode $MODE, namespaces *-$NETNS_ID, files in $RUN_DIR," \
    "rules: ${RULES_FILE:-none}"
  if ! netns_setup; then
    fail "$MODE: network namespaces could not be set up"
  elif ! server_prepare "$INLINE_DIR" || ! server_start; then
    fail "$MODE: nginx or the UDP echo did not start"
  else
    "run_$MODE" || fail "$MODE: setup of the run failed (see the messages above)"
  fi
  if [[ "$MODE" != bridge && -z "${RULES_FILE:-}" ]]; then
    skip "$MODE: rule checks (sluice-dataplane --help does not mention --rules)"
  fi

  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}

main

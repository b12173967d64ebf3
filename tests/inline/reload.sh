# Live rule reload checks, sourced by run-inline-tests.sh after netns.sh, server.sh, sluice.sh and
# policy.sh, and run by its mode `reload`. One inline run of Sluice under paced wrk load, with
# files under RUN_DIR/reload. The rule file starts as rules-reload-a.yaml and is overwritten in
# place before each SIGHUP:
#   a       rule 8001 tags user 1, no block rule: the admin delete call passes
#   b       rule 8002 blocks admin delete, 8003 tags user 2, 8004 blocks a probe header. A
#           transaction whose request line arrived before the switch finishes on rule set a.
#   broken  a bad regex (8007) and an unknown field (8008): the reload fails and b stays in force
# Uses the driver's check, pass, fail, client_request, request_was_blocked and
# count_python_checks, and policy.sh's policy_start, policy_stop, stats_value and stats_holds.

RELOAD_LOAD_SECONDS=20
RELOAD_BLOCKED_CALLS=4
RELOAD_HEADER=X-Reload-Probe

# Prints the current time as seconds since the epoch with nanoseconds, the epoch and unit of the
# records' @timestamp.
reload_now() { date +%s.%N; }

# Sends SIGHUP to the data plane and waits up to 10 s for a log line matching `pattern` that was
# not in the log before. Sets RELOAD_SENT_AT and RELOAD_SEEN_AT (reload_now before the signal and
# after the line appeared).
reload_signal() {
  local dir=$1 pattern=$2
  local before
  before=$(grep -cE -- "$pattern" "$dir/dataplane.log")
  RELOAD_SENT_AT=$(reload_now)
  kill -HUP "$DATAPLANE_PID" || return 1
  local tries=100
  while ((tries-- > 0)); do
    if [[ $(grep -cE -- "$pattern" "$dir/dataplane.log") -gt $before ]]; then
      RELOAD_SEEN_AT=$(reload_now)
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Starts one request from the client namespace over a raw TCP connection and sends `head` at
# once, then `tail` when the file `go` exists (at most 20 s later). Writes the whole response to
# `output`. Sets OPEN_PID. A background job has to call `ip netns exec` itself (see netns.sh).
reload_open_request() {
  local head=$1 tail=$2 go=$3 output=$4
  ip netns exec "$NS_CLIENT" bash -c '
    exec 3<>"/dev/tcp/$1/80" || exit 1
    printf "%b" "$2" >&3
    for ((i = 0; i < 200; i++)); do [[ -e "$4" ]] && break; sleep 0.1; done
    printf "%b" "$3" >&3
    timeout 10 cat <&3' reload-open "$SERVER_IP" "$head" "$tail" "$go" >"$output" 2>>"$RUN_DIR/curl.err" &
  OPEN_PID=$!
}

# Checks one admin delete call that rule 8002 must block: a reset or empty reply, and no line in
# nginx's access log.
reload_check_blocked() {
  local url=$1
  client_request "$RUN_DIR/body" -X DELETE "http://$SERVER_IP$url"
  request_was_blocked
  check $? "$RUN_MODE: DELETE $url is blocked (curl $CURL_STATUS, HTTP $HTTP_CODE)"
  [[ $(server_log_count "$url") -eq 0 ]]
  check $? "$RUN_MODE: DELETE $url never reached nginx"
}

# GETs user `id` and checks that the body is the server's file.
reload_check_user() {
  local id=$1 query=$2
  client_request "$RUN_DIR/body" "http://$SERVER_IP/api/v1/users/$id?$query"
  cmp -s "$RUN_DIR/body" "$SERVER_DIR/www/users/$id.json"
  check $? "$RUN_MODE: GET /api/v1/users/$id?$query returns the file (curl $CURL_STATUS, HTTP $HTTP_CODE)"
}

# Rule set a: the admin delete call passes, and an open transaction begins before the switch.
reload_phase_a() {
  local dir=$1 url="/admin/delete?phase=a"
  client_request "$RUN_DIR/body" -X DELETE "http://$SERVER_IP$url"
  [[ $CURL_STATUS -eq 0 && "$HTTP_CODE" == 200 && $(server_log_count "$url") -eq 1 ]]
  check $? "$RUN_MODE: rules a: DELETE $url passes to nginx (curl $CURL_STATUS, HTTP $HTTP_CODE)"
  reload_check_user 1 phase=a

  # The request line, which begins the transaction, goes out now. The probe header that rule
  # 8004 blocks follows after the switch, so the call passes only if it stays on rule set a.
  rm -f "$dir/open.go"
  reload_open_request "GET /api/v1/users/1?phase=open HTTP/1.1\r\nHost: $SERVER_IP\r\n" \
    "$RELOAD_HEADER: after-switch\r\nConnection: close\r\n\r\n" "$dir/open.go" "$dir/open.out"
  sleep 0.5
}

# Rule set b, loaded by SIGHUP: every admin delete call after the switch is blocked.
reload_phase_b() {
  local dir=$1
  cp "$INLINE_DIR/rules-reload-b.yaml" "$RULES_FILE"
  reload_signal "$dir" "reloaded [0-9]+ rule\(s\) from $RULES_FILE"
  check $? "$RUN_MODE: SIGHUP logs 'reloaded ... from $RULES_FILE' within 10 s"
  HUP_B_SENT_AT=$RELOAD_SENT_AT
  HUP_B_SEEN_AT=${RELOAD_SEEN_AT:-$(reload_now)}
  grep -qF "reloaded 3 rule(s) from $RULES_FILE" "$dir/dataplane.log"
  check $? "$RUN_MODE: the reload counts the 3 rules of rule set b" \
    "($(grep -o 'reloaded [0-9]* rule(s)' "$dir/dataplane.log" | tail -n 1))"

  touch "$dir/open.go"
  wait "$OPEN_PID"
  local open_status=$?
  [[ $open_status -eq 0 ]] && head -n 1 "$dir/open.out" | grep -q '^HTTP/1.1 200' &&
    tail -n 1 "$dir/open.out" | cmp -s - "$SERVER_DIR/www/users/1.json"
  check $? "$RUN_MODE: transaction begun before the switch finishes on rule set a" \
    "(exit $open_status, $(head -n 1 "$dir/open.out" | tr -d '\r'))"

  local n
  for ((n = 1; n <= RELOAD_BLOCKED_CALLS; n++)); do
    reload_check_blocked "/admin/delete?phase=b&n=$n"
    sleep 0.3
  done
  reload_check_user 1 phase=b
  reload_check_user 2 phase=b
  local url="/api/v1/users/3?phase=b"
  client_request "$RUN_DIR/body" -H "$RELOAD_HEADER: after-switch" "http://$SERVER_IP$url"
  request_was_blocked
  check $? "$RUN_MODE: GET $url with the probe header is blocked by rule 8004" \
    "(curl $CURL_STATUS, HTTP $HTTP_CODE)"
}

# A broken rule file: the reload fails, names both bad rules, and rule set b stays in force.
reload_phase_broken() {
  local dir=$1
  cp "$INLINE_DIR/rules-reload-broken.yaml" "$RULES_FILE"
  reload_signal "$dir" "error: reload of $RULES_FILE failed, old rules stay in force:"
  check $? "$RUN_MODE: SIGHUP with a broken file logs 'reload of $RULES_FILE failed' within 10 s"
  # The data plane writes the failure with one fprintf, and the pause lets all of it reach the log.
  sleep 0.2
  local failure
  failure=$(sed -n "/reload of ${RULES_FILE//\//\\/} failed/,\$p" "$dir/dataplane.log")
  grep -qE "rule 8007: pattern .*Hyperscan" <<<"$failure"
  check $? "$RUN_MODE: the failure names rule 8007 and its bad regex"
  grep -qE "rule 8008: unknown field 'http.request.colour'" <<<"$failure"
  check $? "$RUN_MODE: the failure names rule 8008 and its unknown field"
  [[ $(grep -c "reloaded [0-9]* rule(s)" "$dir/dataplane.log") -eq 1 ]]
  check $? "$RUN_MODE: the broken file is not reported as reloaded"
  echo "--- failure as logged"
  echo "$failure"

  local n
  for ((n = 1; n <= RELOAD_BLOCKED_CALLS; n++)); do
    reload_check_blocked "/admin/delete?phase=broken&n=$n"
    sleep 0.3
  done
  reload_check_user 2 phase=broken
}

# Checks that wrk ran through every phase and saw no socket error and no non-2xx response. Sets
# RELOAD_LOAD_REQUESTS.
reload_check_load() {
  local dir=$1 wrk_pid=$2
  kill -0 "$wrk_pid" 2>/dev/null
  check $? "$RUN_MODE: wrk load still ran after the last phase"
  wait "$wrk_pid"
  local wrk_status=$? summary
  RELOAD_LOAD_REQUESTS=$(awk '/requests in/ {print $1}' "$dir/wrk.out")
  RELOAD_LOAD_REQUESTS=${RELOAD_LOAD_REQUESTS:-0}
  summary=$(grep -E 'requests in|Non-2xx|Socket errors' "$dir/wrk.out" | tr -s ' \n' ' ')
  [[ $wrk_status -eq 0 && $RELOAD_LOAD_REQUESTS -gt 0 ]] &&
    ! grep -qE 'Non-2xx or 3xx responses|Socket errors' "$dir/wrk.out"
  check $? "$RUN_MODE: wrk ${RELOAD_LOAD_SECONDS}s paced load across both reloads, no errors ($summary)"
}

# Checks the end summary: nothing lost that the data plane counts.
reload_check_stats() {
  local stats="$1/stats.json" key value
  for key in tx_dropped records_dropped; do
    value=$(stats_value "$stats" "$key")
    stats_holds "$value" "VALUE == 0"
    check $? "$RUN_MODE: stats count no $key ($key $value)"
  done
  local sent acknowledged
  sent=$(stats_value "$stats" records_sent)
  acknowledged=$(stats_value "$stats" records_acknowledged)
  stats_holds "$sent" "VALUE > 0" && stats_holds "$acknowledged" "VALUE == $sent"
  check $? "$RUN_MODE: every record sent was acknowledged" \
    "(records_sent $sent, records_acknowledged $acknowledged)"
  local blocked_flows expected=$((2 * RELOAD_BLOCKED_CALLS + 1))
  blocked_flows=$(stats_value "$stats" blocked_flows)
  stats_holds "$blocked_flows" "VALUE == $expected"
  check $? "$RUN_MODE: stats count one blocked connection per blocked call" \
    "(blocked_flows $blocked_flows, expected $expected)"
}

reload_check_records() {
  local dir=$1 n
  local -a arguments=(reload "$dir/records.jsonl" --label "$RUN_MODE" --load-url "$LOAD_URL"
    --load-requests "$RELOAD_LOAD_REQUESTS" --switch-after "$HUP_B_SENT_AT"
    --switch-before "$HUP_B_SEEN_AT" --old-rule 8001
    --call GET /api/v1/users/1?phase=a tag +8001
    --call DELETE /admin/delete?phase=a pass -8002
    --call GET /api/v1/users/1?phase=open tag +8001,-8004
    --call GET /api/v1/users/1?phase=b pass -8001
    --call GET /api/v1/users/2?phase=b tag +8003
    --call GET /api/v1/users/3?phase=b block +8004
    --call GET /api/v1/users/2?phase=broken tag +8003,-8006)
  for ((n = 1; n <= RELOAD_BLOCKED_CALLS; n++)); do
    arguments+=(--call DELETE "/admin/delete?phase=b&n=$n" block +8002)
    arguments+=(--call DELETE "/admin/delete?phase=broken&n=$n" block +8002,-8007)
  done
  count_python_checks python3 "$INLINE_DIR/records.py" "${arguments[@]}"
}

run_reload() {
  local dir="$RUN_DIR/reload"
  RUN_MODE=reload
  DATAPLANE_EXTRA_CONFIG=
  mkdir -p "$dir" || return 1
  # sluice-dataplane reads this copy on every SIGHUP; the files beside this script stay untouched.
  RULES_FILE="$dir/rules.yaml"
  cp "$INLINE_DIR/rules-reload-a.yaml" "$RULES_FILE" || return 1
  policy_start "$dir" || return 1

  SLUICE_LOAD_DELAY_MS=$LOAD_DELAY_MS ip netns exec "$NS_CLIENT" wrk -t 1 -c 4 --timeout 10s \
    -d "${RELOAD_LOAD_SECONDS}s" -s "$INLINE_DIR/paced.lua" "http://$SERVER_IP$LOAD_URL" \
    >"$dir/wrk.out" 2>&1 &
  local wrk_pid=$!
  sleep 1

  reload_phase_a "$dir"
  reload_phase_b "$dir"
  reload_phase_broken "$dir"
  reload_check_load "$dir" "$wrk_pid"

  policy_stop "$dir"
  reload_check_stats "$dir"
  reload_check_records "$dir"
}

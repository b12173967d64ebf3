# IP fragment checks, sourced by run-inline-tests.sh after netns.sh, server.sh, sluice.sh and
# policy.sh, and run by its mode `fragments`. The client sends fragmented ICMP echoes and one
# fragmented UDP datagram to the server while dumpcap records the client's and the server's veth.
# fragments.py then checks that every fragment arrived as it was sent, in both directions.
# The traffic crosses a Linux bridge first, as a baseline for the harness, and then Sluice
# inline twice, on net_pcap and on net_af_packet vdevs. Each inline run's --stats-json must count
# the fragments and the datagrams that Sluice reassembled for inspection.
# Uses the driver's check, fail, wait_forwarding and count_python_checks, and policy.sh's
# policy_stop.

FRAGMENT_PING_BYTES=4000
FRAGMENT_PING_COUNT=3
FRAGMENT_UDP_BYTES=5000
# Each fragment carries at most 1480 bytes of IP payload at MTU 1500 (20 bytes of IPv4 header).
FRAGMENT_PAYLOAD_BYTES=1480

# Prints how many fragments carry an IP payload of `bytes` bytes.
fragments_per_datagram() {
  local bytes=$1
  echo $(((bytes + FRAGMENT_PAYLOAD_BYTES - 1) / FRAGMENT_PAYLOAD_BYTES))
}

# Prints how many fragments each direction carries: the ICMP echoes and their replies (8-byte
# ICMP header) plus the UDP datagram and its echo (8-byte UDP header).
fragments_expected() {
  local icmp udp
  icmp=$(fragments_per_datagram $((FRAGMENT_PING_BYTES + 8)))
  udp=$(fragments_per_datagram $((FRAGMENT_UDP_BYTES + 8)))
  echo $((FRAGMENT_PING_COUNT * icmp + udp))
}

# Starts dumpcap on `interface` in `namespace`, writing classic pcap to `file`, and waits up to
# 5 s until it captures. Sets CAPTURE_PID. A background job has to call `ip netns exec` itself
# (see netns.sh).
fragments_capture_start() {
  local namespace=$1 interface=$2 file=$3
  ip netns exec "$namespace" dumpcap -P -i "$interface" -w "$file" >"$file.log" 2>&1 &
  CAPTURE_PID=$!
  if ! sluice_wait_log "$file.log" "Capturing on" "$CAPTURE_PID" 5; then
    echo "fragments: dumpcap on $interface in $namespace did not start; its log:" >&2
    cat "$file.log" >&2
    return 1
  fi
}

# Stops dumpcap `pid` with SIGINT, which makes it write out what it still buffers.
fragments_capture_stop() {
  local pid=$1
  kill -INT "$pid" 2>/dev/null
  if ! sluice_wait_exit "$pid" 10; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
}

# Sends the fragmented traffic while both veths are captured into `dir`: ping with DF off, so
# that the client's kernel fragments each echo, and one UDP datagram to the server's echo.
fragments_traffic() {
  local dir=$1
  mkdir -p "$dir" || return 1
  fragments_capture_start "$NS_CLIENT" "$CLIENT_IF" "$dir/client.pcap" || return 1
  local client_capture=$CAPTURE_PID
  if ! fragments_capture_start "$NS_SERVER" "$SERVER_IF" "$dir/server.pcap"; then
    fragments_capture_stop "$client_capture"
    return 1
  fi
  local server_capture=$CAPTURE_PID

  ns_client ping -s "$FRAGMENT_PING_BYTES" -c "$FRAGMENT_PING_COUNT" -i 0.2 -W 2 -M dont -q \
    "$SERVER_IP" >"$dir/ping.out" 2>&1
  local ping_status=$? summary
  summary=$(grep -E 'packets transmitted' "$dir/ping.out")
  [[ $ping_status -eq 0 ]] && grep -q " $FRAGMENT_PING_COUNT received" <<<"$summary"
  check $? "$RUN_MODE: ping -s $FRAGMENT_PING_BYTES -M dont, $FRAGMENT_PING_COUNT of" \
    "$FRAGMENT_PING_COUNT replies ($summary)"

  local output
  output=$(ns_client python3 "$INLINE_DIR/fragments.py" udp-echo "$SERVER_IP" "$UDP_ECHO_PORT" \
    "$FRAGMENT_UDP_BYTES" 2>&1)
  check $? "$RUN_MODE: UDP echo of $FRAGMENT_UDP_BYTES bytes returns the same bytes ($output)"

  # The last reply has reached the client. The pause lets both dumpcaps read the last frames
  # from their sockets before SIGINT stops them.
  sleep 0.5
  fragments_capture_stop "$client_capture"
  fragments_capture_stop "$server_capture"
}

# Compares the captures in `dir`, and the fragment counters in `stats` when it is given.
fragments_compare() {
  local dir=$1 stats=${2:-}
  local -a arguments=(compare "$dir/client.pcap" "$dir/server.pcap" --label "$RUN_MODE"
    --client-ip "$CLIENT_IP" --server-ip "$SERVER_IP" --expected-fragments "$(fragments_expected)")
  [[ -n "$stats" ]] && arguments+=(--stats "$stats")
  count_python_checks python3 "$INLINE_DIR/fragments.py" "${arguments[@]}"
}

# Starts Sluice inline on the vdevs `ports` (a YAML flow list) with its files under `dir`, and
# waits until a ping gets through.
fragments_start_inline() {
  local dir=$1 ports=$2
  if ! sluice_start inline "$dir" "$ports"; then
    fail "$RUN_MODE: Sluice did not start"
    return 1
  fi
  if ! wait_forwarding; then
    fail "$RUN_MODE: no ping got through Sluice within 20 s"
    tail -n 20 "$dir/dataplane.log"
    sluice_stop
    return 1
  fi
}

# Runs the fragment traffic through Sluice inline on the vdevs `ports` and checks the captures
# and the data plane's fragment counters.
fragments_run_inline() {
  local dir=$1 ports=$2
  fragments_start_inline "$dir" "$ports" || return 1
  if ! fragments_traffic "$dir"; then
    policy_stop "$dir"
    return 1
  fi
  policy_stop "$dir"
  fragments_compare "$dir" "$dir/stats.json"
}

run_fragments() {
  RUN_MODE=fragments-bridge
  netns_bridge_up || return 1
  if ! wait_forwarding; then
    fail "$RUN_MODE: no ping got through the bridge within 20 s"
    return 1
  fi
  fragments_traffic "$RUN_DIR/fragments-bridge" || return 1
  netns_bridge_down
  fragments_compare "$RUN_DIR/fragments-bridge"

  # net_pcap reads the veths through libpcap, which hands every fragment to Sluice as it was on
  # the wire, so this run checks Sluice's own fragment handling.
  RUN_MODE=fragments-pcap
  fragments_run_inline "$RUN_DIR/$RUN_MODE" \
    "[\"net_pcap0,iface=$APPL_A\", \"net_pcap1,iface=$APPL_B\"]" || return 1

  # net_af_packet is the vdev that the other inline modes use.
  # NOTE: DPDK 22.11's net_af_packet joins every socket to a PACKET_FANOUT group with
  # PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles IPv4 fragments before Sluice receives
  # them. A reassembled datagram above the 2048-byte ring frame arrives truncated and never
  # reaches the other side, so this run's checks fail on that PMD.
  # The run is kept, behind SLUICE_FRAGMENTS_AF_PACKET=1, to see when a DPDK release changes this.
  if [[ ${SLUICE_FRAGMENTS_AF_PACKET:-0} == 1 ]]; then
    RUN_MODE=fragments-af-packet
    fragments_run_inline "$RUN_DIR/$RUN_MODE" \
      "[\"net_af_packet0,iface=$APPL_A\", \"net_af_packet1,iface=$APPL_B\"]"
  else
    echo "NOTE: net_af_packet run skipped: the kernel reassembles fragments for it (set SLUICE_FRAGMENTS_AF_PACKET=1)"
  fi
}

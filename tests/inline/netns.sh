# Network namespaces for the inline and passive tests. Sourced by run-inline-tests.sh, not run.
#
# Topology (every interface lives in a namespace made here, none in the host's own namespace):
#
#   client ns                  appliance ns                     server ns
#   eth0 198.18.1.2/24 <-veth-> appl-a   [Sluice or br0]   appl-b <-veth-> eth0 198.18.1.3/24
#
# Client and server share one subnet: the appliance is a layer 2 bump in the wire, so appl-a and
# appl-b carry no addresses. 198.18.0.0/15 is the benchmarking range (RFC 2544); netns_check_host
# refuses to start when the host itself uses any of it.
#
# Every name carries NETNS_ID (the driver's PID by default), so parallel or crashed runs never
# collide, and netns_teardown removes only what this run made.

NETNS_ID=${NETNS_ID:-$$}
NS_CLIENT="sluice-client-${NETNS_ID}"
NS_APPLIANCE="sluice-appl-${NETNS_ID}"
NS_SERVER="sluice-server-${NETNS_ID}"
CLIENT_IP=198.18.1.2
SERVER_IP=198.18.1.3
CLIENT_IF=eth0
SERVER_IF=eth0
APPL_A=appl-a
APPL_B=appl-b
MIRROR_IF=mirror0
MIRROR_PEER=mirror-tx

# Runs a command in a namespace. A background job must call `ip netns exec` itself instead:
# `&` on a shell function forks a subshell, and $! would then be that subshell, not the command.
ns_client() { ip netns exec "$NS_CLIENT" "$@"; }
ns_server() { ip netns exec "$NS_SERVER" "$@"; }
ns_appliance() { ip netns exec "$NS_APPLIANCE" "$@"; }

# Fails when the host has an address or a route inside 198.18.0.0/15: then the test could reach
# a real network, and it must not run.
netns_check_host() {
  if ip -4 addr show | grep -Eq 'inet 198\.(18|19)\.'; then
    echo "netns: the host has an address in 198.18.0.0/15; stopping before any traffic" >&2
    return 1
  fi
  if ip -4 route show | grep -Eq '^198\.(18|19)\.'; then
    echo "netns: the host has a route into 198.18.0.0/15; stopping before any traffic" >&2
    return 1
  fi
}

# Turns off checksum and segmentation offloads, so that every packet on the wire carries a real
# checksum and has at most MTU size, as it would on a physical link.
netns_disable_offloads() {
  local namespace=$1 interface=$2
  ip netns exec "$namespace" ethtool -K "$interface" tx off rx off gso off tso off gro off \
    >/dev/null 2>&1 || {
    echo "netns: ethtool -K $interface failed in $namespace" >&2
    return 1
  }
}

# Keeps IPv6 router solicitations and duplicate address detection off the wire, so that the
# appliance receives only the traffic that the checks send.
netns_disable_ipv6() {
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# Creates a veth pair with one end in each namespace. The pair is made inside `left_ns` with
# its peer placed straight into `right_ns`, so no end ever appears in the host's namespace.
netns_add_pair() {
  local left_ns=$1 left_name=$2 right_ns=$3 right_name=$4
  ip netns exec "$left_ns" ip link add "$left_name" type veth peer name "$right_name" \
    netns "$right_ns"
}

# Creates the three namespaces and the two veth pairs, all links up, MTU 1500, no address on the
# appliance ports.
netns_setup() {
  netns_check_host || return 1
  local namespace
  for namespace in "$NS_CLIENT" "$NS_APPLIANCE" "$NS_SERVER"; do
    ip netns add "$namespace" || return 1
    netns_disable_ipv6 "$namespace" || return 1
    ip netns exec "$namespace" ip link set lo up || return 1
  done

  netns_add_pair "$NS_CLIENT" "$CLIENT_IF" "$NS_APPLIANCE" "$APPL_A" || return 1
  netns_add_pair "$NS_APPLIANCE" "$APPL_B" "$NS_SERVER" "$SERVER_IF" || return 1

  ns_client ip addr add "${CLIENT_IP}/24" dev "$CLIENT_IF" || return 1
  ns_server ip addr add "${SERVER_IP}/24" dev "$SERVER_IF" || return 1
  local pair
  for pair in "$NS_CLIENT:$CLIENT_IF" "$NS_SERVER:$SERVER_IF" "$NS_APPLIANCE:$APPL_A" \
              "$NS_APPLIANCE:$APPL_B"; do
    ip netns exec "${pair%%:*}" ip link set "${pair#*:}" mtu 1500 up || return 1
    netns_disable_offloads "${pair%%:*}" "${pair#*:}" || return 1
  done
}

# The Linux bridge stand-in for Sluice: forwards every frame between appl-a and appl-b.
netns_bridge_up() {
  ns_appliance ip link add br0 type bridge || return 1
  # Forward at once instead of after the default 15 s of STP listening and learning.
  ns_appliance ip link set br0 type bridge forward_delay 0 stp_state 0 || return 1
  ns_appliance ip link set "$APPL_A" master br0 || return 1
  ns_appliance ip link set "$APPL_B" master br0 || return 1
  ns_appliance ip link set br0 up
}

netns_bridge_down() {
  ns_appliance ip link del br0 2>/dev/null || true
}

# Copies every frame that enters appl-a or appl-b (both directions of every connection) to the
# veth mirror-tx, so that it arrives on mirror0 as received traffic. A veth pair is used instead
# of a dummy device because a dummy discards what it sends, and a receive-side capture on it
# would see nothing.
netns_mirror_up() {
  ns_appliance ip link add "$MIRROR_PEER" type veth peer name "$MIRROR_IF" || return 1
  local interface
  for interface in "$MIRROR_PEER" "$MIRROR_IF"; do
    ns_appliance ip link set "$interface" mtu 1500 up || return 1
    netns_disable_offloads "$NS_APPLIANCE" "$interface" || return 1
  done
  for interface in "$APPL_A" "$APPL_B"; do
    ns_appliance tc qdisc add dev "$interface" ingress || return 1
    # u32 with an empty match takes every frame. It is used instead of matchall because some
    # kernels are built without CONFIG_NET_CLS_MATCHALL but with u32.
    ns_appliance tc filter add dev "$interface" parent ffff: protocol all u32 match u32 0 0 \
      action mirred egress mirror dev "$MIRROR_PEER" || return 1
  done
}

netns_mirror_down() {
  local interface
  for interface in "$APPL_A" "$APPL_B"; do
    ns_appliance tc qdisc del dev "$interface" ingress 2>/dev/null || true
  done
  ns_appliance ip link del "$MIRROR_PEER" 2>/dev/null || true
}

# Kills every process still running in this run's namespaces, then deletes the namespaces, which
# also deletes their veth ends. Safe to call twice and after a partial setup.
netns_teardown() {
  local namespace pid
  for namespace in "$NS_CLIENT" "$NS_APPLIANCE" "$NS_SERVER"; do
    [[ -e "/var/run/netns/$namespace" ]] || continue
    for pid in $(ip netns pids "$namespace" 2>/dev/null); do
      kill -TERM "$pid" 2>/dev/null || true
    done
  done
  sleep 0.5
  for namespace in "$NS_CLIENT" "$NS_APPLIANCE" "$NS_SERVER"; do
    [[ -e "/var/run/netns/$namespace" ]] || continue
    for pid in $(ip netns pids "$namespace" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns del "$namespace" 2>/dev/null || true
  done
}

#!/usr/bin/env bash
# Installs every Debian 12 package Sluice needs to build, test and run. Non-interactive; safe to
# run again (apt-get skips what is installed). Needs root.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: run as root (sudo $0)" >&2
  exit 2
fi

packages=(
  # build
  build-essential pkg-config meson ninja-build clang libclang-rt-14-dev
  # data plane and control plane libraries
  libdpdk-dev dpdk libhyperscan-dev libssl-dev flatbuffers-compiler libflatbuffers-dev
  libzmq3-dev cppzmq-dev libpcap-dev libyaml-cpp-dev libcli11-dev rapidjson-dev
  # forensic store: index and segment compression
  libsqlite3-dev libzstd-dev
  # tests and benchmarks. dpdk-dev has dpdk-testpmd, the floor of perf/run-all.sh, which Debian
  # 12's dpdk package lacks.
  libgtest-dev libgmock-dev libbenchmark-dev libhttp-parser-dev tshark dpdk-dev
  # renders the HTML scope report headless in control_forensics_scope_chromium
  chromium
  # tools the scripts use
  iproute2 procps python3 zlib1g-dev
  # network-namespace inline and passive tests (tests/inline)
  nginx wrk curl ethtool iputils-ping socat
)

export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps.sh: installing ${#missing[@]} packages: ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps.sh: done"

#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to records: installs the packages, builds Sluice,
# starts sluice-control, analyses the shipped sample capture with sluice-dataplane and prints
# what came out. Needs root (package install). Usage: appliance/quickstart.sh [CAPTURE]
set -euo pipefail
cd "$(dirname "$0")/.."

capture=${1:-samples/api-sample.pcap}
out=${SLUICE_OUT:-/tmp/sluice-quickstart}
port=${SLUICE_PORT:-7750}

# Checked before anything is installed, built or deleted, so the error is the last line printed.
if [[ ! -f "$capture" || ! -r "$capture" ]]; then
  echo "quickstart: cannot read the capture '$capture'; give the path of a pcap or pcapng file" >&2
  exit 2
fi

appliance/install-deps.sh
if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release -Db_ndebug=false >/dev/null
fi
echo "quickstart: building (about 7 minutes on two idle cores the first time)"
ninja -C build >/dev/null

mkdir -p "$out"
rm -f "$out/records.jsonl" "$out/records.jsonl.delivery"
rm -rf "$out/store" "$out/store-signing.pem" "$out/store-signing.pem.pub"
build/control/sluice-control --listen "tcp://127.0.0.1:$port" --jsonl "$out/records.jsonl" \
  --store "$out/store" 2> "$out/control.log" &
control_pid=$!
trap 'kill "$control_pid" 2>/dev/null || true' EXIT
sleep 0.5

echo "quickstart: analysing $capture"
status=0
build/dataplane/app/sluice-dataplane --pcap "$capture" --control "tcp://127.0.0.1:$port" || status=$?
kill -TERM "$control_pid"
wait "$control_pid" || true
trap - EXIT
echo
echo "sluice-control log ($out/control.log):"
sed 's/^/  /' "$out/control.log"
echo
echo "records in $out/records.jsonl:"
echo "  transactions: $(grep -c '"record_type":"transaction"' "$out/records.jsonl" || true)"
echo "  flows:        $(grep -c '"record_type":"flow"' "$out/records.jsonl" || true)"
echo "  first transaction:"
grep -m 1 '"record_type":"transaction"' "$out/records.jsonl" | sed 's/^/    /' || true
echo
echo "sluice-control has stopped. To query the store with sluicectl, see \"sluicectl\" in README.md."
exit "$status"

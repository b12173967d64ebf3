#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs packages, builds, runs the unit and integration
# suites, the benchmarks in smoke mode, the same suites under AddressSanitizer and
# UndefinedBehaviorSanitizer, and each fuzzer for a bounded time. Needs root (packages,
# network namespaces). Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=${SLUICE_FUZZ_SECONDS:-60}
passed=0
failed=0
failures=()
failed_tests=()

step() {  # step NAME COMMAND...: runs one step and counts it
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

# Counts meson's per-test results into the totals, so the closing line counts tests, not steps.
meson_suite() {  # meson_suite BUILD_DIR SUITE...
  local dir=$1
  shift
  local args=()
  for suite in "$@"; do args+=(--suite "$suite"); done
  meson test -C "$dir" "${args[@]}" --print-errorlogs --num-processes 2 2>&1 | tee "$dir/suite.log"
  local ok fail
  ok=$(grep -E '^Ok:' "$dir/suite.log" | awk '{print $2}' | tail -1)
  fail=$(grep -E '^Fail:' "$dir/suite.log" | awk '{print $2}' | tail -1)
  timeout=$(grep -E '^Timeout:' "$dir/suite.log" | awk '{print $2}' | tail -1)
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0} + ${timeout:-0}))
  if [[ ${fail:-0} -ne 0 || ${timeout:-0} -ne 0 || -z "$ok" ]]; then
    failures+=("$dir: $*")
    # The names of the failed tests, so that the closing lines say which ones.
    while read -r name; do
      failed_tests+=("$dir/$name")
    done < <(grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT) ' "$dir/suite.log" |
               sed -E 's/^ *[0-9]+\/[0-9]+ +[^ ]+ \/ ([^ ]+) .*/\1/' | sort -u)
  fi
}

# The end of a failed test's log, from meson's test log.
print_failed_test() {  # print_failed_test BUILD_DIR/TEST_NAME
  local dir=${1%%/*} name=${1#*/}
  echo "--- last lines of $1"
  python3 - "$dir/meson-logs/testlog.json" "$name" <<'PY' || true
import json, sys
path, name = sys.argv[1], sys.argv[2]
for line in open(path, encoding="utf-8", errors="replace"):
    entry = json.loads(line)
    if entry.get("name", "").split(" / ")[-1] == name and entry.get("result") != "OK":
        text = (entry.get("stdout") or "") + (entry.get("stderr") or "")
        print("\n".join(text.splitlines()[-40:]))
PY
}

fuzz_quietly() {  # fuzz_quietly LOG FUZZER ARGS...: runs a fuzzer, shows the end of its output
  local log=$1
  shift
  "$@" >"$log" 2>&1
  local status=$?
  grep -vE '^#[0-9]+|^ *"' "$log" | tail -n 25
  return $status
}

appliance/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=debugoptimized >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
step "build" ninja -C build
meson_suite build unit integration perf

if [[ ${SLUICE_SKIP_SANITIZERS:-0} != 1 ]]; then
  if [[ ! -f build-asan/build.ninja ]]; then
    meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbenchmarks=false >/dev/null
  fi
  step "build with sanitizers" ninja -C build-asan
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson_suite build-asan unit integration
fi

if [[ ${SLUICE_SKIP_FUZZ:-0} != 1 ]]; then
  if [[ ! -f build-fuzz/build.ninja ]]; then
    CXX=clang++ CC=clang meson setup build-fuzz --buildtype=debugoptimized -Dfuzzers=true \
      -Dtests=true -Dbenchmarks=false >/dev/null
  fi
  fuzz_names=(packet_decoder_fuzz reassembly_fuzz http_parser_fuzz detect_inputs_fuzz pii_finder_fuzz)
  step "build fuzzers" ninja -C build-fuzz "${fuzz_names[@]/#/tests/fuzz/}"
  for fuzzer in "${fuzz_names[@]/#/build-fuzz/tests/fuzz/}"; do
    [[ -x "$fuzzer" ]] || continue
    name=$(basename "$fuzzer")
    seeds="tests/fuzz/seeds/${name%_fuzz}"
    mkdir -p "build-fuzz/corpus-$name"
    seed_dirs=("build-fuzz/corpus-$name")
    [[ -d "$seeds" ]] && seed_dirs+=("$seeds")
    # libFuzzer prints a line per new input; that goes to a file, and only its end is shown.
    step "fuzz $name for ${fuzz_seconds}s" fuzz_quietly "build-fuzz/$name.log" "$fuzzer" \
      -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=1 "${seed_dirs[@]}"
  done
fi

echo
if [[ ${#failures[@]} -gt 0 ]]; then
  for test in "${failed_tests[@]}"; do print_failed_test "$test"; done
  printf 'failed: %s\n' "${failures[@]}"
  [[ ${#failed_tests[@]} -gt 0 ]] && printf 'failed test: %s\n' "${failed_tests[@]}"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

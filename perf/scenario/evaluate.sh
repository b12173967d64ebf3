#!/usr/bin/env bash
# Prints the detector score table (precision, recall, calls before detection) for the tuning or
# the evaluation cases of the detectors_eval test, ready to paste into docs/detectors.md.
#
# Usage: perf/scenario/evaluate.sh [evaluation|tuning] [BUILD_DIR]
# BUILD_DIR defaults to build/ (meson setup build --buildtype=debugoptimized).
set -uo pipefail
cd "$(dirname "$0")/../.."

cases=${1:-evaluation}
build=${2:-build}
if [[ $cases != evaluation && $cases != tuning ]]; then
  echo "evaluate.sh: unknown case set '$cases'; use evaluation or tuning" >&2
  exit 2
fi
if [[ ! -f $build/build.ninja ]]; then
  echo "evaluate.sh: $build is not a meson build directory; run: meson setup $build" >&2
  exit 2
fi

ninja -C "$build" -j2 tests/integration/detectors_eval_test perf/scenario/sluice-gen-scenario \
  dataplane/app/sluice-dataplane control/sluice-control >/dev/null || exit 2

table=$(mktemp /tmp/sluice-detectors-table.XXXXXX)
trap 'rm -f "$table"' EXIT
SLUICE_DETECTORS_CASES=$cases SLUICE_DETECTORS_TABLE=$table \
  meson test -C "$build" --suite detectors detectors_eval --print-errorlogs >"$build/detectors-eval.log" 2>&1
status=$?
cat "$table"
if [[ $status -ne 0 ]]; then
  echo
  echo "detectors_eval failed (missed attacks, flagged benign clients or a worker disagreement);"
  echo "details in $build/detectors-eval.log"
fi
exit $status

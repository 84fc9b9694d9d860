#!/usr/bin/env bash
# ctest: `cmake --install` of this build into a temporary prefix gives a ptbench that lists and
# runs a filtered benchmark from another directory, writing into that directory's results/runs
# and recording the run in its results/history.sqlite.
set -euo pipefail
build_dir=$1
prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
cd "$work"
"$prefix/bin/ptbench" list --filter 'Floor/clock_read' | grep -q '^BM_Floor/clock_read/'
"$prefix/bin/ptbench" run --filter 'Floor/clock_read' --repetitions 1 --min-time 0.001 >/dev/null
run=$(ls -d "$work"/results/runs/*/)
test -s "$run/summary.csv"
grep -q 'BM_Floor/clock_read' "$run/summary.csv"
# The run is in the history the run recorded it in, once.
test -s "$work/results/history.sqlite"
"$prefix/bin/ptbench" history list | grep -q ' quick '
"$prefix/bin/ptbench" history import "$run" | grep -q 'imported 0 run(s), 1 already there'
echo "installed ptbench listed and ran from $work"

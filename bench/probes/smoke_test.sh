#!/bin/sh
# The probes as ctest runs them: a short run prints one number and exits 0; bad arguments exit 2
# with a usage line. Usage: smoke_test.sh DIR (where the ptbench_probe_* programs are).
set -u
dir=$1
failed=0

# The command must exit 0 and print one non-negative number as its last line.
prints_number() {
  out=$("$@" 2>/dev/null)
  rc=$?
  last=$(printf '%s\n' "$out" | tail -n 1)
  if [ $rc -ne 0 ] || ! printf '%s' "$last" | grep -Eq '^[0-9]+(\.[0-9]+)?$'; then
    echo "FAIL: $* exited $rc and printed '$last', not a number"
    failed=1
  fi
}

# The command must exit 2 (bad input).
refuses() {
  "$@" >/dev/null 2>&1
  rc=$?
  if [ $rc -ne 2 ]; then
    echo "FAIL: $* exited $rc, not 2"
    failed=1
  fi
}

prints_number "$dir/ptbench_probe_inflight" -1 -1 64 8
prints_number "$dir/ptbench_probe_inflight" -1 -1 1 1
prints_number "$dir/ptbench_probe_inflight" -1 -1 512 60
prints_number "$dir/ptbench_probe_inflight" -1 -1 64 8 25
prints_number "$dir/ptbench_probe_ring" -1 -1 stream
prints_number "$dir/ptbench_probe_pipe" -1 -1 thread
prints_number "$dir/ptbench_probe_pipe" -1 -1 thread-unshared
prints_number "$dir/ptbench_probe_unix_stream" -1 -1
prints_number "$dir/ptbench_probe_ring" -1 -1 stream 5
refuses "$dir/ptbench_probe_ring" -1 -1 stream x
refuses "$dir/ptbench_probe_ring" -1 -1 stream -1
refuses "$dir/ptbench_probe_ring" -1 -1 stream ""
refuses "$dir/ptbench_probe_ring" -1 -1 stream 5 6
refuses "$dir/ptbench_probe_ring" -1 -1 flood
refuses "$dir/ptbench_probe_pipe" -1 -1 threads
refuses "$dir/ptbench_probe_pipe" -1 -1 thread 1
refuses "$dir/ptbench_probe_pipe" -1 -1 thread-shared
refuses "$dir/ptbench_probe_inflight" -1 -1 8 9
refuses "$dir/ptbench_probe_inflight" -1 -1 513 8
refuses "$dir/ptbench_probe_inflight" -1 -1 64 61
refuses "$dir/ptbench_probe_inflight" -1 -1 8
refuses "$dir/ptbench_probe_inflight" -1 -1 8 8 -1
refuses "$dir/ptbench_probe_inflight" -1 -1 8 8 abc
refuses "$dir/ptbench_probe_inflight" -1 -1 8 8 1 1
exit $failed

#!/usr/bin/env bash
# `npm run test:stress`: the whole `npm test` while four busy-loop processes hog the CPU, as a
# loaded CI machine does (issue 11: suites that passed alone failed at load 15-20 on 2 cores).
# FLOTILLA_STRESS_RUNS (default 1) repeats it; FLOTILLA_STRESS_HOGS (default 4) sets the hogs.
# The hogs are stopped at the end whatever happens (failure, Ctrl-C), by their own pids.
set -uo pipefail

runs=${FLOTILLA_STRESS_RUNS:-1}
hogs=${FLOTILLA_STRESS_HOGS:-4}
HOG_PIDS=()
stop_hogs() {
  # Only the script itself: a hog's fork inherits the trap for the moment before its exec.
  [[ $BASHPID == "$$" ]] || return 0
  trap - EXIT INT TERM
  for pid in "${HOG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${HOG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  ((${#HOG_PIDS[@]} > 0)) && echo "[stress] stopped ${#HOG_PIDS[@]} CPU hogs"
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

for ((i = 0; i < hogs; i++)); do
  bash -c 'while :; do :; done' &
  HOG_PIDS+=($!)
done
echo "[stress] ${hogs} CPU hogs running (pids ${HOG_PIDS[*]}); npm test x ${runs}"

status=0
for ((run = 1; run <= runs; run++)); do
  started=$(date +%s)
  npm test
  status=$?
  echo "[stress] run ${run}/${runs}: npm test exited ${status} after $(($(date +%s) - started)) s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  ((status == 0)) || break
done
exit "$status"

#!/usr/bin/env bash
# CTest `slurm_executor` (label slurm): a sweep's units through a real one-node Slurm cluster, which
# with-local-cluster.sh starts around this script and stops afterwards (every daemon by PID).
# Usage: with-local-cluster.sh test_slurm_executor.sh RANKLAB_CLI
# Checks: the Slurm executor gives the local executor's per-unit accuracies (threads 1, same seeds); scancel of one
# running task leaves the others, status reports it and resubmit finishes only it; a failing unit is reported with
# its log; bad input (malformed --time, unknown partition, no sbatch on PATH) is one sentence and leaves nothing
# queued; a node that cannot see the workspace is named as such. (A time limit: test_slurm_time_limit.sh.)
set -euo pipefail
cli=$(readlink -f "$1")
work=$(mktemp -d /tmp/ranklab-slurm-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }
json() { "$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
common=(--model lenet5 --subset 300 --test-subset 100 --epochs 1 --batch-size 32 --lr 0.05 --size 0.5 --threads 1)
tiny=("${common[@]}" --layers all --seeds 2)

echo "== 1. Slurm and local executors give the same per-unit accuracies"
"$cli" sweep "${tiny[@]}" --executor slurm --wait --quiet --out "$work/slurm" > "$work/slurm.txt"
"$cli" sweep "${tiny[@]}" --quiet --out "$work/local" > /dev/null
for run in baseline baseline-seed2 layer-01 layer-01-seed2 layer-02 layer-02-seed2; do
  a=$(json "$work/slurm/$run/summary.json" "d['final_test_top1']")
  b=$(json "$work/local/$run/summary.json" "d['final_test_top1']")
  [ "$a" = "$b" ] || fail "$run: slurm $a, local $b"
done
grep -q "sensitivity table" "$work/slurm.txt" || fail "the --wait run printed no sensitivity table"
[ -f "$work/slurm/timing.json" ] || fail "the finished Slurm sweep has no timing.json"
ls "$work/slurm/slurm/logs/"unit-0.*.log > /dev/null || fail "no per-task log"

echo "== 2. scancel of one running task: the others finish, status reports it, resubmit finishes only it"
long=(--model lenet5 --subset 6000 --test-subset 200 --epochs 2 --batch-size 32 --lr 0.05 --layers all --size 0.5 --threads 1)
"$cli" sweep "${long[@]}" --executor slurm --max-concurrent 2 --quiet --out "$work/cancel" > /dev/null
task=""
for _ in $(seq 1 300); do
  "$cli" status --sweep "$work/cancel" --json > "$work/status.json"
  task=$(json "$work/status.json" "next((u['task'] for u in d['units'] if u['state']=='running'), '')")
  [ -n "$task" ] && break
  sleep 0.2
done
[ -n "$task" ] || fail "no unit ever ran"
scancel "$task"
for _ in $(seq 1 600); do
  "$cli" status --sweep "$work/cancel" --json > "$work/status.json"
  active=$(json "$work/status.json" "sum(u['state'] in ('running','pending') for u in d['units'])")
  [ "$active" = 0 ] && break
  sleep 0.5
done
[ "$active" = 0 ] || fail "units still queued after 5 minutes"
cancelled=$(json "$work/status.json" "[u['task'] for u in d['units'] if u['state']=='cancelled']")
done_count=$(json "$work/status.json" "d['counts'].get('done', 0)")
[ "$cancelled" = "['$task']" ] || fail "status lists cancelled $cancelled, expected ['$task']"
[ "$done_count" = 2 ] || fail "$done_count units done after the cancel, expected the other 2"
"$cli" resubmit --sweep "$work/cancel" --wait --quiet --json > "$work/resubmit.json"
[ "$(json "$work/cancel/slurm/jobs.json" "len(d['jobs'][1]['units'])")" = 1 ] || fail "resubmit sent more than the cancelled unit"
[ "$(json "$work/cancel/slurm/jobs.json" "d['jobs'][1]['options']['max_concurrent']")" = 2 ] || fail "resubmit lost the first submission's options"
"$cli" status --sweep "$work/cancel" > "$work/status.txt"
grep -q "3 units: 3 done" "$work/status.txt" || fail "after resubmit: $(cat "$work/status.txt")"

echo "== 3. a unit that fails is reported with its log"
printf '#!/bin/sh\necho "ranklab-cli: unknown option --bogus" >&2\nexit 2\n' > "$work/broken-cli"
chmod +x "$work/broken-cli"
set +e
"$cli" sweep "${common[@]}" --layers 1 --executor slurm --cli-path "$work/broken-cli" --wait --quiet --out "$work/broken" 2> "$work/broken.err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "a sweep whose units fail exited 0"
grep -q "did not finish" "$work/broken.err" || fail "no failure sentence: $(cat "$work/broken.err")"
grep -q "unknown option --bogus" "$work/broken.err" || fail "the failure does not quote the unit's log: $(cat "$work/broken.err")"
grep -q "log: .*unit-0" "$work/broken.err" || fail "the failure does not name the log: $(cat "$work/broken.err")"

echo "== 4. bad input: one sentence, nothing queued"
check_refused() { # expected-code pattern args...
  local code=$1 pattern=$2; shift 2
  set +e; "$cli" "$@" > /dev/null 2> "$work/err"; local rc=$?; set -e
  [ $rc -eq "$code" ] || fail "exit $rc, not $code, for $*: $(cat "$work/err")"
  grep -q "$pattern" "$work/err" || fail "no '$pattern' in: $(cat "$work/err")"
}
check_refused 2 "is not a Slurm time limit" sweep "${tiny[@]}" --executor slurm --time 2h --out "$work/bad-time"
[ ! -e "$work/bad-time/sweep.json" ] || fail "a malformed --time left a sweep folder behind"
check_refused 1 "sbatch refused the job array: .*[Pp]artition" sweep "${tiny[@]}" --executor slurm --partition nosuch --out "$work/bad-partition"
set +e
PATH=/nonexistent "$cli" sweep "${tiny[@]}" --executor slurm --out "$work/no-sbatch" > /dev/null 2> "$work/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "sbatch is not on PATH" "$work/err" || fail "without sbatch: exit $rc, $(cat "$work/err")"
queued=$(squeue -h | wc -l)
[ "$queued" = 0 ] || fail "$queued jobs left in the queue"

echo "== 5. a node that cannot see the workspace is named as such"
# Simulated on one machine: the start marker's folder is a file, so the task cannot leave its marker.
mkdir -p "$work/blind/slurm" && touch "$work/blind/slurm/started"
set +e
"$cli" sweep "${common[@]}" --layers 1 --executor slurm --wait --quiet --out "$work/blind" 2> "$work/blind.err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "a sweep whose nodes cannot see it exited 0"
grep -q "cannot see" "$work/blind.err" || fail "no 'cannot see' sentence: $(cat "$work/blind.err")"
for _ in $(seq 1 100); do [ "$(squeue -h | wc -l)" = 0 ] && break; sleep 0.2; done
queued=$(squeue -h -t PENDING,RUNNING | wc -l)
[ "$queued" = 0 ] || fail "$queued jobs left in the queue after the last checks"

echo "PASS"

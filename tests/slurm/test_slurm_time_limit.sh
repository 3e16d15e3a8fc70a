#!/usr/bin/env bash
# CTest `slurm_time_limit` (label slurm), run by with-local-cluster.sh: a unit killed by its time limit (--time) is
# reported as such by status ("hit its time limit"), keeps its checkpoint, and resubmitted with more time continues
# from its last epoch instead of starting over. About two minutes: Slurm counts limits in whole minutes.
# Usage: with-local-cluster.sh test_slurm_time_limit.sh RANKLAB_CLI
set -euo pipefail
cli=$(readlink -f "$1")
work=$(mktemp -d /tmp/ranklab-slurm-timeout.XXXXXX)
cleanup() { "$cli" cancel --sweep "$work/timeout" > /dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
py=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }
json() { "$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# A one-minute limit (Slurm counts whole minutes) enforced on slurmctld's ~30-second sweep; the unit would train for
# several minutes.
slow=(--model lenet5 --subset 1000 --test-subset 100 --epochs 2000 --batch-size 32 --lr 0.05 --size 0.5 --threads 1 --layers 1)
"$cli" sweep "${slow[@]}" --executor slurm --time 1 --max-concurrent 1 --quiet --out "$work/timeout" > /dev/null
reason=""
for _ in $(seq 1 300); do
  "$cli" status --sweep "$work/timeout" --json > "$work/status.json"
  reason=$(json "$work/status.json" "next((u['reason'] for u in d['units'] if u['slurm_state']=='TIMEOUT'), '')")
  [ -n "$reason" ] && break
  sleep 0.5
done
echo "$reason" | grep -q "hit its time limit" || fail "no unit reported as killed by its time limit: $(cat "$work/status.json")"
[ -f "$work/timeout/baseline/checkpoint.rlk" ] || [ -f "$work/timeout/baseline/summary.json" ] \
  || fail "the unit killed by its time limit kept no checkpoint"
"$cli" cancel --sweep "$work/timeout" > /dev/null
for _ in $(seq 1 100); do [ "$(squeue -h | wc -l)" = 0 ] && break; sleep 0.2; done
# Resubmitted with more time it continues from its last epoch instead of starting over.
"$cli" resubmit --sweep "$work/timeout" --time 30 --quiet > /dev/null
resumed() { cat "$work/timeout/slurm/logs/"unit-0.*.log 2>/dev/null | grep -q "resuming after epoch"; }
for _ in $(seq 1 200); do resumed && break; sleep 0.3; done
resumed || fail "the resubmitted unit did not resume from its checkpoint"
"$cli" cancel --sweep "$work/timeout" > /dev/null

echo "PASS"

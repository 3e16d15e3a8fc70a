#!/bin/bash
# Writes the fuzz seeds that come from real RankLab runs: tiny ranklab-cli train, sweep, proxy-sweep, spectrum
# and ron runs (a few hundred Fashion-MNIST images at 16×16, widths that keep every tensor tiny), then copies
# their files into tests/fuzz/corpus/<target>/. Usage: tests/fuzz/make_run_corpus.sh path/to/ranklab-cli
set -euo pipefail
cli=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
corpus=$here/corpus
work=$(mktemp -d /dev/shm/ranklab-run-corpus.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
small=(--dataset fashion-mnist --subset 256 --test-subset 128 --input-size 16 --threads 1 --quiet)
"$cli" train --model lenet5 --width 0.1 "${small[@]}" --epochs 2 --out "$work/train"
"$cli" sweep --model lenet5 --width 0.1 "${small[@]}" --epochs 1 --skip 1 --size 0.5 --layers 1-2 --out "$work/sweep"
"$cli" groups --model lenet5 --width 0.1 "${small[@]}" --epochs 1 --skip 1 --size 0.5 --group light=1 --out "$work/groups"
"$cli" proxy-sweep --model lenet5 --width 0.1 "${small[@]}" --epochs 1 --size 0.5 --layers 1-2 --out "$work/proxy"
"$cli" train --model lenet300 --width 0.05 "${small[@]}" --epochs 1 --out "$work/teacher"
"$cli" spectrum --model lenet300 --width 0.05 --dataset fashion-mnist --input-size 16 --weights "$work/teacher/model.rlk" \
    --layers 1-2 --samples 128 --out "$work/spectrum" --threads 1 --quiet
"$cli" ron --model lenet300 --width 0.05 "${small[@]}" --weights "$work/teacher/model.rlk" --layers 1-2 --samples 128 \
    --finetune-epochs 1 --held-out 64 --latency-repeats 1 --out "$work/ron" || true
"$cli" export --model lenet5 --width 0.1 --input-size 16 --in-channels 1 --weights "$work/train/model.rlk" --out "$work/export.pth"
ls -R "$work" >&2

put() { mkdir -p "$corpus/$1"; cp "$2" "$corpus/$1/$3"; }
for f in "$work"/train/*.rlk; do put fuzz_checkpoint "$f" "train-$(basename "$f")"; put fuzz_torch_zip "$f" "train-$(basename "$f")"; done
put fuzz_torch_zip "$work/export.pth" export.pth
put fuzz_metrics_csv "$work/train/metrics.csv" train-metrics.csv
put fuzz_metrics_csv "$work/teacher/metrics.csv" teacher-metrics.csv
for f in "$work"/train/*.json "$work"/sweep/*.json "$work"/spectrum/*.json "$work"/ron/*.json; do
    [[ -f "$f" ]] && put fuzz_json_object "$f" "$(basename "$(dirname "$f")")-$(basename "$f")"
done
sep=$'\n%%\n'
part() { if [[ -f "$1" ]]; then cat "$1"; else printf -- -; fi; }
# fuzz_sweep's layout: sweep.json, baseline/{summary,params}.json, layer-01/…, layer-02/…, group-light/…,
# proxy/baseline.json, proxy/layer-01.json, proxy/layer-02.json.
sweep_seed() {
    local d=$1 first=1
    for f in sweep.json baseline/summary.json baseline/params.json layer-01/summary.json layer-01/params.json \
             layer-02/summary.json layer-02/params.json group-light/summary.json group-light/params.json \
             proxy/baseline.json proxy/layer-01.json proxy/layer-02.json; do
        [[ $first == 1 ]] || printf '%s' "$sep"; first=0; part "$d/$f"
    done
}
mkdir -p "$corpus/fuzz_sweep" "$corpus/fuzz_workspace" "$corpus/fuzz_run_reports"
for s in sweep groups proxy; do [[ -f "$work/$s/sweep.json" ]] && sweep_seed "$work/$s" > "$corpus/fuzz_sweep/$s.seed"; done
{ part "$work/spectrum/spectrum.json"; printf '%s' "$sep"; part "$work/ron/report.json"; } > "$corpus/fuzz_run_reports/spectrum-report.seed"
# fuzz_workspace's layout: a-train/{params,run,summary}.json, b-sweep/{sweep,run,sensitivity}.json,
# c-spectrum/{run,spectrum}.json.
{ part "$work/train/params.json"; printf '%s' "$sep"; printf '{"kind": "train", "name": "lenet5", "created": "2026-01-01T00:00:00"}'
  printf '%s' "$sep"; part "$work/train/summary.json"; printf '%s' "$sep"; part "$work/sweep/sweep.json"; printf '%s' "$sep"
  printf '{"kind": "sweep", "name": "lenet5"}'; printf '%s' "$sep"; part "$work/sweep/sensitivity.json"; printf '%s' "$sep"
  printf '{"kind": "spectrum", "name": "lenet300"}'; printf '%s' "$sep"; part "$work/spectrum/spectrum.json"; } > "$corpus/fuzz_workspace/runs.seed"
/usr/bin/python3 "$here/make_corpus.py" "$work/export.pth" "$work/train/model.rlk" > /dev/null

#!/usr/bin/env bash
# Smoke version of a README walk-through (CTest label "smoke"): runs the shell block between
# "<!-- walkthrough:ID -->" and "<!-- /walkthrough:ID -->" in README.md exactly as written, in a scratch
# folder that sees the source tree's resources/, with ranklab-cli replaced by the built binary and every
# command shrunk to seconds: options the README line does not give itself are appended (subsets, one or
# two epochs, few samples). Command-line options win over a parameter file's, so the parameter files under
# resources/examples/ are read for real; a typo in the README, a renamed option or a broken example fails.
#
# usage: walkthrough_smoke.sh README CLI SOURCE_DIR ID
set -euo pipefail
readme=$1 cli=$2 src=$3 id=$4
block=$(awk -v id="$id" '
    $0 == "<!-- walkthrough:" id " -->" { inside = 1; next }
    $0 == "<!-- /walkthrough:" id " -->" { inside = 0 }
    inside && /^```/ { fence = !fence; next }
    inside && fence { print }' "$readme")
if [[ -z "$block" ]]; then
    echo "walkthrough_smoke: README has no walk-through block '$id'" >&2
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ranklab-walkthrough-$id.XXXXXX")
trap 'rm -rf "$work"' EXIT
ln -s "$src/resources" "$work/resources"
cd "$work"

# Prints, one per line, "--name [value]" for each smoke option the command line does not already give.
smoke_opts() {
    local cmd=$1; shift
    local -a given=("$@") extra=()
    add() { # add NAME [VALUE]: no VALUE for a flag
        local name=$1
        for a in "${given[@]}"; do [[ "$a" == "--$name" || "$a" == --$name=* ]] && return 0; done
        extra+=("--$name" "${@:2}")
    }
    case "$cmd" in
        train|basis-train|sweep)
            add subset 400; add test-subset 200; add epochs 2; add threads 1
            [[ "$cmd" != train ]] && add skip 1
            ;;
        spectrum) add samples 512; add threads 1 ;;
        # A two-epoch sweep on 400 images says little about time; model size always falls with basis
        # convs, so the smoke choice is never the empty set.
        pareto) add objective size; add max-drop 1 ;;
        ron) add samples 512; add finetune-epochs 1; add held-out 200; add latency-repeats 3; add threads 1; add subset 2000; add test-subset 500 ;;
        eval) add test-subset 500; add threads 1 ;;
    esac
    if [[ "$cmd" != eval ]]; then add quiet; fi
    printf '%s\n' "${extra[@]}"
}
ranklab-cli() {
    local cmd=$1; shift
    local -a extra=()
    mapfile -t extra < <(smoke_opts "$cmd" "$@")
    echo "+ ranklab-cli $cmd $* ${extra[*]}" >&2
    "$cli" "$cmd" "$@" "${extra[@]}"
}
eval "$block"
echo "walkthrough $id: every README command succeeded" >&2

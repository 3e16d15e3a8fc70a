#!/usr/bin/env bash
# Runs a command against a one-node Slurm cluster started for it (tests/slurm/local-cluster.sh) and stops the
# cluster afterwards, every daemon by PID, whatever the command's outcome. Usage: with-local-cluster.sh CMD [ARGS…]
# Exit: the command's status; 77 (skipped) only when slurm-wlm/munge are not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/ranklab-slurm-cluster.XXXXXX)
cleanup() { "$here/local-cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
set +e
"$here/local-cluster.sh" start "$work/cluster"
rc=$?
set -e
if [ $rc -eq 77 ]; then echo "SKIP: slurm-wlm/munge are not installed (packaging/install-deps.sh installs them)"; exit 77; fi
[ $rc -eq 0 ] || { echo "FAIL: the local cluster did not start"; exit 1; }
eval "$("$here/local-cluster.sh" env "$work/cluster")"
set +e
"$@"
rc=$?
set -e
exit $rc

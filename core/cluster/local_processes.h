#pragma once
// Public header (torch-free): the local executor with isolation. Each unit of a sweep runs as a child process of
// its own (`ranklab-cli sweep-unit`), a few at once, so that a unit that crashes — a segfault in a kernel, memory
// exhausted — ends only that unit, never the sweep or the desktop application that started it. The run folders and
// the completion contract are those of every other executor; the states are those of cluster::UnitStatus.

#include <atomic>
#include <functional>

#include "core/cluster/slurm.h"

namespace ranklab::cluster {

struct ProcessRunOptions {
    int workers = 1;  ///< units running at once
    int threads = 1;  ///< intra-op threads of each unit
    QString cli;      ///< ranklab-cli; empty: this machine's (beside the running binary, else on PATH)
};

/// Runs every unit of the sweep in `sweepDir` that is not done as `ranklab-cli sweep-unit --sweep DIR --unit N
/// --threads T`, `workers` at once, each one's output in DIR/units/logs/unit-N.log. A unit whose process fails
/// (non-zero exit, killed by a signal) is Failed with why and its log's last line; the others go on. `onChange`
/// is called with every unit's state after each start and end. When `cancel` is set every child gets SIGTERM (it
/// stops at its next batch and keeps its checkpoint, as ranklab-cli does on Ctrl-C), the units not started stay
/// Unsubmitted, and the call returns once all children have exited. Returns the final states.
QVector<UnitStatus> runUnitsInProcesses(const QString& sweepDir, const ProcessRunOptions& options,
                                        const std::function<void(const QVector<UnitStatus>&)>& onChange,
                                        const std::atomic_bool* cancel);

/// This machine's ranklab-cli: beside the running binary (ranklab or ranklab-cli), else on PATH.
QString localCli();

} // namespace ranklab::cluster

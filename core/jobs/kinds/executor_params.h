#pragma once
// Internal to core/jobs/kinds: where a kind with units (sweep, groups) runs them — this process (local) or a
// Slurm job array — and the Slurm options, declared once for the CLI, the GUI's forms and job.json. Torch-free.

#include "core/cluster/local_processes.h"
#include "core/cluster/slurm.h"
#include "core/jobs/job_kind.h"

namespace ranklab::kinds {

/// Where a whole job's unit stores its result (the text and report the CLI prints), in its run folder.
inline const QString kJobResultFile = QStringLiteral("units/result.json");

/// --executor local|processes|slurm, the Slurm options (group "cluster") and --wait.
void addExecutorParams(ParamSchema& schema);
/// The Slurm options as given (checked: OptionError for a malformed --time, …).
cluster::SlurmOptions slurmOptionsFrom(const Params& params);

/// The units' states as `status` prints them: one line per unfinished unit and a count per state.
QString unitStatesText(const QVector<cluster::UnitStatus>& states);
/// {"units": [{"id", "label", "run_dir", "state", "task", "slurm_state", "log", "reason"}], "counts": {state: n}}.
QJsonObject unitStatesJson(const QVector<cluster::UnitStatus>& states);

/// Submits the sweep's unfinished units to Slurm and, with `wait`, polls until none is queued or running,
/// reporting progress (finished units / all) through `context`; then finishes the sweep (finishSweep) when every
/// unit is done. Throws Error listing the failed units (with their logs) when --wait ends with failures.
JobResult runOnSlurm(const cluster::SlurmOptions& options, bool wait, JobContext& context, const QString& sweepDir, const QString& command);

/// Runs the sweep's unfinished units as child processes (cluster::runUnitsInProcesses), reporting their states and
/// progress through `context`, then finishes the sweep. Throws Error naming each failed unit with its log; a cancel
/// stops every child at its next batch (resumable).
JobResult runInProcesses(const cluster::ProcessRunOptions& options, JobContext& context, const QString& sweepDir, const QString& command);

/// `kind` with the executor options: --executor local runs it as before; processes and slurm run the whole job as one
/// unit (ranklab-cli sweep-unit on its run folder, which re-reads its job.json there) in a child process or a Slurm
/// task. For kinds with a run folder and no units of their own.
JobKind runsAnywhere(JobKind kind);

} // namespace ranklab::kinds

#pragma once
// Public header (torch-free): the Slurm executor of a sweep's units. One `sbatch --array` job array per
// submission, one task per unit, each task running `ranklab-cli sweep-unit` on its unit; the run folders,
// the completion contract (a unit is done when its summary.json exists), resume and the plots are those of
// a local sweep. States come from `squeue --json` (Slurm ≥ 22.05) and the folder, never from sacct (it needs
// a database daemon that small clusters lack). Every Slurm command runs through QProcess with this process's
// environment (SLURM_CONF included).

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include "core/search/sweep.h"

namespace ranklab::cluster {

/// The cluster settings of a submission; stored with it (slurm/jobs.json) so a resubmission reuses them.
struct SlurmOptions {
    QString partition;       ///< --partition; empty: the cluster's default partition
    QString account;         ///< --account
    QString qos;             ///< --qos
    QString time;            ///< --time per task: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS; empty: the partition's
    int cpusPerTask = 1;     ///< --cpus-per-task, also the unit's intra-op threads
    QString mem;             ///< --mem per task, e.g. 4G; empty: the cluster's default
    QString gres;            ///< --gres per task, e.g. gpu:1
    QStringList extraLines;  ///< more "#SBATCH …" directives, written verbatim (the "#SBATCH " prefix added if missing)
    QString cli;             ///< ranklab-cli on the nodes; empty: this machine's ranklab-cli (a shared install)
    int maxConcurrent = 0;   ///< K of --array=0-N%K: tasks running at once; 0: as many as Slurm gives
};

QJsonObject toJson(const SlurmOptions& options);
SlurmOptions slurmOptionsFromJson(const QJsonObject& json);

/// Throws ranklab::OptionError with one sentence for a malformed --time, a CPU count below 1, a negative
/// --max-concurrent or a directive that is not one line.
void checkSlurmOptions(const SlurmOptions& options);

/// The batch script of one submission: `units` of the sweep in `sweepDir` (absolute), task i running unit
/// units[i]. Shown in README so admins can read what RankLab submits.
QString batchScript(const SlurmOptions& options, const QString& sweepDir, const QVector<search::SweepUnit>& units);

/// One job array submitted for a sweep.
struct Submission {
    QString jobId;           ///< the array's job id (sbatch --parsable)
    QVector<int> units;      ///< task i runs unit units[i]
    QString script;          ///< relative to the sweep folder: slurm/array-N.sh
    QString submitted;       ///< ISO 8601 time of submission
    SlurmOptions options;
};

/// Writes the batch script into sweepDir/slurm/, submits it with sbatch and records the submission in
/// sweepDir/slurm/jobs.json (written atomically). Throws ranklab::Error with one sentence when sbatch is not on
/// PATH or refuses the job (its own message, e.g. an unknown partition); nothing is recorded then.
Submission submitUnits(const SlurmOptions& options, const QString& sweepDir, const QVector<search::SweepUnit>& units);
/// The submissions recorded in sweepDir/slurm/jobs.json, oldest first (empty when there are none).
QVector<Submission> submissions(const QString& sweepDir);

enum class UnitState {
    Done,        ///< its summary.json exists
    Pending,     ///< queued
    Running,     ///< running on a node
    Failed,      ///< ended without finishing: non-zero exit, time limit, node failure, or gone from the queue
    Cancelled,   ///< cancelled (scancel) or preempted before it finished
    Unsubmitted, ///< never handed to Slurm
};
/// "done", "pending", "running", "failed", "cancelled", "unsubmitted".
QString unitStateName(UnitState state);

struct UnitStatus {
    search::SweepUnit unit;
    UnitState state = UnitState::Unsubmitted;
    QString task;            ///< "JOBID_TASK" of its latest submission; empty when never submitted
    QString slurmState;      ///< what squeue said (e.g. TIMEOUT), empty when it is not in the queue
    QString log;             ///< its task's log file (absolute), empty before it started
    QString reason;          ///< for failed units, one sentence: why, and the log's last line
};

/// Every unit of the sweep in `sweepDir` with its state, from the folder and `squeue --json`. Throws
/// ranklab::Error with one sentence when squeue is missing or fails while units are still unfinished.
QVector<UnitStatus> unitStates(const QString& sweepDir);

/// Cancels (scancel) every recorded job array of the sweep that still has units queued or running; returns the
/// job ids cancelled. Finished units stay; the rest can be resubmitted.
QStringList cancelSweep(const QString& sweepDir);

/// Submits the units of `sweepDir` that are not done and not queued or running (failed, cancelled, never
/// submitted) as one new job array; none: an empty Submission (jobId empty).
Submission submitUnfinished(const SlurmOptions& options, const QString& sweepDir);

/// The last non-empty line of a unit's log file, without a tool's "name: error: " prefix ("" when missing).
QString logTail(const QString& path);

/// `sinfo` in one line ("partition debug: 1 node idle; …"); throws ranklab::Error with one sentence when
/// sinfo is missing or cannot reach the controller.
QString testConnection();

} // namespace ranklab::cluster

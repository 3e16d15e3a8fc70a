#pragma once
// The job-kind registry: every experiment RankLab runs (train, sweep, ron, eval, …) is one JobKind,
// declared once — id, title, help, parameter schema, the files that mark a run complete, and its runner —
// and registered in one place (registerBuiltinKinds() in core/jobs/builtin_kinds.cpp, like QGIS's
// addAlgorithm). The CLI's commands, the GUI's Jobs menu and forms, parameter files, job.json and
// re-runs all follow from it. Torch-free: the runners live in .cpp files.

#include <atomic>
#include <functional>

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include "core/jobs/params.h"
#include "core/train/train_params.h"

namespace ranklab {

/// How a job ended when it did not throw (a failure is a ranklab::Error with one sentence).
enum class JobOutcome { Completed, Cancelled };

/// What a runner returns.
struct JobResult {
    JobOutcome outcome = JobOutcome::Completed;
    QJsonObject report;  ///< the machine-readable result (`--json`, the GUI's views)
    QString text;        ///< the human-readable result, as the CLI prints it (tables, one-line summaries)
    QString runDir;      ///< where the job wrote its files (empty for kinds without a run folder)
    /// Cancelled: how to continue (e.g. "continue with --resume --out DIR").
    QString resumeHint;
    /// The CLI prints `text` even with --json (pareto --layers-only: just the layers, for scripts).
    bool plainOutput = false;
};

/// Handed to every runner: progress in the job's own terms, metric points, log lines, warnings and the
/// cancel request. The CLI prints them; the GUI's job forwards them as queued signals.
class JobContext {
public:
    virtual ~JobContext() = default;
    virtual void progress(const TrainProgress& progress) = 0;
    virtual void metrics(const EpochMetrics& metrics) = 0;
    virtual void log(const QString& line) = 0;
    /// Something the user should know about the result (a damaged run left out, …).
    virtual void warn(const QString& line) { log(QStringLiteral("warning: ") + line); }
    virtual bool isCancelled() const = 0;
    /// The same request as a flag, for the trainer's loops.
    virtual const std::atomic_bool* cancelFlag() const = 0;
    /// The states of the job's units whenever one changes (a sweep whose units run on Slurm: the object of
    /// kinds::unitStatesJson); the GUI's jobs panel lists them under the job.
    virtual void units(const QJsonObject& states) { Q_UNUSED(states) }
    /// True when whoever waits for the job stops watching (the GUI closes) while its units run elsewhere: a
    /// Slurm run then returns without cancelling its job array. Checked before isCancelled().
    virtual bool isDetached() const { return false; }

    /// Callbacks that forward the trainer's reports to this context.
    TrainCallbacks trainCallbacks();
};

/// A context that reports nothing and is never cancelled unless `cancel` is set (tests, probes).
class QuietJobContext final : public JobContext {
public:
    void progress(const TrainProgress&) override {}
    void metrics(const EpochMetrics&) override {}
    void log(const QString&) override {}
    bool isCancelled() const override { return cancel.load(); }
    const std::atomic_bool* cancelFlag() const override { return &cancel; }
    std::atomic_bool cancel{false};
};

struct JobKind {
    QString id;       ///< the CLI command word and the run folder's kind ("train", "ron", …)
    QString title;    ///< menu text ("Train", "Sensitivity sweep", …)
    QString menu;     ///< the Jobs submenu: "Training", "Basis convolutions", "Layer search", "Reduced order", "Model"
    QString summary;  ///< one line for `ranklab-cli --help`
    QString help;     ///< the paragraph of `ranklab-cli ID --help`
    ParamSchema schema;
    /// Files in the run folder that mark the run complete (any one of them).
    QStringList completionFiles;
    /// The parameter naming the run folder ("out"), empty for kinds that write none (info, cost, eval, …).
    /// The GUI creates a workspace run folder for it; `rerun` points it at a new folder.
    QString runFolderParam;
    /// The parameter that continues an interrupted run in the same folder ("resume"), if the kind has one.
    QString resumeParam;
    /// Parameters that take the model panel's checked layers in the GUI ("layers").
    QString layersParam;
    /// The parameter naming the starting / trained weights ("weights" or "init-weights"), if any.
    QString weightsParam;
    /// The work. Params are checked (Params::validate) before it is called; OptionError for values judged
    /// only now (exit 2 in the CLI), Error for failures.
    std::function<JobResult(const Params&, JobContext&)> run;

    /// Empty params of this kind (every value its default).
    Params params() const { return Params(id, &schema); }
};

/// The registry. Kinds are registered once, by registerBuiltinKinds(); lookups register them on first use.
class JobKinds final {
public:
    static void add(JobKind kind);
    static const JobKind* find(const QString& id);
    static QVector<const JobKind*> all();
};

/// Registers every kind RankLab ships (core/jobs/builtin_kinds.cpp). Idempotent.
void registerBuiltinKinds();

/// The job file of a run folder: job.json holds the kind and its parameters (a parameter file, so
/// `ranklab-cli ID --params RUN/job.json` works too).
QString jobFilePath(const QString& runDir);
/// Checks `params`, writes job.json into the run folder (kinds with one) and runs the kind.
JobResult runJob(const JobKind& kind, const Params& params, JobContext& context);
/// The parameters stored in `runDir`/job.json, with the run folder re-pointed to `newRunDir` (empty: the
/// same folder, resumed where the kind can). Throws Error naming the problem (no job.json, unknown kind).
Params readJob(const QString& runDir, const QString& newRunDir);

} // namespace ranklab

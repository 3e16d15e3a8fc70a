// `sweep` and `groups`: paper A's sensitivities — a baseline run plus one run per layer (sweep) or per
// named group of layers (groups) with basis convolutions there only (resumable).
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/jobs/kinds/basis_params.h"
#include "core/jobs/kinds/executor_params.h"
#include "core/jobs/kinds/sweep_common.h"
#include "core/search/sweep.h"
#include "core/search/sweep_plan.h"

namespace ranklab::kinds {

namespace {

JobKind trainedSweepKind(bool groups)
{
    JobKind k;
    if (groups) {
        k.id = QStringLiteral("groups");
        k.title = QStringLiteral("Group sensitivity");
        k.summary = QStringLiteral("sensitivity of named layer groups, e.g. light=1-5 heavy=16-20 (paper A)");
        k.help = QStringLiteral("Group sensitivity (paper A §3.2, Fig. 5): a baseline run plus one run per named group of layers with basis "
                                "convolutions in that group only. Resumable with --resume.");
    } else {
        k.id = QStringLiteral("sweep");
        k.title = QStringLiteral("Sensitivity sweep");
        k.summary = QStringLiteral("per-layer sensitivity sweep: one run per layer with basis convs (paper A, resumable)");
        k.help = QStringLiteral("Per-layer sensitivity sweep (paper A §3.2, §4.4, Fig. 9): a baseline run plus one run per layer with basis "
                                "convolutions in that layer only; per layer accuracy drop, training time and model size. Resumable with --resume.");
    }
    k.menu = QStringLiteral("Layer search");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    if (groups) {
        k.schema.typed(ParamType::Repeated, QStringLiteral("group"), QStringLiteral("NAME=LAYERS"),
                       QStringLiteral("a named group, e.g. light=1-5 (repeat the option for more groups)"));
    } else {
        k.schema.typed(ParamType::Layers, QStringLiteral("layers"), QStringLiteral("LIST"),
                       QStringLiteral("conv layers to sweep: all, indices 4,15, ranges 1-5, names"), QStringLiteral("all"));
        k.layersParam = QStringLiteral("layers");
    }
    addBasisParams(k.schema, true, QStringLiteral("qr"));
    k.schema
        .integer(QStringLiteral("skip"), QStringLiteral("EPOCHS"), QStringLiteral("epochs with basis convs before composing back (default: all epochs)"),
                 {}, 1, 100000)
        .integer(QStringLiteral("workers"), QStringLiteral("N"), QStringLiteral("runs trained at the same time; --threads is split between them"),
                 QStringLiteral("1"), 1, 256)
        .integer(QStringLiteral("seeds"), QStringLiteral("K"),
                 QStringLiteral("seeds per run: the baseline and every entry train K times (seed s paired with seed s), giving each drop "
                                "a 95% interval and the baseline's spread as the noise floor; a resume may raise K"),
                 QStringLiteral("1"), 1, 100);
    addTrainerParams(k.schema);
    addExecutorParams(k.schema);
    k.completionFiles = {QStringLiteral("sensitivity.json")};
    k.runFolderParam = QStringLiteral("out");
    k.resumeParam = QStringLiteral("resume");
    k.weightsParam = QStringLiteral("init-weights");
    k.run = [groups](const Params& p, JobContext& context) {
        const QString command = groups ? QStringLiteral("groups") : QStringLiteral("sweep");
        search::SweepParams params;
        params.train = trainParamsFrom(p);
        if (groups) {
            const QStringList texts = p.list(QStringLiteral("group"));
            if (texts.isEmpty())
                throw OptionError(QStringLiteral("give at least one --group NAME=LAYERS."));
            for (const QString& text : texts)
                params.groups.push_back(asOption([&] { return search::parseLayerGroup(text); }));
        } else {
            params.layers = p.value(QStringLiteral("layers"));
        }
        params.basis = basisSpecFrom(p, true);
        if (p.isSet(QStringLiteral("skip")))
            params.skipEpochs = p.intValue(QStringLiteral("skip"), 1, params.train.epochs);
        params.workers = p.intValue(QStringLiteral("workers"));
        params.seeds = p.intValue(QStringLiteral("seeds"));
        const QString out = p.required(QStringLiteral("out"));
        checkSweepResume(p, out);
        if (p.choice(QStringLiteral("executor")) == QLatin1String("slurm")) {
            // The units go to a Slurm job array; sweep.json is written (or checked) first, exactly as locally.
            const cluster::SlurmOptions options = slurmOptionsFrom(p); // a malformed option is refused before anything is written
            search::prepareSweep(params, out);
            return runOnSlurm(options, p.flag(QStringLiteral("wait")), context, out, command);
        }
        if (p.choice(QStringLiteral("executor")) == QLatin1String("processes")) {
            // Each unit in a child process of its own, --workers at once, --threads shared between them as runSweep does.
            search::prepareSweep(params, out);
            cluster::ProcessRunOptions options;
            options.workers = params.workers;
            options.threads = search::plan::threadShare(params.train.threads, params.workers);
            return runInProcesses(options, context, out, command);
        }
        const search::SweepResult sweep = search::runSweep(params, out, context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        if (context.isCancelled()) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("%1 cancelled; finished runs are kept, continue with the same options and --resume --out %2").arg(command, out);
            return result;
        }
        warnProblems(context, sweep);
        result.report = search::sensitivityJson(sweep);
        result.text = sensitivityTable(sweep);
        return result;
    };
    return k;
}

} // namespace

JobKind sweepKind()
{
    return trainedSweepKind(false);
}

JobKind groupsKind()
{
    return trainedSweepKind(true);
}

} // namespace ranklab::kinds

// `proxy-sweep`: a training-free proxy of the per-layer sweep — the baseline trained once, then one layer
// at a time replaced by its basis approximation and scored on held-out images (resumable).
#include <cmath>

#include "core/jobs/common_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/jobs/kinds/basis_params.h"
#include "core/train/layer_method.h"
#include "core/jobs/kinds/sweep_common.h"
#include "core/search/proxy_sweep.h"

namespace ranklab::kinds {

JobKind proxySweepKind()
{
    JobKind k;
    k.id = QStringLiteral("proxy-sweep");
    k.title = QStringLiteral("Proxy sweep (cheap sensitivity)");
    k.menu = QStringLiteral("Layer search");
    k.summary = QStringLiteral("cheap layer sensitivity from the trained baseline, basis convs or L1 pruning (Li et al.), same output format");
    k.help = QStringLiteral("Training-free proxy of the per-layer sweep (beyond paper A): trains the baseline once, then replaces one layer at a "
                            "time by its basis approximation (QR/SVD of the trained filters) — or, with --method prune, prunes its smallest-L1 filters "
                            "(Li et al. 2016's sensitivity analysis) — treats the changed network as --proxy says (nothing, BatchNorm recalibration, "
                            "the default, or a short fine-tune from the trained baseline) and measures its accuracy drop (what the sensitivity plot "
                            "and the front rank) and loss increase on the validation split (--val-subset) or held-out test images. "
                            "Same output format as sweep; --compare gives Spearman's rho against a full sweep.");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    k.schema.typed(ParamType::Layers, QStringLiteral("layers"), QStringLiteral("LIST"), QStringLiteral("conv layers to score: all, indices, ranges, names"),
                   QStringLiteral("all"));
    // The layer method swept (core/train/layer_method.h): basis convolutions (--size/--beta/--form/--init) or
    // L1 filter pruning (--ratio), Li et al. 2016's per-layer sensitivity analysis.
    k.schema.choice(QStringLiteral("method"), layerMethodIds(),
                    QStringLiteral("layer method: basis (basis convolutions, paper A) or prune (L1 filter pruning, Li et al. 2016)"),
                    QStringLiteral("basis"));
    addBasisParams(k.schema, true, QStringLiteral("svd"));
    ParamDecl size = *k.schema.find(QStringLiteral("size"));
    size.required = false; // only the basis method has a size
    size.help += QStringLiteral(" (method basis; required there)");
    k.schema.add(size);
    k.schema
        .number(QStringLiteral("ratio"), QStringLiteral("R"),
                QStringLiteral("method prune: fraction of a layer's filters removed (smallest L1 norms), in (0, 1)"), QStringLiteral("0.3"), 0, 1)
        .openEnds(true, true);
    k.schema.choice(QStringLiteral("proxy"), search::proxyModes(),
                    QStringLiteral("what is done to the changed network before it is scored: posthoc (nothing), bn (BatchNorm recalibration), "
                                   "finetune (a short fine-tune from the trained baseline, then recalibration), reinit (as finetune from a "
                                   "random basis layer); bn agreed best with a seeded sweep within 10% of its cost (README)"),
                    QStringLiteral("bn"));
    k.schema
        .number(QStringLiteral("finetune-epochs"), QStringLiteral("F"), QStringLiteral("proxy finetune/reinit: fraction of an epoch fine-tuned per layer"),
                QStringLiteral("0.25"), 0, 10)
        .openEnds(true, false);
    k.schema.number(QStringLiteral("finetune-lr"), QStringLiteral("LR"),
                    QStringLiteral("proxy finetune/reinit: learning rate of the fine-tune (0: a tenth of --lr)"), QStringLiteral("0"), 0, 100);
    k.schema.integer(QStringLiteral("recal-batches"), QStringLiteral("N"),
                     QStringLiteral("training batches that re-estimate BatchNorm statistics (proxy bn, and after a fine-tune)"), QStringLiteral("20"), 1,
                     100000);
    k.schema
        .integer(QStringLiteral("eval-images"), QStringLiteral("N"),
                 QStringLiteral("held-out test images scored per layer when there is no --val-subset (0: the whole test split or --test-subset)"),
                 QStringLiteral("1000"), 0, 100000000)
        .typed(ParamType::Dir, QStringLiteral("compare"), QStringLiteral("DIR"),
               QStringLiteral("a full sweep of the same layers: print Spearman's rho between the two"));
    addTrainerParams(k.schema);
    k.completionFiles = {QStringLiteral("sensitivity.json")};
    k.runFolderParam = QStringLiteral("out");
    k.resumeParam = QStringLiteral("resume");
    k.layersParam = QStringLiteral("layers");
    k.weightsParam = QStringLiteral("init-weights");
    k.run = [](const Params& p, JobContext& context) {
        search::ProxySweepParams params;
        params.train = trainParamsFrom(p);
        params.layers = p.value(QStringLiteral("layers"));
        params.method = p.choice(QStringLiteral("method"));
        if (params.method == QLatin1String("basis"))
            params.basis = basisSpecFrom(p, true);
        else
            params.methodOptions = QJsonObject{{QStringLiteral("ratio"), p.doubleValue(QStringLiteral("ratio"))}};
        params.evalImages = p.intValue(QStringLiteral("eval-images"));
        params.proxy = p.choice(QStringLiteral("proxy"));
        params.finetuneEpochs = p.doubleValue(QStringLiteral("finetune-epochs"));
        params.finetuneLr = p.doubleValue(QStringLiteral("finetune-lr"));
        params.recalBatches = p.intValue(QStringLiteral("recal-batches"));
        const QString out = p.required(QStringLiteral("out"));
        checkSweepResume(p, out);
        search::SweepResult compareWith;
        if (p.isSet(QStringLiteral("compare")))
            compareWith = search::loadSweep(p.value(QStringLiteral("compare")));
        const search::SweepResult sweep = search::runProxySweep(params, out, context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        if (context.isCancelled()) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("proxy-sweep cancelled; continue with the same options and --resume --out %1").arg(out);
            return result;
        }
        warnProblems(context, sweep);
        result.report = search::sensitivityJson(sweep);
        if (!compareWith.dir.isEmpty()) {
            const search::SensitivityAgreement a = search::compareSensitivities(sweep, compareWith);
            const auto number = [](double x) { return std::isfinite(x) ? QJsonValue(x) : QJsonValue(); };
            result.report.insert(QStringLiteral("compare"), QJsonObject{{QStringLiteral("sweep"), compareWith.dir},
                                                                        {QStringLiteral("common"), a.common},
                                                                        {QStringLiteral("spearman_acc_drop"), number(a.rhoDrop)},
                                                                        {QStringLiteral("spearman_score"), number(a.rhoScore)}});
            result.text = format("Spearman rho vs %s over %d layers: %.3f (proxy loss increase vs sweep acc drop), %.3f (proxy acc drop vs sweep acc drop, what the front ranks)\n",
                                 qPrintable(compareWith.dir), a.common, a.rhoScore, a.rhoDrop);
        }
        result.text += sensitivityTable(sweep);
        return result;
    };
    return k;
}

} // namespace ranklab::kinds

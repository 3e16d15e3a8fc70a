#include "core/basis/skip_training.h"

#include <chrono>

#include <QJsonArray>

#include "core/basis/basis_conv.h"
#include "core/basis/basis_surgery.h"
#include "core/error.h"
#include "core/io/weights.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/train/train_session.h"

namespace ranklab::basis {

namespace {
bool hasBasisConvs(nn::Layer& model)
{
    for (const auto& m : model.modules(/*include_self=*/false))
        if (dynamic_cast<const BasisConv2d*>(m.get()))
            return true;
    return false;
}

int64_t parameterCount(nn::Layer& model)
{
    int64_t n = 0;
    for (const auto& p : model.parameters())
        n += p.numel();
    return n;
}
} // namespace

QJsonObject toJson(const BasisTrainParams& params)
{
    return QJsonObject{{QStringLiteral("layers"), params.layers},
                       {QStringLiteral("basis"), toJson(params.basis)},
                       {QStringLiteral("skip_epochs"), params.skipEpochs}};
}

TrainSummary runBasisTraining(const BasisTrainParams& params, const QString& outDir, bool resume,
                              const TrainCallbacks& callbacks, const std::atomic_bool* cancel)
{
    const int firstSkip = params.train.startEpoch + 1; // at least one epoch with basis convs
    if (params.skipEpochs < firstSkip || params.skipEpochs > params.train.epochs)
        throw Error(QStringLiteral("--skip must be from %1 to the number of epochs (%2), not %3.")
                        .arg(firstSkip)
                        .arg(params.train.epochs)
                        .arg(params.skipEpochs));
    validateBasisSpec(params.basis);

    QVector<BasisLayerReport> reports;
    double composeSeconds = 0;
    train::TrainHooks hooks;
    hooks.phase = [&params](int epoch) {
        return epoch < params.skipEpochs ? QStringLiteral("basis") : QStringLiteral("full");
    };
    // The basis-phase structure, built once on a copy of the starting weights: it checks the options before
    // anything is written, and its reports and parameter counts are what summary.json records — the same
    // as the epoch-0 insertion (same weights, same rule), and known after a resume too.
    int64_t fullParams = 0, basisParams = 0;
    hooks.validate = [&](train::TrainSession& session) {
        auto probe = models::createModel(session.resolvedModelSpec());
        io::loadStateDict(*probe, io::moduleStateDict(session.model()), QStringLiteral("the starting weights"));
        fullParams = parameterCount(*probe);
        reports = insertBasisConvs(*probe, models::describeModule(*probe, session.resolvedModelSpec()), params.layers,
                                   params.basis);
        basisParams = parameterCount(*probe);
    };
    hooks.beforeEpoch = [&](train::TrainSession& session, int epoch) {
        nn::Layer& model = session.model();
        if (epoch < params.skipEpochs && !hasBasisConvs(model)) {
            const ModelInfo registry = models::describeModule(model, session.resolvedModelSpec());
            const QVector<BasisLayerReport> inserted = insertBasisConvs(model, registry, params.layers, params.basis);
            session.rebuildOptimizer();
            for (const BasisLayerReport& r : inserted)
                session.log(QStringLiteral("basis conv in %1 (#%2): %3 of %4 filters, reconstruction error %5")
                                .arg(r.name)
                                .arg(r.index)
                                .arg(r.basisCount)
                                .arg(r.cOut)
                                .arg(r.reconstructionError, 0, 'g', 4));
        } else if (epoch >= params.skipEpochs && hasBasisConvs(model)) {
            const auto start = std::chrono::steady_clock::now();
            const ComposeBackResult composed = composeBackAll(model, session.optimizer().momentumBuffers());
            session.rebuildOptimizer(composed.momentum);
            composeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            session.log(QStringLiteral("epoch %1: composed %2 basis convs back into full convolutions")
                            .arg(epoch + 1)
                            .arg(composed.layers.size()));
        }
    };
    hooks.summaryExtra = [&](const train::TrainSession& session) {
        double basisSeconds = 0, fullSeconds = 0;
        for (const EpochMetrics& m : session.history())
            (m.phase == QLatin1String("basis") ? basisSeconds : fullSeconds) += m.trainSeconds;
        QJsonArray layers;
        for (const BasisLayerReport& r : reports)
            layers.append(toJson(r));
        return QJsonObject{{QStringLiteral("skip_epochs"), params.skipEpochs},
                           {QStringLiteral("basis_seconds"), basisSeconds},
                           {QStringLiteral("full_seconds"), fullSeconds},
                           {QStringLiteral("compose_seconds"), composeSeconds},
                           {QStringLiteral("basis_params"), double(basisParams)},
                           {QStringLiteral("full_params"), double(fullParams)},
                           {QStringLiteral("basis_layers"), layers}};
    };
    train::TrainSession session(params.train, outDir, callbacks, cancel, QStringLiteral("basis-train"), toJson(params));
    return session.run(resume, hooks);
}

} // namespace ranklab::basis

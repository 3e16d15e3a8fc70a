#pragma once
// Internal header (torch types): the training loop that runTraining and the experiment jobs share.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include <QJsonObject>

#include "core/data/dataset.h"
#include "core/models/layers.h"
#include "core/train/sgd.h"
#include "core/train/train_params.h"

namespace ranklab::io {
class FolderLock;
}

namespace ranklab::train {

class TrainSession;

/// Ways a job shapes a run without rewriting the loop (e.g. basis convs for the first epochs).
struct TrainHooks {
    /// Called before epoch `epoch` (0-based) trains — also once before the checkpoint of a resumed run is
    /// loaded, with the last epoch that checkpoint trained — so the job can put the model into that epoch's
    /// structure (module surgery) and call session.rebuildOptimizer(). Must be idempotent.
    std::function<void(TrainSession& session, int epoch)> beforeEpoch;
    /// The phase name recorded in metrics.csv for `epoch` (default "train").
    std::function<QString(int epoch)> phase;
    /// Called once the data and the model are ready, before anything is written: a job checks its own
    /// options against the model here (throwing ranklab::Error) so bad input leaves no run folder behind.
    std::function<void(TrainSession& session)> validate;
    /// Extra figures merged into summary.json.
    std::function<QJsonObject(const TrainSession& session)> summaryExtra;
    /// Builds the model in place of models::createModel(spec) (e.g. a RON student); params.initWeights is
    /// loaded into it as usual.
    std::function<std::shared_ptr<nn::Layer>(const ModelSpec& spec)> createModel;
};

/// One training run in one run folder; see runTraining() for the files and the resume contract.
class TrainSession final {
public:
    TrainSession(TrainParams params, QString outDir, TrainCallbacks callbacks, const std::atomic_bool* cancel,
                 QString kind = QStringLiteral("train"), QJsonObject jobParams = {});
    ~TrainSession();
    TrainSession(const TrainSession&) = delete;
    TrainSession& operator=(const TrainSession&) = delete;

    TrainSummary run(bool resume, const TrainHooks& hooks = {});

    const TrainParams& params() const { return params_; }
    nn::Layer& model() { return *model_; }
    const std::shared_ptr<nn::Layer>& modelPtr() const { return model_; }
    Sgd& optimizer() { return *optimizer_; }
    /// Re-reads the model's parameters after module surgery; `initialBuffers` seeds momentum of new names.
    void rebuildOptimizer(const std::unordered_map<std::string, torch::Tensor>& initialBuffers = {});
    const QString& outDir() const { return outDir_; }
    /// Metrics of the finished epochs (after a resume: including those before it).
    const QVector<EpochMetrics>& history() const { return history_; }
    /// The model spec after resolution against the data (input channels and size filled in).
    const ModelSpec& resolvedModelSpec() const { return resolvedSpec_; }
    void log(const QString& line) const;

private:
    void prepare(bool resume, const TrainHooks& hooks);
    int loadCheckpoint(const TrainHooks& hooks);
    void saveCheckpoint(int epochsDone) const;
    EpochMetrics trainEpoch(int epoch, const QString& phase);
    void reportProgress(int epoch, int64_t step, double batchLoss, const QString& phase);

    TrainParams params_;
    QString outDir_;
    TrainCallbacks callbacks_;
    const std::atomic_bool* cancel_;
    QString kind_;
    QJsonObject jobParams_;
    data::DatasetSplits data_;
    ModelSpec resolvedSpec_;
    std::unique_ptr<data::BatchLoader> trainLoader_, testLoader_;
    std::shared_ptr<nn::Layer> model_;
    std::unique_ptr<Sgd> optimizer_;
    QVector<EpochMetrics> history_;
    std::unique_ptr<io::FolderLock> lock_; ///< held from prepare() to the end of the session
    bool restartInPlace_ = false;          ///< the folder held a run that finished no epoch: start it afresh
    /// Wall seconds of earlier invocations of this run up to their last checkpoint (resume), and this one's start.
    double secondsBefore_ = 0;
    std::chrono::steady_clock::time_point invocationStart_ = std::chrono::steady_clock::now();
    // ETA bookkeeping: seconds per training step and per evaluation, measured in this process.
    double stepSeconds_ = 0, lastEvalSeconds_ = 0;
    int64_t timedSteps_ = 0;
};

/// Starting weights that are a pruned RankLab checkpoint make the run one of that pruned network: their channel plan
/// becomes train.model.channels (params.json, checkpoints, model.rlk; a sweep's registry and sweep.json), so resume,
/// eval and export build the pruned shape. Returns true when it adopted a plan; a no-op otherwise.
bool adoptPrunedStart(TrainParams& train);

} // namespace ranklab::train

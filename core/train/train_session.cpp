#include "core/train/train_session.h"

#include <chrono>
#include <cmath>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include <QRegularExpression>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint.h"
#include "core/io/folder_lock.h"
#include "core/io/weights.h"
#include "core/models/zoo.h"
#include "core/train/evaluate_internal.h"
#include "core/train/lr_schedule.h"
#include "core/train/metrics_file.h"
#include "core/train/trainer.h"
#include "ranklab/version.h"

namespace ranklab {

namespace {
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

const QString kParamsFile = QStringLiteral("params.json");
const QString kMetricsFile = QStringLiteral("metrics.csv");
const QString kSummaryFile = QStringLiteral("summary.json");
const QString kCheckpointFile = QStringLiteral("checkpoint.rlk");
const QString kWeightsFile = QStringLiteral("model.rlk");
} // namespace

namespace {
const JsonFields<ModelSpec>& modelFields()
{
    static const auto f = JsonFields<ModelSpec>()
                              .add("name", &ModelSpec::name)
                              .add("num_classes", &ModelSpec::numClasses)
                              .add("in_channels", &ModelSpec::inChannels)
                              .add("input_size", &ModelSpec::inputSize)
                              .add("width", &ModelSpec::width);
    return f;
}
/// A 64-bit seed as a decimal string (a JSON number would round it).
QJsonValue seedJson(quint64 seed)
{
    return QString::number(seed);
}
quint64 seedFromJson(const QJsonValue& v)
{
    return v.toString().toULongLong();
}
const JsonFields<DataSpec>& dataFields()
{
    static const auto f = JsonFields<DataSpec>()
                              .add("name", &DataSpec::name)
                              .add("dir", &DataSpec::dir)
                              .add("subset", &DataSpec::subset)
                              .add("test_subset", &DataSpec::testSubset)
                              .custom("seed", [](const DataSpec& d) { return seedJson(d.seed); },
                                      [](DataSpec& d, const QJsonValue& v) { d.seed = seedFromJson(v); })
                              .numbers("mean", &DataSpec::mean)
                              .numbers("std", &DataSpec::std)
                              .add("resize", &DataSpec::resize)
                              .add("channels", &DataSpec::channels)
                              .add("augment", &DataSpec::augment)
                              .add("crop_padding", &DataSpec::cropPadding)
                              .add("test_fraction", &DataSpec::testFraction)
                              // Only when set, so params.json of runs made before the option compare equal on resume.
                              .addUnless("val_subset", &DataSpec::valSubset, 0);
    return f;
}
} // namespace

QJsonObject toJson(const ModelSpec& model)
{
    QJsonObject o = modelFields().write(model);
    if (!model.channels.isEmpty()) // a pruned model; absent otherwise, as in the files of older runs
        o.insert(QStringLiteral("channels"), model.channels);
    return o;
}

ModelSpec modelSpecFromJson(const QJsonObject& json)
{
    ModelSpec m = modelFields().read(json);
    m.channels = json.value(QStringLiteral("channels")).toString();
    return m;
}

QJsonObject toJson(const DataSpec& data)
{
    return dataFields().write(data);
}

DataSpec dataSpecFromJson(const QJsonObject& json)
{
    return dataFields().read(json);
}

QJsonObject toJson(const TrainParams& p)
{
    const QJsonObject model = toJson(p.model);
    const QJsonObject data = toJson(p.data);
    QJsonObject json{{QStringLiteral("model"), model},
                       {QStringLiteral("data"), data},
                       {QStringLiteral("epochs"), p.epochs},
                       {QStringLiteral("batch_size"), p.batchSize},
                       {QStringLiteral("eval_batch_size"), p.evalBatchSize},
                       {QStringLiteral("lr"), p.lr},
                       {QStringLiteral("momentum"), p.momentum},
                       {QStringLiteral("weight_decay"), p.weightDecay},
                       {QStringLiteral("schedule"), p.schedule},
                       {QStringLiteral("seed"), QString::number(p.seed)},
                       {QStringLiteral("deterministic"), p.deterministic},
                       {QStringLiteral("threads"), p.threads},
                       {QStringLiteral("init_weights"), p.initWeights}};
    // Written only when set, so params.json of runs made before the option existed still resume.
    if (p.startEpoch != 0)
        json.insert(QStringLiteral("start_epoch"), p.startEpoch);
    return json;
}

TrainParams trainParamsFromJson(const QJsonObject& json)
{
    TrainParams p;
    p.model = modelSpecFromJson(json.value(QStringLiteral("model")).toObject());
    p.data = dataSpecFromJson(json.value(QStringLiteral("data")).toObject());
    p.epochs = json.value(QStringLiteral("epochs")).toInt(p.epochs);
    p.batchSize = json.value(QStringLiteral("batch_size")).toInt(p.batchSize);
    p.evalBatchSize = json.value(QStringLiteral("eval_batch_size")).toInt(p.evalBatchSize);
    p.lr = json.value(QStringLiteral("lr")).toDouble(p.lr);
    p.momentum = json.value(QStringLiteral("momentum")).toDouble(p.momentum);
    p.weightDecay = json.value(QStringLiteral("weight_decay")).toDouble(p.weightDecay);
    p.schedule = json.value(QStringLiteral("schedule")).toString(p.schedule);
    p.seed = json.value(QStringLiteral("seed")).toString().toULongLong();
    p.deterministic = json.value(QStringLiteral("deterministic")).toBool();
    p.threads = json.value(QStringLiteral("threads")).toInt();
    p.initWeights = json.value(QStringLiteral("init_weights")).toString();
    p.startEpoch = json.value(QStringLiteral("start_epoch")).toInt();
    return p;
}

namespace {
const JsonFields<TrainSummary>& summaryFields()
{
    static const auto f = JsonFields<TrainSummary>()
                              .add("status", &TrainSummary::status)
                              .add("epochs_done", &TrainSummary::epochsDone)
                              .add("final_test_top1", &TrainSummary::finalTestTop1)
                              .add("final_test_top5", &TrainSummary::finalTestTop5)
                              .add("final_test_loss", &TrainSummary::finalTestLoss)
                              .add("best_test_top1", &TrainSummary::bestTestTop1)
                              .add("train_seconds", &TrainSummary::trainSeconds)
                              .add("total_seconds", &TrainSummary::totalSeconds)
                              .add("params", &TrainSummary::params)
                              .add("weights", &TrainSummary::weightsPath)
                              // Only runs with a validation split have these (and older readers never see a null).
                              .addUnless("final_val_top1", &TrainSummary::finalValTop1, -1.0)
                              .addUnless("final_val_loss", &TrainSummary::finalValLoss, -1.0);
    return f;
}
} // namespace

QJsonObject toJson(const TrainSummary& s)
{
    QJsonObject o = summaryFields().write(s);
    for (auto it = s.extra.begin(); it != s.extra.end(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

TrainSummary trainSummaryFromJson(const QJsonObject& json)
{
    TrainSummary s = summaryFields().read(json);
    const QStringList known = summaryFields().keys();
    for (auto it = json.begin(); it != json.end(); ++it)
        if (!known.contains(it.key()))
            s.extra.insert(it.key(), it.value());
    return s;
}

TrainSummary readTrainSummary(const QString& runDir)
{
    const QDir dir(runDir);
    TrainSummary s = trainSummaryFromJson(io::readJsonObject(dir.filePath(kSummaryFile)));
    if (QFileInfo::exists(dir.filePath(kMetricsFile)))
        s.history = readMetricsCsv(dir.filePath(kMetricsFile));
    return s;
}

namespace train {

TrainSession::TrainSession(TrainParams params, QString outDir, TrainCallbacks callbacks, const std::atomic_bool* cancel,
                           QString kind, QJsonObject jobParams)
    : params_(std::move(params)), outDir_(std::move(outDir)), callbacks_(std::move(callbacks)), cancel_(cancel),
      kind_(std::move(kind)), jobParams_(std::move(jobParams))
{
}

TrainSession::~TrainSession() = default;

void TrainSession::log(const QString& line) const
{
    if (callbacks_.log)
        callbacks_.log(line);
}

void TrainSession::rebuildOptimizer(const std::unordered_map<std::string, torch::Tensor>& initialBuffers)
{
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (const auto& item : model_->named_parameters())
        named.emplace_back(item.key(), item.value());
    if (!optimizer_)
        optimizer_ = std::make_unique<Sgd>(std::move(named), params_.momentum, params_.weightDecay);
    else
        optimizer_->resetParameters(std::move(named), initialBuffers);
}

void TrainSession::prepare(bool resume, const TrainHooks& hooks)
{
    if (params_.epochs < 1)
        throw Error(QStringLiteral("the number of epochs must be at least 1, not %1.").arg(params_.epochs));
    if (params_.batchSize < 1 || params_.evalBatchSize < 1)
        throw Error(QStringLiteral("the batch size must be at least 1, not %1.").arg(params_.batchSize));
    if (!(params_.lr > 0) || !std::isfinite(params_.lr))
        throw Error(QStringLiteral("the learning rate must be a positive number, not %1.").arg(params_.lr));
    if (params_.momentum < 0 || params_.momentum >= 1 || params_.weightDecay < 0)
        throw Error(QStringLiteral("momentum must be in [0, 1) and weight decay at least 0."));
    scheduledLearningRate(params_.schedule, params_.lr, 0, params_.epochs); // validates the schedule name
    if (params_.startEpoch < 0 || params_.startEpoch >= params_.epochs)
        throw Error(QStringLiteral("the first epoch to train must be from 0 to %1 (epochs − 1), not %2.")
                        .arg(params_.epochs - 1)
                        .arg(params_.startEpoch));

    if (adoptPrunedStart(params_))
        log(QStringLiteral("starting from a pruned network: %1").arg(params_.model.channels));

    io::ensureWritableDir(outDir_);
    // The lock comes before the folder is inspected: two runs started at once into one --out cannot both
    // find it empty.
    if (!lock_)
        lock_ = std::make_unique<io::FolderLock>(outDir_);
    const QDir dir(outDir_);
    const QJsonObject stored{{QStringLiteral("kind"), kind_},
                             {QStringLiteral("version"), QStringLiteral(RANKLAB_VERSION)},
                             {QStringLiteral("params"), toJson(params_)},
                             {QStringLiteral("job"), jobParams_}};
    if (QFileInfo::exists(dir.filePath(kParamsFile))) {
        if (!resume)
            throw Error(QStringLiteral("%1 already holds a run; use --resume to continue it, or delete the folder or "
                                       "choose another --out.")
                            .arg(outDir_));
        QJsonObject previous = io::readJsonObject(dir.filePath(kParamsFile));
        QJsonObject was = previous, now = stored;
        for (QJsonObject* o : {&was, &now}) {
            QJsonObject p = o->value(QStringLiteral("params")).toObject();
            p.remove(QStringLiteral("threads"));
            o->insert(QStringLiteral("params"), p);
            o->remove(QStringLiteral("version"));
        }
        const QStringList differences = io::jsonDifferences(was, now);
        const bool trainedSomething = QFileInfo::exists(dir.filePath(kCheckpointFile))
                                      || QFileInfo::exists(dir.filePath(kSummaryFile));
        if (!differences.isEmpty() && trainedSomething)
            throw Error(QStringLiteral("%1 holds a run with different parameters (%2); resume it with the same options, "
                                       "or delete the folder or choose another --out.")
                            .arg(outDir_, differences.join(QStringLiteral("; "))));
        if (!differences.isEmpty()) {
            // Nothing was trained there (e.g. it diverged in its first epoch): nothing is lost by starting over.
            log(QStringLiteral("%1 holds a run that finished no epoch (%2); starting it afresh with these parameters")
                    .arg(outDir_, differences.join(QStringLiteral("; "))));
            restartInPlace_ = true;
        }
    }

    torch::manual_seed(params_.seed);
    at::globalContext().setDeterministicAlgorithms(params_.deterministic, /*warn_only=*/false);
    applyThreadCount(params_.threads);

    DataSpec dataSpec = params_.data;
    ModelSpec modelSpec = params_.model;
    resolveModelAndData(modelSpec, dataSpec);
    log(QStringLiteral("loading %1…").arg(dataSpec.name));
    data_ = data::loadDataset(dataSpec);
    resolveModelAndData(modelSpec, dataSpec, data_.outChannels, data_.train.height());
    if (modelSpec.numClasses < data_.train.classNames.size())
        throw Error(QStringLiteral("the model has %1 classes but %2 has %3; set --num-classes.")
                        .arg(modelSpec.numClasses)
                        .arg(data_.name)
                        .arg(data_.train.classNames.size()));
    resolvedSpec_ = modelSpec;
    model_ = hooks.createModel ? hooks.createModel(modelSpec) : models::createModel(modelSpec);
    if (!params_.initWeights.isEmpty())
        for (const QString& note : io::loadWeights(*model_, params_.initWeights).notes)
            log(note);
    rebuildOptimizer();
    if (hooks.validate)
        hooks.validate(*this);
    // Only a run that could start leaves a folder behind: bad data or options leave nothing to resume.
    if (restartInPlace_ || !QFileInfo::exists(dir.filePath(kParamsFile))) {
        QFile::remove(dir.filePath(kMetricsFile));
        io::writeJsonAtomic(dir.filePath(kParamsFile), stored);
    }
    trainLoader_ = std::make_unique<data::BatchLoader>(data_.train, data_.norm, data_.outChannels, params_.batchSize,
                                                       true, dataSpec.augment, dataSpec.cropPadding, params_.seed);
    testLoader_ = std::make_unique<data::BatchLoader>(data_.test, data_.norm, data_.outChannels, params_.evalBatchSize,
                                                      false, false, 0, params_.seed);
    log(QStringLiteral("%1: %2 training and %3 test images of %4×%5×%6; model %7 with %8 parameters")
            .arg(data_.name)
            .arg(data_.train.size())
            .arg(data_.test.size())
            .arg(data_.outChannels)
            .arg(data_.train.height())
            .arg(data_.train.width())
            .arg(modelSpec.name)
            .arg(qlonglong([this] {
                int64_t n = 0;
                for (const auto& p : model_->parameters())
                    n += p.numel();
                return n;
            }())));
}

int TrainSession::loadCheckpoint(const TrainHooks& hooks)
{
    const QString path = QDir(outDir_).filePath(kCheckpointFile);
    if (!QFileInfo::exists(path))
        return params_.startEpoch;
    const io::Checkpoint checkpoint = io::readCheckpoint(path);
    const int epochsDone = checkpoint.meta.value(QStringLiteral("epochs_done")).toInt(-1);
    secondsBefore_ = std::max(0.0, checkpoint.meta.value(QStringLiteral("total_seconds")).toDouble());
    if (epochsDone < params_.startEpoch || epochsDone > params_.epochs)
        throw Error(QStringLiteral("%1 does not belong to this run (epochs done: %2).").arg(path).arg(epochsDone));
    // The checkpoint holds the structure of the last epoch it trained; the loop then applies the next
    // epoch's change (e.g. composing basis convs back) exactly as an uninterrupted run does.
    if (hooks.beforeEpoch && epochsDone > params_.startEpoch)
        hooks.beforeEpoch(*this, epochsDone - 1);
    io::loadStateDict(*model_, checkpoint.model, path);
    std::unordered_map<std::string, torch::Tensor> buffers;
    for (const auto& [name, tensor] : checkpoint.optimizer) {
        if (name.rfind("momentum.", 0) == 0)
            buffers.emplace(name.substr(9), tensor);
        else if (name == "rng.cpu") {
            auto gen = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            gen.set_state(tensor);
        }
    }
    optimizer_->setMomentumBuffers(std::move(buffers));
    history_ = readMetricsCsv(QDir(outDir_).filePath(kMetricsFile));
    history_.resize(std::min<int>(history_.size(), epochsDone - params_.startEpoch));
    log(QStringLiteral("resuming after epoch %1 of %2").arg(epochsDone).arg(params_.epochs));
    return epochsDone;
}

void TrainSession::saveCheckpoint(int epochsDone) const
{
    io::Checkpoint checkpoint;
    checkpoint.model = io::moduleStateDict(*model_);
    for (const auto& [name, buffer] : optimizer_->momentumBuffers())
        checkpoint.optimizer.emplace_back("momentum." + name, buffer);
    {
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        checkpoint.optimizer.emplace_back("rng.cpu", gen.get_state());
    }
    checkpoint.meta = QJsonObject{{QStringLiteral("epochs_done"), epochsDone},
                                  {QStringLiteral("kind"), kind_},
                                  {QStringLiteral("version"), QStringLiteral(RANKLAB_VERSION)},
                                  {QStringLiteral("params"), toJson(params_)},
                                  {QStringLiteral("job"), jobParams_},
                                  {QStringLiteral("total_seconds"), secondsBefore_ + secondsSince(invocationStart_)}};
    io::writeCheckpoint(QDir(outDir_).filePath(kCheckpointFile), checkpoint);
}

void TrainSession::reportProgress(int epoch, int64_t step, double batchLoss, const QString& phase)
{
    if (!callbacks_.progress)
        return;
    TrainProgress p;
    p.epoch = epoch + 1;
    p.epochs = params_.epochs;
    p.step = step;
    p.stepsPerEpoch = trainLoader_->batchesPerEpoch();
    // Progress counts the epochs this run trains: [startEpoch, epochs).
    const double total = double(p.stepsPerEpoch) * (params_.epochs - params_.startEpoch);
    const double done = double(p.stepsPerEpoch) * (epoch - params_.startEpoch) + double(step);
    p.fraction = total > 0 ? done / total : 0;
    if (timedSteps_ > 0) {
        const double perStep = stepSeconds_ / double(timedSteps_);
        p.etaSeconds = (total - done) * perStep + lastEvalSeconds_ * (params_.epochs - epoch);
    }
    p.batchLoss = batchLoss;
    p.phase = phase;
    callbacks_.progress(p);
}

EpochMetrics TrainSession::trainEpoch(int epoch, const QString& phase)
{
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.phase = phase;
    m.lr = scheduledLearningRate(params_.schedule, params_.lr, epoch, params_.epochs);
    model_->train();
    trainLoader_->startEpoch(epoch);
    torch::Tensor x, y;
    double lossSum = 0;
    int64_t correct = 0, seen = 0, step = 0;
    const auto start = Clock::now();
    while (true) {
        if (cancel_ && cancel_->load())
            return m;
        const auto stepStart = Clock::now();
        if (!trainLoader_->next(x, y))
            break;
        optimizer_->zeroGrad();
        const auto logits = model_->forward(x);
        const auto loss = torch::cross_entropy_loss(logits, y);
        const double lossValue = loss.item<double>();
        if (!std::isfinite(lossValue))
            throw Error(QStringLiteral("training diverged: the loss became %1 in epoch %2, batch %3; %4 — try a lower "
                                       "learning rate.")
                            .arg(lossValue)
                            .arg(epoch + 1)
                            .arg(step + 1)
                            .arg(epoch > 0 ? QStringLiteral("the last good checkpoint (after epoch %1) is kept in %2")
                                                 .arg(epoch)
                                                 .arg(outDir_)
                                           : QStringLiteral("no epoch had finished, so there is no checkpoint")));
        loss.backward();
        optimizer_->step(m.lr);
        const int64_t n = y.size(0);
        lossSum += lossValue * double(n);
        correct += logits.argmax(1).eq(y).sum().item<int64_t>();
        seen += n;
        ++step;
        stepSeconds_ += secondsSince(stepStart);
        ++timedSteps_;
        reportProgress(epoch, step, lossValue, phase);
    }
    m.trainSeconds = secondsSince(start);
    m.trainLoss = seen ? lossSum / double(seen) : 0;
    m.trainTop1 = seen ? double(correct) / double(seen) : 0;
    m.imagesPerSecond = m.trainSeconds > 0 ? double(seen) / m.trainSeconds : 0;

    const auto evalStart = Clock::now();
    const EvalResult test = evaluate(*model_, *testLoader_, {}, cancel_);
    m.evalSeconds = lastEvalSeconds_ = secondsSince(evalStart);
    m.testLoss = test.loss;
    m.testTop1 = test.top1;
    m.testTop5 = test.top5;
    return m;
}

TrainSummary TrainSession::run(bool resume, const TrainHooks& hooks)
{
    const QDir dir(outDir_);
    if (resume && QFileInfo::exists(dir.filePath(kSummaryFile)) && QFileInfo::exists(dir.filePath(kParamsFile))) {
        prepare(true, hooks); // validates that the parameters match
        const TrainSummary done = readTrainSummary(outDir_);
        log(QStringLiteral("%1 is already complete").arg(outDir_));
        return done;
    }
    prepare(resume, hooks);
    const int firstEpoch = resume && !restartInPlace_ ? loadCheckpoint(hooks) : params_.startEpoch;

    TrainSummary summary;
    summary.status = QStringLiteral("completed");
    for (int epoch = firstEpoch; epoch < params_.epochs; ++epoch) {
        if (hooks.beforeEpoch)
            hooks.beforeEpoch(*this, epoch);
        const QString phase = hooks.phase ? hooks.phase(epoch) : QStringLiteral("train");
        const EpochMetrics m = trainEpoch(epoch, phase);
        if (cancel_ && cancel_->load()) {
            summary.status = QStringLiteral("cancelled");
            log(QStringLiteral("cancelled in epoch %1; resumable from epoch %2").arg(epoch + 1).arg(epoch));
            break;
        }
        history_.push_back(m);
        io::writeFileAtomic(dir.filePath(kMetricsFile), metricsToCsv(history_));
        saveCheckpoint(epoch + 1);
        log(QStringLiteral("epoch %1/%2 [%3] lr %4  loss %5  train %6%  test %7%  %8 s  %9 img/s")
                .arg(m.epoch)
                .arg(params_.epochs)
                .arg(m.phase)
                .arg(m.lr, 0, 'g', 4)
                .arg(m.trainLoss, 0, 'f', 4)
                .arg(100 * m.trainTop1, 0, 'f', 2)
                .arg(100 * m.testTop1, 0, 'f', 2)
                .arg(m.trainSeconds + m.evalSeconds, 0, 'f', 1)
                .arg(m.imagesPerSecond, 0, 'f', 0));
        if (callbacks_.epochDone) {
            EpochMetrics live = m;
            live.runDir = QDir(outDir_).absolutePath();
            callbacks_.epochDone(live);
        }
    }

    summary.history = history_;
    summary.epochsDone = int(history_.size());
    for (const EpochMetrics& m : history_) {
        summary.trainSeconds += m.trainSeconds;
        summary.bestTestTop1 = std::max(summary.bestTestTop1, m.testTop1);
    }
    if (!history_.isEmpty()) {
        summary.finalTestTop1 = history_.last().testTop1;
        summary.finalTestTop5 = history_.last().testTop5;
        summary.finalTestLoss = history_.last().testLoss;
    }
    for (const auto& p : model_->parameters())
        summary.params += p.numel();
    // A resumed run counts its earlier invocations too (up to their last checkpoint).
    summary.totalSeconds = secondsBefore_ + secondsSince(invocationStart_);
    if (hooks.summaryExtra)
        summary.extra = hooks.summaryExtra(*this);
    if (summary.status == QLatin1String("completed") && data_.val.size() > 0) {
        // The held-out validation split (DataSpec::valSubset): what choices are made on; the test split reports.
        data::BatchLoader valLoader(data_.val, data_.norm, data_.outChannels, params_.evalBatchSize, false, false, 0, params_.seed);
        const EvalResult val = evaluate(*model_, valLoader, {}, cancel_);
        summary.finalValTop1 = val.top1;
        summary.finalValLoss = val.loss;
        log(QStringLiteral("validation split (%1 images): top-1 %2%").arg(data_.val.size()).arg(100 * val.top1, 0, 'f', 2));
    }
    if (summary.status == QLatin1String("completed")) {
        io::Checkpoint weights;
        weights.model = io::moduleStateDict(*model_);
        weights.meta = QJsonObject{{QStringLiteral("kind"), QStringLiteral("weights")},
                                   {QStringLiteral("version"), QStringLiteral(RANKLAB_VERSION)},
                                   {QStringLiteral("params"), toJson(params_)},
                                   {QStringLiteral("job"), jobParams_}}; // e.g. the basis convs' form (basisModelForWeights)
        summary.weightsPath = dir.filePath(kWeightsFile);
        io::writeCheckpoint(summary.weightsPath, weights);
        io::writeJsonAtomic(dir.filePath(kSummaryFile), toJson(summary));
    }
    return summary;
}

bool adoptPrunedStart(TrainParams& train)
{
    if (!train.model.channels.isEmpty() || train.initWeights.isEmpty())
        return false;
    train.model.channels = io::channelPlanOfFile(train.initWeights);
    return !train.model.channels.isEmpty();
}

} // namespace train

TrainSummary runTraining(const TrainParams& params, const QString& outDir, bool resume, const TrainCallbacks& callbacks,
                         const std::atomic_bool* cancel)
{
    train::TrainSession session(params, outDir, callbacks, cancel);
    return session.run(resume);
}

void checkComputeDevice(const QString& device)
{
    static const QRegularExpression form(QStringLiteral("^(cpu|cuda(:\\d+)?)$"));
    if (!form.match(device).hasMatch())
        throw OptionError(QStringLiteral("--device '%1' is not a device: write cpu, cuda or cuda:N.").arg(device));
    if (device == QLatin1String("cpu"))
        return;
    if (!torch::cuda::is_available())
        throw OptionError(QStringLiteral("--device %1: this RankLab is built against a LibTorch without CUDA (Debian's libtorch-dev is "
                                         "CPU-only); build it against a CUDA LibTorch to compute on a GPU (README: Larger machines).")
                              .arg(device));
    const int index = device.contains(QLatin1Char(':')) ? device.section(QLatin1Char(':'), 1).toInt() : 0;
    if (index >= int(torch::cuda::device_count()))
        throw OptionError(QStringLiteral("--device %1: this machine has %2 CUDA device(s).").arg(device).arg(torch::cuda::device_count()));
    // The trainer, the evaluators and the RON streams still create their tensors on the CPU: refuse rather than
    // run half of a job on the GPU.
    throw OptionError(QStringLiteral("--device %1: RankLab's jobs do not run on CUDA devices yet; use --device cpu.").arg(device));
}

} // namespace ranklab

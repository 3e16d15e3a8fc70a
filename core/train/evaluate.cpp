#include "core/train/evaluate.h"

#include <atomic>

#include <QThread>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/atomic_file.h"
#include "core/io/weights.h"
#include "core/models/zoo.h"
#include "core/models/structured_model.h"
#include "core/train/evaluate_internal.h"

namespace ranklab {

namespace {
const JsonFields<EvalResult>& evalFields()
{
    static const auto f = JsonFields<EvalResult>()
                              .add("top1", &EvalResult::top1)
                              .add("top5", &EvalResult::top5)
                              .add("loss", &EvalResult::loss)
                              .add("samples", &EvalResult::samples);
    return f;
}
} // namespace

QJsonObject toJson(const EvalResult& result)
{
    return evalFields().write(result);
}

EvalResult evalResultFromJson(const QJsonObject& json)
{
    return evalFields().read(json);
}

void resolveModelAndData(ModelSpec& model, DataSpec& data, int dataChannels, int dataSize)
{
    if (dataChannels < 0) { // before loading: explicit model options shape the data
        if (model.inChannels > 0 && data.channels == 0)
            data.channels = model.inChannels;
        if (model.inputSize > 0 && data.resize == 0)
            data.resize = model.inputSize;
        return;
    }
    if (model.inChannels <= 0)
        model.inChannels = dataChannels;
    if (model.inputSize <= 0)
        model.inputSize = dataSize;
    if (model.inChannels != dataChannels)
        throw Error(QStringLiteral("the model expects %1 input channels but the data has %2.")
                        .arg(model.inChannels)
                        .arg(dataChannels));
}

void setThreadCount(int threads)
{
    train::applyThreadCount(threads);
}

namespace train {

void applyThreadCount(int threads)
{
    const int n = threads > 0 ? threads : QThread::idealThreadCount();
    if (torch::get_num_threads() != n)
        torch::set_num_threads(n);
}

EvalResult evaluate(nn::Layer& model, data::BatchLoader& loader,
                    const std::function<void(const torch::Tensor&, const torch::Tensor&, int64_t)>& onBatch,
                    const std::atomic_bool* cancel)
{
    const bool wasTraining = model.is_training();
    model.eval();
    torch::NoGradGuard noGrad;
    EvalResult result;
    double lossSum = 0;
    int64_t top1 = 0, top5 = 0;
    torch::Tensor x, y;
    loader.startEpoch(0);
    while (loader.next(x, y)) {
        if (cancel && cancel->load())
            break;
        const auto logits = model.forward(x);
        lossSum += torch::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
        const int64_t k = std::min<int64_t>(5, logits.size(1));
        const auto topk = std::get<1>(logits.topk(k, 1));
        const auto hits = topk.eq(y.unsqueeze(1));
        top1 += hits.select(1, 0).sum().item<int64_t>();
        top5 += hits.any(1).sum().item<int64_t>();
        if (onBatch)
            onBatch(logits, y, result.samples);
        result.samples += y.size(0);
    }
    model.train(wasTraining);
    if (result.samples > 0) {
        result.loss = lossSum / double(result.samples);
        result.top1 = double(top1) / double(result.samples);
        result.top5 = double(top5) / double(result.samples);
    }
    return result;
}

} // namespace train

EvalResult evaluateWeights(const EvalParams& params, const std::function<void(const QString&)>& log)
{
    ModelSpec spec = params.model;
    DataSpec dataSpec = params.data;
    resolveModelAndData(spec, dataSpec);
    train::applyThreadCount(params.threads);
    const data::DatasetSplits splits = data::loadDataset(dataSpec);
    resolveModelAndData(spec, dataSpec, splits.outChannels, splits.test.height());
    if (spec.numClasses < splits.train.classNames.size())
        throw Error(QStringLiteral("the model has %1 classes but %2 has %3.")
                        .arg(spec.numClasses)
                        .arg(splits.name)
                        .arg(splits.train.classNames.size()));
    auto model = models::createModelForWeights(spec, params.weights); // a RON student file brings its structure
    for (const QString& note : io::loadWeights(*model, params.weights).notes)
        if (log)
            log(note);

    data::BatchLoader loader(splits.test, splits.norm, splits.outChannels, params.batchSize, false, false, 0, 0);
    QByteArray csv;
    std::function<void(const torch::Tensor&, const torch::Tensor&, int64_t)> onBatch;
    if (!params.predictionsCsv.isEmpty()) {
        csv = "index,label,predicted";
        for (int c = 0; c < spec.numClasses; ++c)
            csv += ",logit_" + QByteArray::number(c);
        csv += '\n';
        onBatch = [&csv](const torch::Tensor& logits, const torch::Tensor& labels, int64_t first) {
            const auto predicted = logits.argmax(1);
            const auto l = logits.contiguous();
            const float* data = l.data_ptr<float>();
            const int64_t classes = l.size(1);
            for (int64_t i = 0; i < l.size(0); ++i) {
                csv += QByteArray::number(first + i) + ',' + QByteArray::number(labels[i].item<int64_t>()) + ','
                    + QByteArray::number(predicted[i].item<int64_t>());
                for (int64_t c = 0; c < classes; ++c)
                    csv += ',' + QByteArray::number(data[i * classes + c], 'g', 7);
                csv += '\n';
            }
        };
    }
    const EvalResult result = train::evaluate(*model, loader, onBatch);
    if (!params.predictionsCsv.isEmpty())
        io::writeFileAtomic(params.predictionsCsv, csv);
    return result;
}

} // namespace ranklab

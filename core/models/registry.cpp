#include "core/models/registry.h"

#include <map>

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include "core/error.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"

namespace ranklab {

namespace {
QVector<qint64> toVector(const std::vector<int64_t>& v)
{
    return QVector<qint64>(v.begin(), v.end());
}

QJsonArray toJsonArray(const QVector<qint64>& v)
{
    QJsonArray array;
    for (qint64 x : v)
        array.append(double(x));
    return array;
}
} // namespace

namespace models {

ModelInfo describeModule(nn::Layer& model, const ModelSpec& spec)
{
    std::map<const torch::nn::Module*, std::string> names;
    for (const auto& item : model.named_modules(/*name_prefix=*/"", /*include_self=*/false))
        names.emplace(item.value().get(), item.key());

    const bool wasTraining = model.is_training();
    model.eval();
    nn::ForwardRecorder recorder;
    try {
        torch::NoGradGuard noGrad;
        model.forward(torch::zeros({1, spec.inChannels, spec.inputSize, spec.inputSize}));
    } catch (const c10::Error& e) {
        model.train(wasTraining);
        throw Error("model " + spec.name.toStdString() + " cannot run on a " + std::to_string(spec.inChannels) + "×"
                    + std::to_string(spec.inputSize) + "×" + std::to_string(spec.inputSize) + " input: "
                    + e.what_without_backtrace());
    }
    model.train(wasTraining);

    ModelInfo info;
    info.spec = spec;
    for (const auto& p : model.parameters())
        info.totalParams += p.numel();
    for (const auto& entry : recorder.entries()) {
        LayerInfo layer;
        layer.index = int(info.layers.size()) + 1;
        const auto found = names.find(entry.layer);
        layer.name = QString::fromStdString(found != names.end() ? found->second : std::string("?"));
        layer.type = QString::fromStdString(entry.layer->name());
        const auto params = entry.layer->named_parameters(/*recurse=*/true);
        if (const auto* w = params.find("weight"))
            layer.weightShape = toVector(w->sizes().vec());
        for (const auto& p : params)
            layer.params += p.value().numel();
        layer.inShape = toVector(entry.inShape);
        layer.outShape = toVector(entry.outShape);
        layer.flops = entry.layer->forwardFlops(entry.inShape, entry.outShape);
        if (const auto* conv = dynamic_cast<const nn::Conv2d*>(entry.layer))
            layer.groups = conv->options().groups;
        info.totalFlops += layer.flops;
        info.layers.push_back(layer);
    }
    return info;
}

} // namespace models

ModelInfo describeModel(const ModelSpec& spec)
{
    auto model = models::createModel(spec);
    return models::describeModule(*model, spec);
}

QString groupedConvKind(const LayerInfo& layer)
{
    if (layer.groups <= 1)
        return {};
    return layer.inShape.value(0) == layer.groups ? QStringLiteral("depthwise") : QStringLiteral("grouped");
}

QJsonObject modelInfoToJson(const ModelInfo& info)
{
    QJsonArray layers;
    for (const LayerInfo& l : info.layers) {
        QJsonObject row{{QStringLiteral("index"), l.index},
                                  {QStringLiteral("name"), l.name},
                                  {QStringLiteral("type"), l.type},
                                  {QStringLiteral("weight_shape"), toJsonArray(l.weightShape)},
                                  {QStringLiteral("in_shape"), toJsonArray(l.inShape)},
                                  {QStringLiteral("out_shape"), toJsonArray(l.outShape)},
                                  {QStringLiteral("params"), double(l.params)},
                                  {QStringLiteral("flops"), double(l.flops)}};
        if (l.groups != 1)
            row.insert(QStringLiteral("groups"), double(l.groups));
        layers.append(row);
    }
    return QJsonObject{{QStringLiteral("model"), info.spec.name},
                       {QStringLiteral("num_classes"), info.spec.numClasses},
                       {QStringLiteral("in_channels"), info.spec.inChannels},
                       {QStringLiteral("input_size"), info.spec.inputSize},
                       {QStringLiteral("width"), info.spec.width},
                       {QStringLiteral("total_params"), double(info.totalParams)},
                       {QStringLiteral("total_flops"), double(info.totalFlops)},
                       {QStringLiteral("layers"), layers}};
}

QVector<int> resolveLayerSelection(const ModelInfo& info, const QString& selection, const QString& typeFilter)
{
    QSet<int> chosen;
    const int count = int(info.layers.size());
    static const QRegularExpression range(QStringLiteral("^(\\d+)(?:-(\\d+))?$"));
    const QStringList tokens = selection.split(QRegularExpression(QStringLiteral("[,|\\s]+")), Qt::SkipEmptyParts);
    if (tokens.isEmpty())
        throw OptionError("the layer selection is empty; give indices (4,15 or 1-5), names (layer3.0.conv2) or 'all'.");
    for (const QString& token : tokens) {
        if (token == QLatin1String("all")) {
            for (const LayerInfo& l : info.layers)
                if (typeFilter.isEmpty() || l.type == typeFilter)
                    chosen.insert(l.index);
            continue;
        }
        const auto m = range.match(token);
        if (m.hasMatch()) {
            const int first = m.captured(1).toInt();
            const int last = m.captured(2).isEmpty() ? first : m.captured(2).toInt();
            if (first > last)
                throw OptionError(QStringLiteral("layer range '%1' is reversed; write it low to high (%2-%3).")
                                      .arg(token)
                                      .arg(last)
                                      .arg(first));
            if (first < 1 || last > count)
                throw OptionError(QStringLiteral("layer '%1' is out of range: %2 has layers 1 to %3.")
                                      .arg(token, info.spec.name).arg(count));
            for (int i = first; i <= last; ++i)
                chosen.insert(i);
            continue;
        }
        bool found = false;
        for (const LayerInfo& l : info.layers)
            if (l.name == token) {
                chosen.insert(l.index);
                found = true;
            }
        if (!found)
            throw OptionError(QStringLiteral("%1 has no conv or linear layer named '%2'.").arg(info.spec.name, token));
    }
    QVector<int> sorted(chosen.begin(), chosen.end());
    std::sort(sorted.begin(), sorted.end());
    return sorted;
}

} // namespace ranklab

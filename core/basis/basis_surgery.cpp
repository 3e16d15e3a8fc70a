#include "core/basis/basis_surgery.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "core/basis/basis_conv.h"
#include "core/error.h"
#include "core/models/surgery.h"

namespace ranklab::basis {

QVector<BasisLayerReport> insertBasisConvs(nn::Layer& model, const ModelInfo& registry, const QVector<int>& indices,
                                           const BasisSpec& spec)
{
    QVector<int> sorted = indices;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    if (sorted.isEmpty())
        throw OptionError("no layer was selected for basis convolutions.");

    std::vector<std::pair<std::string, std::shared_ptr<BasisConv2d>>> built;
    QVector<BasisLayerReport> reports;
    const int count = int(registry.layers.size());
    for (int index : sorted) {
        if (index < 1 || index > count)
            throw OptionError(QStringLiteral("%1 has no layer %2: its layers are numbered 1 to %3.")
                            .arg(registry.spec.name)
                            .arg(index)
                            .arg(count));
        const LayerInfo& info = registry.layers[index - 1];
        const std::string name = info.name.toStdString();
        const auto module = models::findLayer(model, name);
        if (std::dynamic_pointer_cast<BasisConv2d>(module))
            throw Error(QStringLiteral("layer %1 (%2) is already a basis convolution.").arg(index).arg(info.name));
        const auto conv = std::dynamic_pointer_cast<nn::Conv2d>(module);
        if (!conv)
            throw OptionError(QStringLiteral("layer %1 (%2) is a %3, not a Conv2d; basis convolutions replace Conv2d layers only.")
                            .arg(index)
                            .arg(info.name, QString::fromStdString(module->name())));
        auto layer = std::make_shared<BasisConv2d>(*conv, spec, name);
        BasisLayerReport report;
        report.index = index;
        report.name = info.name;
        report.cOut = conv->options().outChannels;
        report.basisCount = layer->basisCount();
        report.copies = spec.form == BasisForm::Pair ? layer->copyCount() : 0;
        report.pairs = layer->pairCount();
        report.reconstructionError = layer->reconstructionError();
        reports.push_back(report);
        built.emplace_back(name, std::move(layer));
    }
    for (auto& [name, layer] : built)
        models::replaceLayer(model, name, layer);
    return reports;
}

QVector<BasisLayerReport> insertBasisConvs(nn::Layer& model, const ModelInfo& registry, const QString& selection,
                                           const BasisSpec& spec)
{
    return insertBasisConvs(model, registry, resolveLayerSelection(registry, selection, QStringLiteral("Conv2d")), spec);
}

ComposeBackResult composeBackAll(nn::Layer& model, const std::unordered_map<std::string, torch::Tensor>& momentum)
{
    std::vector<std::pair<std::string, std::shared_ptr<BasisConv2d>>> found;
    for (const auto& item : model.named_modules(/*name_prefix=*/"", /*include_self=*/false))
        if (auto layer = std::dynamic_pointer_cast<BasisConv2d>(item.value()))
            found.emplace_back(item.key(), layer);

    ComposeBackResult result;
    for (const auto& [name, layer] : found) {
        if (!momentum.empty()) {
            std::unordered_map<std::string, torch::Tensor> local;
            for (const auto& p : layer->named_parameters(/*recurse=*/false))
                if (const auto it = momentum.find(name + "." + p.key()); it != momentum.end())
                    local[p.key()] = it->second;
            if (!local.empty())
                for (auto& [param, buffer] : layer->composeVelocity(local))
                    result.momentum[name + "." + param] = std::move(buffer);
        }
        models::replaceLayer(model, name, layer->composeBack());
        result.layers << QString::fromStdString(name);
    }
    return result;
}

} // namespace ranklab::basis

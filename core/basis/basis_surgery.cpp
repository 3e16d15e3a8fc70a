#include "core/basis/basis_surgery.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <QDir>
#include <QFileInfo>

#include "core/basis/basis_conv.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint.h"
#include "core/io/export.h"
#include "core/models/structured_model.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"

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

namespace {
/// The form a basis-train run recorded ("job" → "basis" → "form" in the checkpoint's meta or the run's
/// params.json), or an empty string.
QString recordedForm(const QJsonObject& meta, const QString& weightsPath)
{
    QJsonObject job = meta.value(QStringLiteral("job")).toObject();
    if (job.isEmpty()) {
        const QString params = QFileInfo(weightsPath).dir().filePath(QStringLiteral("params.json"));
        if (QFileInfo::exists(params))
            try {
                job = io::readJsonObject(params).value(QStringLiteral("job")).toObject();
            } catch (const Error&) {
            }
    }
    return job.value(QStringLiteral("basis")).toObject().value(QStringLiteral("form")).toString();
}

std::string list2(int64_t v) { return "[" + std::to_string(v) + ", " + std::to_string(v) + "]"; }

/// BasisConv2d::forward in TorchScript (the Gather path of the pair form: same function, stock ops).
std::optional<std::string> basisScriptForward(const nn::Layer& layer)
{
    const auto* b = dynamic_cast<const BasisConv2d*>(&layer);
    if (!b)
        return std::nullopt;
    const nn::ConvOptions& o = b->options();
    const std::string bias = b->bias.defined() ? "self.bias" : "None";
    const std::string window = list2(o.stride) + ", " + list2(o.padding) + ", " + list2(o.dilation) + ", 1)\n";
    std::string s = "def forward(self, x: Tensor) -> Tensor:\n";
    switch (b->spec().form) {
    case BasisForm::Weight:
        return s + "    w = torch.mm(self.coef, torch.flatten(self.basis, 1)).view([" + std::to_string(o.outChannels) + ", "
               + std::to_string(o.inChannels) + ", " + std::to_string(o.kernel) + ", " + std::to_string(o.kernel) + "])\n"
               + "    return torch.conv2d(x, w, " + bias + ", " + window;
    case BasisForm::Output:
        return s + "    y = torch.conv2d(x, self.basis, None, " + window + "    return torch.conv2d(y, self.coef.view(["
               + std::to_string(o.outChannels) + ", " + std::to_string(b->basisCount()) + ", 1, 1]), " + bias
               + ", [1, 1], [0, 0], [1, 1], 1)\n";
    case BasisForm::Pair: break;
    }
    s += "    y = torch.conv2d(x, self.basis, None, " + window;
    std::vector<std::string> parts, outputs;
    if (b->copyCount() > 0) {
        s += "    copies = y.index_select(1, self.copy_plan.select(1, 1)) * self.copy_scale.view([1, -1, 1, 1])\n";
        parts.push_back("copies");
        outputs.push_back("self.copy_plan.select(1, 0)");
    }
    if (b->pairCount() > 0) {
        s += "    pairs = y.index_select(1, self.pair_plan.select(1, 1)) * self.pair_coef.select(1, 0).view([1, -1, 1, 1]) "
             "+ y.index_select(1, self.pair_plan.select(1, 2)) * self.pair_coef.select(1, 1).view([1, -1, 1, 1])\n";
        parts.push_back("pairs");
        outputs.push_back("self.pair_plan.select(1, 0)");
    }
    const auto join = [](const std::vector<std::string>& v) {
        std::string j;
        for (const std::string& e : v)
            j += (j.empty() ? "" : ", ") + e;
        return "[" + j + "]";
    };
    s += "    z = torch.cat(" + join(parts) + ", 1).index_select(1, torch.argsort(torch.cat(" + join(outputs) + ")))\n";
    return s + (b->bias.defined() ? "    return z + self.bias.view([1, -1, 1, 1])\n" : "    return z\n");
}
} // namespace

std::shared_ptr<nn::Layer> basisModelForWeights(const ModelSpec& spec, const QString& weightsPath)
{
    io::Checkpoint file;
    try {
        file = io::readCheckpoint(weightsPath);
    } catch (const Error&) {
        return nullptr; // not a RankLab checkpoint: the zoo's model, or another factory's
    }
    std::map<std::string, std::map<std::string, torch::Tensor>> convs; // "layer1.0.conv1" → local name → tensor
    const std::string suffix = ".basis";
    for (const auto& [name, tensor] : file.model)
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            convs[name.substr(0, name.size() - suffix.size())];
    if (convs.empty())
        return nullptr;
    for (const auto& [name, tensor] : file.model) {
        const auto dot = name.rfind('.');
        if (dot != std::string::npos && convs.count(name.substr(0, dot)))
            convs[name.substr(0, dot)][name.substr(dot + 1)] = tensor;
    }
    const QString recorded = recordedForm(file.meta, weightsPath);
    // A basis-train run that started from a pruned network records its channel plan: build that narrower network.
    ModelSpec shaped = spec;
    if (shaped.channels.isEmpty())
        shaped.channels = io::channelPlanOfMeta(file.meta);
    auto model = models::createModel(shaped);
    torch::NoGradGuard noGrad;
    for (const auto& [name, tensors] : convs) {
        std::shared_ptr<nn::Conv2d> conv;
        try {
            conv = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*model, name));
        } catch (const Error&) {
        }
        if (!conv)
            continue; // io::loadWeights names the difference
        BasisSpec s;
        s.init = BasisInit::Random; // the shapes only: the file's values replace these
        s.size = double(tensors.at("basis").size(0));
        const int64_t pairs = tensors.count("pair_coef") ? tensors.at("pair_coef").size(0) : 0;
        s.beta = double(pairs) / double(conv->options().outChannels);
        const bool pairForm = tensors.count("copy_scale") || tensors.count("pair_coef");
        s.form = pairForm ? BasisForm::Pair
                          : (recorded.isEmpty() || recorded == formName(BasisForm::Pair) ? BasisForm::Output : parseForm(recorded));
        models::replaceLayer(*model, name, std::make_shared<BasisConv2d>(*conv, s, name));
    }
    return model;
}

void registerBasisModels()
{
    static std::once_flag once;
    std::call_once(once, [] {
        io::registerScriptForward(basisScriptForward);
        models::registerStructuredModelFactory(basisModelForWeights);
    });
}

} // namespace ranklab::basis

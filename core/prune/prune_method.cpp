#include "core/prune/prune_method.h"

#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/models/channel_plan.h"
#include "core/models/surgery.h"

namespace ranklab::prune {

namespace {

class PruneMethod final : public LayerMethod {
public:
    explicit PruneMethod(double ratio) : ratio_(ratio) {}
    QString id() const override { return QStringLiteral("prune"); }
    QString describe() const override { return QStringLiteral("L1 filter pruning, ratio %1").arg(ratio_); }
    QJsonObject toJson() const override
    {
        return QJsonObject{{QStringLiteral("id"), id()}, {QStringLiteral("ratio"), ratio_}, {QStringLiteral("title"), describe()}};
    }

    QString refusal(nn::Layer& model, const LayerInfo& layer) const override
    {
        if (layer.type != QLatin1String("Conv2d"))
            return QStringLiteral("layer %1 (%2) is a %3; filter pruning narrows Conv2d layers only.").arg(layer.index).arg(layer.name, layer.type);
        if (!find(model, layer))
            return QStringLiteral("layer %1 (%2) cannot be pruned: %3.")
                .arg(layer.index)
                .arg(layer.name, models::notPrunableReason(model, layer.name.toStdString()));
        return {};
    }

    double apply(nn::Layer& model, const ModelInfo& registry, const QVector<int>& layers) const override
    {
        double firstError = 0;
        bool first = true;
        for (int index : layers) {
            const LayerInfo& layer = registry.layers[index - 1];
            const auto entry = find(model, layer);
            if (!entry)
                throw Error(refusal(model, layer));
            torch::Tensor keep;
            {
                torch::NoGradGuard noGrad;
                const auto conv = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(model, entry->conv));
                const int64_t c = conv->options().outChannels;
                const int64_t kept = keptCount(c);
                const torch::Tensor l1 = conv->weight.abs().sum({1, 2, 3});
                keep = std::get<0>(std::get<1>(l1.topk(kept)).sort());
                if (first) {
                    // The removed filters' share of the layer's weights: what the pruned layer no longer computes.
                    const double total = conv->weight.pow(2).sum().item<double>();
                    const double kept2 = conv->weight.index_select(0, keep).pow(2).sum().item<double>();
                    firstError = total > 0 ? std::sqrt(std::max(0.0, total - kept2) / total) : 0.0;
                    first = false;
                }
            }
            models::keepOutputChannels(model, *entry, keep);
        }
        return firstError;
    }

    double costDelta(nn::Layer& model, const ModelSpec&, const ModelInfo& registry, const LayerInfo& layer,
                     const std::function<double(int)>& cost) const override
    {
        // Removing a share s of C_out filters removes s of the conv's work and s of its consumer's inputs.
        const qint64 c = layer.weightShape.value(0);
        const double share = c > 0 ? double(c - keptCount(c)) / double(c) : 0.0;
        double delta = -share * cost(layer.index);
        if (const auto entry = find(model, layer)) {
            const QString consumer = QString::fromStdString(entry->consumer);
            for (const LayerInfo& l : registry.layers)
                if (l.name == consumer)
                    delta -= share * cost(l.index);
        }
        return delta;
    }

private:
    int64_t keptCount(int64_t c) const { return std::max<int64_t>(1, c - int64_t(std::floor(ratio_ * double(c)))); }

    /// The prunable entry of `layer` (its BatchNorm and consumer), or none.
    static std::optional<models::PrunableConv> find(nn::Layer& model, const LayerInfo& layer)
    {
        for (const models::PrunableConv& p : models::prunableConvs(model))
            if (QString::fromStdString(p.conv) == layer.name)
                return p;
        return std::nullopt;
    }

    double ratio_;
};

} // namespace

void registerPruneMethod()
{
    registerLayerMethod(QStringLiteral("prune"), [](const QJsonObject& options) -> std::unique_ptr<LayerMethod> {
        const double ratio = options.value(QStringLiteral("ratio")).toDouble(0.3);
        if (!(ratio > 0 && ratio < 1))
            throw OptionError(QStringLiteral("the pruning ratio must be between 0 and 1 (e.g. 0.3), not %1.").arg(ratio));
        return std::make_unique<PruneMethod>(ratio);
    });
}

} // namespace ranklab::prune

#include "core/basis/basis_method.h"

#include "core/basis/basis_surgery.h"
#include "core/basis/cost_model.h"
#include "core/error.h"

namespace ranklab::basis {

namespace {

class BasisMethod final : public LayerMethod {
public:
    explicit BasisMethod(const BasisSpec& spec) : spec_(spec) {}
    QString id() const override { return QStringLiteral("basis"); }
    QString describe() const override
    {
        return QStringLiteral("basis size %1 (%2 form, %3 init)").arg(spec_.size).arg(formName(spec_.form), initName(spec_.init));
    }
    QJsonObject toJson() const override
    {
        QJsonObject o = basis::toJson(spec_);
        o.insert(QStringLiteral("id"), id());
        o.insert(QStringLiteral("title"), describe());
        return o;
    }
    QString refusal(nn::Layer&, const LayerInfo& layer) const override
    {
        if (layer.type != QLatin1String("Conv2d"))
            return QStringLiteral("layer %1 (%2) is a %3; basis convolutions replace Conv2d layers only.").arg(layer.index).arg(layer.name, layer.type);
        if (layer.groups != 1)
            return basis::groupedConvRefusal(layer);
        try {
            validateBasisSpec(spec_, layer.weightShape.value(0), layer.name);
        } catch (const Error& e) {
            return QString::fromUtf8(e.what());
        }
        return {};
    }
    double apply(nn::Layer& model, const ModelInfo& registry, const QVector<int>& layers) const override
    {
        const QVector<BasisLayerReport> reports = insertBasisConvs(model, registry, layers, spec_);
        return reports.isEmpty() ? 0.0 : reports.front().reconstructionError;
    }
    double costDelta(nn::Layer&, const ModelSpec& spec, const ModelInfo&, const LayerInfo& layer,
                     const std::function<double(int)>& cost) const override
    {
        for (const LayerCost& c : basisCostModel(spec, spec_.size, spec_.beta, /*measure=*/false)) {
            if (c.index != layer.index)
                continue;
            double changed = c.n0f + c.n0b;
            switch (spec_.form) { // forward + backward multiply-adds of the form (paper A §3.1 counts)
            case BasisForm::Weight: changed = 2 * c.n1f; break;
            case BasisForm::Output: changed = c.n2f + c.n2b; break;
            case BasisForm::Pair: changed = c.n3f + c.n3b; break;
            }
            return changed - cost(layer.index);
        }
        throw Error(QStringLiteral("the cost model has no conv layer %1.").arg(layer.index));
    }

private:
    BasisSpec spec_;
};

} // namespace

void registerBasisMethod()
{
    registerLayerMethod(QStringLiteral("basis"), [](const QJsonObject& options) -> std::unique_ptr<LayerMethod> {
        BasisSpec spec = basisSpecFromJson(options);
        validateBasisSpec(spec);
        return std::make_unique<BasisMethod>(spec);
    });
}

} // namespace ranklab::basis

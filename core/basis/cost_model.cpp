#include "core/basis/cost_model.h"

#include <memory>

#include "core/basis/basis_conv.h"
#include "core/basis/layer_timing.h"
#include "core/error.h"
#include "core/json_fields.h"
#include "core/models/registry.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"

namespace ranklab::basis {

LayerCost predictLayerCost(qint64 cIn, qint64 cOut, qint64 kernel, qint64 outH, qint64 outW, bool bias,
                           const BasisSpec& spec, const QString& layerName)
{
    BasisSpec pair = spec;
    pair.form = BasisForm::Pair;
    LayerCost c;
    c.cIn = cIn;
    c.cOut = cOut;
    c.kernel = kernel;
    c.outH = outH;
    c.outW = outW;
    c.bias = bias;
    c.basisCount = basisCount(pair, cOut, layerName); // validates
    c.pairs = pairCount(pair, cOut);
    c.copies = cOut - c.pairs;
    c.alpha = double(c.basisCount) / double(cOut);
    c.beta = double(c.pairs) / double(cOut);

    const double k2c = double(kernel * kernel * cIn), wh = double(outH * outW), co = double(cOut);
    const double r = double(c.basisCount), copies = double(c.copies), pairs = double(c.pairs);
    const qint64 biasParams = bias ? cOut : 0;
    c.paramsFull = cOut * kernel * kernel * cIn + biasParams;
    c.paramsWeight = c.basisCount * kernel * kernel * cIn + c.basisCount * cOut + biasParams;
    c.paramsOutput = c.paramsWeight;
    c.paramsPair = c.basisCount * kernel * kernel * cIn + c.copies + 2 * c.pairs + biasParams;

    // Paper A §3.1, multiply-adds, W·H = output size.
    c.n0f = k2c * wh * co;
    c.n0b = wh * co * k2c;
    c.n1f = co * r * k2c + k2c * wh * co;
    c.n2f = k2c * wh * r + co * r * wh;
    c.n2b = wh * co * r * k2c;
    c.n3f = k2c * wh * r + copies * 1 * wh + pairs * 2 * wh;
    c.n3b = wh * copies * 1 * k2c + wh * pairs * 2 * k2c;
    c.predictedSpeedup = (c.n0f + c.n0b) / (c.n3f + c.n3b);
    c.conditionLhs = c.beta * (1 + 1 / k2c) + c.alpha;
    c.conditionRhs = 1 - 1 / k2c;
    c.accelerates = c.conditionLhs < c.conditionRhs;

    const double biasAdds = bias ? co * wh : 0;
    c.flopsConv = 2 * c.n0f + biasAdds;
    c.flopsWeight = 2 * c.n1f + biasAdds;
    c.flopsOutput = 2 * c.n2f + biasAdds;
    c.flopsPair = 2 * k2c * wh * r + copies * wh + 3 * pairs * wh + biasAdds;
    return c;
}

QVector<LayerCost> basisCostModel(const ModelSpec& spec, double size, double beta, bool measure, int batch, int repeats)
{
    BasisSpec basisSpec;
    basisSpec.size = size;
    basisSpec.beta = beta;
    basisSpec.init = BasisInit::Random;
    validateBasisSpec(basisSpec);
    if (measure && batch < 1)
        throw Error("the batch for measuring must be at least 1, not " + std::to_string(batch) + ".");

    auto model = models::createModel(spec);
    const ModelInfo info = models::describeModule(*model, spec);
    QVector<LayerCost> costs;
    for (const LayerInfo& layer : info.layers) {
        const auto conv = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*model, layer.name.toStdString()));
        if (!conv || conv->options().groups != 1) // depthwise convs take no basis (groupedConvRefusal)
            continue;
        const auto& o = conv->options();
        LayerCost c = predictLayerCost(o.inChannels, o.outChannels, o.kernel, layer.outShape.value(1),
                                       layer.outShape.value(2), o.bias, basisSpec, layer.name);
        c.index = layer.index;
        c.name = layer.name;
        if (measure) {
            std::vector<std::unique_ptr<BasisConv2d>> forms;
            std::vector<nn::Layer*> layers = {conv.get()};
            for (BasisForm form : {BasisForm::Weight, BasisForm::Output, BasisForm::Pair}) {
                basisSpec.form = form;
                forms.push_back(std::make_unique<BasisConv2d>(*conv, basisSpec, layer.name.toStdString()));
                layers.push_back(forms.back().get());
            }
            const std::vector<int64_t> input = {batch, layer.inShape.value(0), layer.inShape.value(1), layer.inShape.value(2)};
            const auto seconds = interleavedForwardBackwardSeconds(layers, input, repeats);
            c.secondsConv = medianOf(seconds[0]);
            c.secondsWeight = medianOf(seconds[1]);
            c.secondsOutput = medianOf(seconds[2]);
            c.secondsPair = medianOf(seconds[3]);
            c.measuredOverPredicted = (c.secondsConv / c.secondsPair) / c.predictedSpeedup;
        }
        costs.push_back(c);
    }
    return costs;
}

namespace {
const JsonFields<LayerCost>& costFields()
{
    static const auto f = JsonFields<LayerCost>()
                              .add("index", &LayerCost::index)
                              .add("name", &LayerCost::name)
                              .add("c_in", &LayerCost::cIn)
                              .add("c_out", &LayerCost::cOut)
                              .add("kernel", &LayerCost::kernel)
                              .add("out_h", &LayerCost::outH)
                              .add("out_w", &LayerCost::outW)
                              .add("bias", &LayerCost::bias)
                              .add("basis_count", &LayerCost::basisCount)
                              .add("copies", &LayerCost::copies)
                              .add("pairs", &LayerCost::pairs)
                              .add("alpha", &LayerCost::alpha)
                              .add("beta", &LayerCost::beta)
                              .add("params_full", &LayerCost::paramsFull)
                              .add("params_weight", &LayerCost::paramsWeight)
                              .add("params_output", &LayerCost::paramsOutput)
                              .add("params_pair", &LayerCost::paramsPair)
                              .add("n0f", &LayerCost::n0f)
                              .add("n0b", &LayerCost::n0b)
                              .add("n1f", &LayerCost::n1f)
                              .add("n2f", &LayerCost::n2f)
                              .add("n2b", &LayerCost::n2b)
                              .add("n3f", &LayerCost::n3f)
                              .add("n3b", &LayerCost::n3b)
                              .add("predicted_speedup", &LayerCost::predictedSpeedup)
                              .add("condition_lhs", &LayerCost::conditionLhs)
                              .add("condition_rhs", &LayerCost::conditionRhs)
                              .add("accelerates", &LayerCost::accelerates)
                              .add("flops_conv", &LayerCost::flopsConv)
                              .add("flops_weight", &LayerCost::flopsWeight)
                              .add("flops_output", &LayerCost::flopsOutput)
                              .add("flops_pair", &LayerCost::flopsPair)
                              .add("seconds_conv", &LayerCost::secondsConv)
                              .add("seconds_weight", &LayerCost::secondsWeight)
                              .add("seconds_output", &LayerCost::secondsOutput)
                              .add("seconds_pair", &LayerCost::secondsPair)
                              .add("measured_over_predicted", &LayerCost::measuredOverPredicted);
    return f;
}
} // namespace

QJsonObject toJson(const LayerCost& c)
{
    return costFields().write(c);
}

LayerCost layerCostFromJson(const QJsonObject& json)
{
    return costFields().read(json);
}

namespace {
const JsonFields<CostReport>& reportFields()
{
    static const auto f = JsonFields<CostReport>()
                              .add("model", &CostReport::model)
                              .add("size", &CostReport::size)
                              .add("beta", &CostReport::beta)
                              .objects("layers", &CostReport::layers, costFields());
    return f;
}
} // namespace

QJsonObject toJson(const CostReport& report)
{
    return reportFields().write(report);
}

CostReport costReportFromJson(const QJsonObject& json)
{
    return reportFields().read(json);
}

} // namespace ranklab::basis

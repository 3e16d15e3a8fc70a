#include "core/models/channel_plan.h"

#include <QStringList>

#include "core/error.h"
#include "core/models/surgery.h"

namespace ranklab::models {

namespace {
template <typename T>
std::shared_ptr<T> as(const nn::Layer& root, const std::string& name)
{
    return std::dynamic_pointer_cast<T>(findLayer(root, name));
}

/// Conv entries of a chain of convs (VGG features, LeNet-5): each conv's consumer is the next conv, the
/// last one's is `head`.
void addChain(std::vector<PrunableConv>& out, const std::vector<std::pair<std::string, std::string>>& convsAndNorms,
              const std::string& head)
{
    for (size_t i = 0; i < convsAndNorms.size(); ++i) {
        const bool last = i + 1 == convsAndNorms.size();
        out.push_back({convsAndNorms[i].first, convsAndNorms[i].second, last ? head : convsAndNorms[i + 1].first, last});
    }
}
} // namespace

std::vector<PrunableConv> prunableConvs(const nn::Layer& model)
{
    std::vector<PrunableConv> out;
    const std::string& type = model.name();
    if (type == "VGG") {
        const auto features = model.child("features");
        std::vector<std::pair<std::string, std::string>> chain;
        const auto& slots = features->childLayers();
        for (size_t i = 0; i < slots.size(); ++i) {
            if (!std::dynamic_pointer_cast<nn::Conv2d>(slots[i].second))
                continue;
            std::string norm;
            if (i + 1 < slots.size() && std::dynamic_pointer_cast<nn::BatchNorm>(slots[i + 1].second))
                norm = "features." + slots[i + 1].first;
            chain.emplace_back("features." + slots[i].first, norm);
        }
        const auto classifier = model.child("classifier");
        addChain(out, chain, std::dynamic_pointer_cast<nn::Linear>(classifier) ? "classifier" : "classifier.0");
    } else if (type == "LeNet5") {
        addChain(out, {{"conv1", ""}, {"conv2", ""}}, "fc1");
    } else if (type == "MobileNetV2") {
        // Only the last 1×1 conv: every other conv feeds a depthwise conv (whose groups follow its channels) or an
        // inverted residual's sum. Its consumer is the classifier's Linear, through the 1×1 average pool.
        const auto features = model.child("features");
        const std::string last = "features." + std::to_string(features->childLayers().size() - 1);
        out.push_back({last + ".0", last + ".1", "classifier.1", true});
    } else if (type == "ResNet") {
        for (const auto& [stage, seq] : model.childLayers()) {
            if (stage.rfind("layer", 0) != 0)
                continue;
            for (const auto& [block, layer] : seq->childLayers()) {
                const std::string prefix = stage + "." + block + ".";
                // Inside a block only (the block's output is summed with its shortcut): BasicBlock conv1 → conv2,
                // Bottleneck conv1 → conv2 → conv3.
                if (layer->child("conv1") && layer->child("bn1") && layer->child("conv2"))
                    out.push_back({prefix + "conv1", prefix + "bn1", prefix + "conv2", false});
                if (layer->child("conv3") && layer->child("bn2"))
                    out.push_back({prefix + "conv2", prefix + "bn2", prefix + "conv3", false});
            }
        }
    }
    return out;
}

QString notPrunableReason(const nn::Layer& model, const std::string& conv)
{
    const auto c = as<nn::Conv2d>(model, conv);
    if (!c)
        return QStringLiteral("it is not a convolution");
    if (c->options().groups != 1)
        return QStringLiteral("it is a %1 convolution (groups = %2), and filter pruning narrows convolutions with groups = 1 only "
                              "(removing a depthwise filter removes its input channel too)")
            .arg(c->options().groups == c->options().inChannels ? QStringLiteral("depthwise") : QStringLiteral("grouped"))
            .arg(c->options().groups);
    if (model.name() == "MobileNetV2")
        return QStringLiteral("its output feeds a depthwise convolution or an inverted residual block's sum; in MobileNetV2 "
                              "only the last 1×1 convolution can be pruned");
    return QStringLiteral("its output feeds a residual sum (Li et al. prune the first conv of each residual block)");
}

void keepOutputChannels(nn::Layer& model, const PrunableConv& entry, const torch::Tensor& keep)
{
    torch::NoGradGuard noGrad;
    const auto conv = as<nn::Conv2d>(model, entry.conv);
    if (!conv)
        throw Error("'" + entry.conv + "' is not a convolution.");
    const int64_t before = conv->options().outChannels, k = keep.numel();
    if (k < 1 || k > before)
        throw Error("'" + entry.conv + "' cannot keep " + std::to_string(k) + " of its " + std::to_string(before)
                    + " filters.");
    nn::ConvOptions o = conv->options();
    o.outChannels = k;
    auto narrow = std::make_shared<nn::Conv2d>(o);
    narrow->weight.copy_(conv->weight.index_select(0, keep));
    if (o.bias)
        narrow->bias.copy_(conv->bias.index_select(0, keep));
    narrow->train(conv->is_training()); // replacements keep the mode (eval: BatchNorm uses running stats)
    replaceLayer(model, entry.conv, narrow);

    if (!entry.batchNorm.empty()) {
        const auto bn = as<nn::BatchNorm>(model, entry.batchNorm);
        auto nb = std::make_shared<nn::BatchNorm>(k);
        nb->weight.copy_(bn->weight.index_select(0, keep));
        nb->bias.copy_(bn->bias.index_select(0, keep));
        nb->running_mean.copy_(bn->running_mean.index_select(0, keep));
        nb->running_var.copy_(bn->running_var.index_select(0, keep));
        nb->num_batches_tracked.copy_(bn->num_batches_tracked);
        nb->train(bn->is_training());
        replaceLayer(model, entry.batchNorm, nb);
    }

    if (entry.consumerIsLinear) {
        const auto fc = as<nn::Linear>(model, entry.consumer);
        if (!fc || fc->inFeatures() % before != 0)
            throw Error("'" + entry.consumer + "' does not consume '" + entry.conv + "' through a flatten.");
        // Channel-major flatten: channel c owns input features [c·S, (c+1)·S).
        const int64_t s = fc->inFeatures() / before;
        const torch::Tensor columns = (keep.unsqueeze(1) * s + torch::arange(s, keep.options()).unsqueeze(0)).flatten();
        auto nf = std::make_shared<nn::Linear>(k * s, fc->outFeatures(), fc->bias.defined());
        nf->weight.copy_(fc->weight.index_select(1, columns));
        if (fc->bias.defined())
            nf->bias.copy_(fc->bias);
        nf->train(fc->is_training());
        replaceLayer(model, entry.consumer, nf);
    } else {
        const auto next = as<nn::Conv2d>(model, entry.consumer);
        if (!next || next->options().inChannels != before || next->options().groups != 1)
            throw Error("'" + entry.consumer + "' does not consume '" + entry.conv + "'.");
        nn::ConvOptions no = next->options();
        no.inChannels = k;
        auto nc = std::make_shared<nn::Conv2d>(no);
        nc->weight.copy_(next->weight.index_select(1, keep));
        if (no.bias)
            nc->bias.copy_(next->bias);
        nc->train(next->is_training());
        replaceLayer(model, entry.consumer, nc);
    }
}

QString channelPlanOf(const nn::Layer& model, const nn::Layer& reference)
{
    QStringList parts;
    for (const PrunableConv& p : prunableConvs(model)) {
        const int64_t now = as<nn::Conv2d>(model, p.conv)->options().outChannels;
        const int64_t was = as<nn::Conv2d>(reference, p.conv)->options().outChannels;
        if (now != was)
            parts << QStringLiteral("%1=%2").arg(QString::fromStdString(p.conv)).arg(now);
    }
    return parts.join(QLatin1Char(','));
}

void applyChannelPlan(nn::Layer& model, const QString& plan)
{
    if (plan.trimmed().isEmpty())
        return;
    const std::vector<PrunableConv> prunable = prunableConvs(model);
    for (const QString& part : plan.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList kv = part.split(QLatin1Char('='));
        bool ok = kv.size() == 2;
        const int64_t width = ok ? kv[1].trimmed().toLongLong(&ok) : 0;
        if (!ok)
            throw Error(QStringLiteral("the channel plan entry '%1' is not name=channels.").arg(part));
        const std::string name = kv[0].trimmed().toStdString();
        const PrunableConv* entry = nullptr;
        for (const PrunableConv& p : prunable)
            if (p.conv == name)
                entry = &p;
        if (!entry)
            throw Error(QStringLiteral("the channel plan names '%1', which is not a prunable convolution of this model.")
                            .arg(kv[0].trimmed()));
        const auto conv = as<nn::Conv2d>(model, name);
        if (!conv)
            continue; // replaced already (a basis conv the weights file itself described, built at the plan's width)
        const int64_t current = conv->options().outChannels;
        if (width < 1 || width > current)
            throw Error(QStringLiteral("the channel plan gives '%1' %2 channels; it has %3.")
                            .arg(kv[0].trimmed())
                            .arg(width)
                            .arg(current));
        if (width != current)
            keepOutputChannels(model, *entry, torch::arange(width, torch::kLong));
    }
}

} // namespace ranklab::models

#pragma once
// Internal header (torch types): narrower convolutions — the structure filter pruning leaves behind.

#include <string>
#include <vector>

#include <QString>

#include "core/models/layers.h"

namespace ranklab::models {

/// A conv whose output channels can be removed without touching a residual sum, with the modules that
/// must shrink with it: the BatchNorm that follows it (may be empty) and the one layer that consumes its
/// output (a Conv2d's input channels, or a Linear's input features through a channel-major flatten).
/// Which convs qualify follows Li et al. 2016 ("Pruning Filters for Efficient ConvNets", §4): every conv of
/// a VGG or LeNet-5; in a ResNet only the first conv of each residual block (its output stays inside the
/// block), never a conv that feeds a shortcut sum.
struct PrunableConv {
    std::string conv;
    std::string batchNorm;
    std::string consumer;
    bool consumerIsLinear = false;
};

/// The prunable convs of a zoo model (VGG, LeNet-5, ResNet), in forward order; empty for other models.
std::vector<PrunableConv> prunableConvs(const nn::Layer& model);

/// Why `conv` (a qualified module name) is not among prunableConvs(model), as the end of a sentence
/// "layer N (name) cannot be pruned: …": a grouped/depthwise conv, a conv that feeds a depthwise conv or an
/// inverted residual's sum (MobileNetV2), a conv that feeds a residual sum, or a module that is no conv.
QString notPrunableReason(const nn::Layer& model, const std::string& conv);

/// Keeps only the output channels `keep` (ascending indices) of `entry.conv`: the conv, its BatchNorm and
/// the consumer's matching inputs are replaced by narrower modules holding the kept slices of the weights,
/// so the network computes exactly what it computed with the removed filters' outputs set to zero
/// downstream (up to the BatchNorm shift of removed channels, which pruning drops with them).
void keepOutputChannels(nn::Layer& model, const PrunableConv& entry, const torch::Tensor& keep);

/// "name=C_out,name=C_out" (ModelSpec::channels) of `model`: every prunable conv whose output channels
/// differ from `reference`'s (the unpruned architecture). Empty when nothing is narrower.
QString channelPlanOf(const nn::Layer& model, const nn::Layer& reference);

/// Narrows `model` to `plan` (ModelSpec::channels): each named prunable conv keeps its first C_out channels
/// (the weights are then expected to be loaded from a pruned checkpoint). Convs already at that width are
/// left alone. Throws ranklab::Error for a malformed plan, a name that is not a prunable conv, or a width
/// outside [1, current width].
void applyChannelPlan(nn::Layer& model, const QString& plan);

} // namespace ranklab::models

#include "core/models/zoo.h"

#include <cmath>
#include <map>

#include "core/error.h"
#include "core/models/channel_plan.h"
#include "core/models/resnet.h"
#include "core/models/vgg.h"

namespace ranklab {

QStringList zooModelNames()
{
    return {QStringLiteral("cifar_resnet18"), QStringLiteral("cifar_resnet34"), QStringLiteral("resnet18"),
            QStringLiteral("resnet34"),       QStringLiteral("vgg11"),          QStringLiteral("vgg11_bn"),
            QStringLiteral("vgg13"),          QStringLiteral("vgg13_bn"),       QStringLiteral("vgg16"),
            QStringLiteral("vgg16_bn"),       QStringLiteral("vgg19"),          QStringLiteral("vgg19_bn"),
            QStringLiteral("cifar_vgg11"),    QStringLiteral("cifar_vgg16"),    QStringLiteral("cifar_vgg19"),
            QStringLiteral("lenet300"),       QStringLiteral("lenet5")};
}

ModelSpec defaultModelSpec(const QString& name)
{
    ModelSpec spec;
    spec.name = name;
    if (name.startsWith(QLatin1String("lenet"))) {
        spec.inChannels = 1;
        spec.inputSize = 28;
    } else if (!name.startsWith(QLatin1String("cifar_"))) {
        spec.numClasses = 1000;
        spec.inputSize = 224;
    }
    return spec;
}

namespace models {

int64_t scaledChannels(int64_t channels, double width)
{
    return std::max<int64_t>(1, std::llround(double(channels) * width));
}

namespace {
// torchvision's VGG configurations A, B, D, E; 0 marks a 2×2 max-pool.
const std::map<std::string, std::vector<int>>& vggConfigs()
{
    static const std::map<std::string, std::vector<int>> configs = {
        {"vgg11", {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}},
        {"vgg13", {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}},
        {"vgg16", {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0}},
        {"vgg19", {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0}},
    };
    return configs;
}
} // namespace

std::shared_ptr<nn::Layer> createModel(const ModelSpec& spec)
{
    auto model = createArchitecture(spec);
    applyChannelPlan(*model, spec.channels);
    return model;
}

std::shared_ptr<nn::Layer> createArchitecture(const ModelSpec& spec)
{
    const std::string name = spec.name.toStdString();
    if (spec.numClasses < 1)
        throw Error("the number of classes must be at least 1, not " + std::to_string(spec.numClasses) + ".");
    if (spec.inChannels < 1)
        throw Error("the number of input channels must be at least 1, not " + std::to_string(spec.inChannels) + ".");
    if (spec.inputSize < 1)
        throw Error("the input size must be at least 1 pixel, not " + std::to_string(spec.inputSize) + ".");
    if (!(spec.width > 0) || spec.width > 64)
        throw Error("the width multiplier must be in (0, 64], not " + std::to_string(spec.width) + ".");

    if (name == "resnet18" || name == "cifar_resnet18" || name == "resnet34" || name == "cifar_resnet34") {
        const bool deep = name.find("34") != std::string::npos;
        const bool cifar = name.rfind("cifar_", 0) == 0;
        const int minSize = cifar ? 8 : 32;
        if (spec.inputSize < minSize)
            throw Error("input size " + std::to_string(spec.inputSize) + " is too small for " + name + ": it needs at least "
                        + std::to_string(minSize) + ".");
        return std::make_shared<models::ResNet>(deep ? std::vector<int>{3, 4, 6, 3} : std::vector<int>{2, 2, 2, 2},
                                                spec.numClasses, spec.inChannels, spec.width, cifar);
    }
    std::string base = name;
    bool cifarHead = false, batchNorm = false;
    if (base.rfind("cifar_", 0) == 0) {
        base = base.substr(6);
        cifarHead = batchNorm = true;
    }
    if (!cifarHead && base.size() > 3 && base.compare(base.size() - 3, 3, "_bn") == 0) {
        base = base.substr(0, base.size() - 3);
        batchNorm = true;
    }
    const auto config = vggConfigs().find(base);
    if (config != vggConfigs().end() && zooModelNames().contains(spec.name))
        return std::make_shared<models::Vgg>(config->second, batchNorm, cifarHead, spec.numClasses, spec.inChannels,
                                             spec.inputSize, spec.width);
    if (name == "lenet300")
        return std::make_shared<models::LeNet300>(int64_t(spec.inChannels) * spec.inputSize * spec.inputSize,
                                                  spec.numClasses, spec.width);
    if (name == "lenet5")
        return std::make_shared<models::LeNet5>(spec.inChannels, spec.inputSize, spec.numClasses, spec.width);
    throw Error("unknown model '" + name + "'; known models: " + zooModelNames().join(QStringLiteral(", ")).toStdString() + ".");
}

} // namespace models
} // namespace ranklab

#include "core/models/zoo.h"

#include <cmath>
#include <map>

#include <QFile>

#include "core/error.h"
#include "core/models/channel_plan.h"
#include "core/models/mobilenet.h"
#include "core/models/resnet.h"
#include "core/models/vgg.h"

namespace ranklab {

QStringList zooModelNames()
{
    return {QStringLiteral("cifar_resnet18"), QStringLiteral("cifar_resnet34"), QStringLiteral("cifar_resnet50"),
            QStringLiteral("resnet18"),       QStringLiteral("resnet34"),       QStringLiteral("resnet50"),
            QStringLiteral("vgg11"),          QStringLiteral("vgg11_bn"),
            QStringLiteral("vgg13"),          QStringLiteral("vgg13_bn"),       QStringLiteral("vgg16"),
            QStringLiteral("vgg16_bn"),       QStringLiteral("vgg19"),          QStringLiteral("vgg19_bn"),
            QStringLiteral("cifar_vgg11"),    QStringLiteral("cifar_vgg16"),    QStringLiteral("cifar_vgg19"),
            QStringLiteral("mobilenet_v2"),   QStringLiteral("lenet300"),       QStringLiteral("lenet5")};
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

int64_t smallestInputSide(const std::function<int64_t(int64_t)>& outputSide)
{
    for (int64_t side = 1; side <= (int64_t(1) << 16); ++side)
        if (outputSide(side) >= 1)
            return side;
    return 0;
}

int64_t requireInputSide(const std::string& modelName, int64_t inputSize, const std::function<int64_t(int64_t)>& outputSide)
{
    const int64_t out = outputSide(inputSize);
    if (out >= 1)
        return out;
    const int64_t smallest = smallestInputSide(outputSide);
    throw Error("input size " + std::to_string(inputSize) + " is too small for " + modelName
                + (smallest > 0 ? ": it needs at least " + std::to_string(smallest) + ", the smallest size at which every stage keeps at least one pixel."
                                : ": no input size up to 65536 keeps at least one pixel in every stage."));
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

/// A VGG name split into its configuration and variant: "cifar_vgg16" is vgg16 with the CIFAR head and
/// batch norm, "vgg16_bn" vgg16 with batch norm, "vgg16" the plain one.
struct VggName {
    std::string base;
    bool cifarHead = false, batchNorm = false;
};

VggName parseVggName(const std::string& name)
{
    VggName v{name};
    if (v.base.rfind("cifar_", 0) == 0) {
        v.base = v.base.substr(6);
        v.cifarHead = v.batchNorm = true;
    }
    if (!v.cifarHead && v.base.size() > 3 && v.base.compare(v.base.size() - 3, 3, "_bn") == 0) {
        v.base = v.base.substr(0, v.base.size() - 3);
        v.batchNorm = true;
    }
    return v;
}
} // namespace

std::shared_ptr<nn::Layer> createModel(const ModelSpec& spec)
{
    auto model = createArchitecture(spec);
    applyChannelPlan(*model, spec.channels);
    return model;
}

ModelFootprint estimateFootprint(const ModelSpec& spec)
{
    const std::string name = spec.name.toStdString();
    const double in = spec.inChannels, classes = spec.numClasses, size = spec.inputSize;
    const auto ch = [&](int64_t c) { return double(scaledChannels(c, spec.width)); };
    ModelFootprint f;
    if (name.find("resnet") != std::string::npos) {
        const bool bottleneck = name.find("50") != std::string::npos;
        const bool deep = bottleneck || name.find("34") != std::string::npos;
        const bool cifar = name.rfind("cifar_", 0) == 0;
        const std::vector<int> blocks = deep ? std::vector<int>{3, 4, 6, 3} : std::vector<int>{2, 2, 2, 2};
        double planesIn = ch(64);
        f.parameters = in * planesIn * (cifar ? 9 : 49) + 2 * planesIn;
        const double side = cifar ? size : std::ceil(size / 2);
        f.largestActivation = planesIn * side * side * (bottleneck ? 4 : 1);
        for (int stage = 0; stage < 4; ++stage) {
            const double planes = ch(64 << stage), out = bottleneck ? 4 * planes : planes;
            for (int b = 0; b < blocks[stage]; ++b) {
                if (bottleneck)
                    f.parameters += planesIn * planes + planes * planes * 9 + planes * out + 4 * planes + 2 * out;
                else
                    f.parameters += planesIn * planes * 9 + planes * planes * 9 + 4 * planes;
                if ((b == 0 && stage > 0) || planesIn != out)
                    f.parameters += planesIn * out + 2 * out;
                planesIn = out;
            }
        }
        f.parameters += planesIn * classes + classes;
        return f;
    }
    if (name == "mobilenet_v2") {
        // Conv-BN pairs of the plan; the width multiplier is MobileNetV2's own (makeDivisible), not scaledChannels.
        const MobileNetV2Plan plan = mobileNetV2Plan(spec.width);
        const auto convBn = [&f](double in, double out, double kernel, double groups, double side) {
            f.parameters += in / groups * out * kernel * kernel + 2 * out;
            f.largestActivation = std::max(f.largestActivation, out * side * side);
        };
        f.largestActivation = in * size * size;
        double side = double(nn::windowOutputSide(int64_t(size), 3, 2, 1));
        convBn(in, double(plan.stem), 3, 1, side);
        for (const InvertedResidualConfig& b : plan.blocks) {
            if (b.expand)
                convBn(double(b.in), double(b.hidden), 1, 1, side);
            side = double(nn::windowOutputSide(int64_t(side), 3, b.stride, 1));
            convBn(double(b.hidden), double(b.hidden), 3, double(b.hidden), side);
            convBn(double(b.hidden), double(b.out), 1, 1, side);
        }
        convBn(double(plan.blocks.back().out), double(plan.last), 1, 1, side);
        f.parameters += double(plan.last) * classes + classes;
        return f;
    }
    if (name == "lenet300") {
        const double inF = in * size * size, h1 = ch(300), h2 = ch(100);
        f.parameters = inF * h1 + h1 + h1 * h2 + h2 + h2 * classes + classes;
        f.largestActivation = std::max(inF, h1);
        return f;
    }
    if (name == "lenet5") {
        const double c1 = ch(6), c2 = ch(16), f1 = ch(120), f2 = ch(84);
        const double after = std::max<double>(0, std::floor((std::floor(size / 2) - 4) / 2));
        f.parameters = in * c1 * 25 + c1 + c1 * c2 * 25 + c2 + c2 * after * after * f1 + f1 + f1 * f2 + f2 + f2 * classes + classes;
        f.largestActivation = std::max(in, c1) * size * size;
        return f;
    }
    const VggName vgg = parseVggName(name);
    const bool cifarHead = vgg.cifarHead, batchNorm = vgg.batchNorm;
    const auto config = vggConfigs().find(vgg.base);
    if (config == vggConfigs().end())
        return f;
    double channels = in, side = size;
    for (int c : config->second) {
        if (c == 0) {
            side = std::floor(side / 2);
            continue;
        }
        const double out = ch(c);
        f.parameters += channels * out * 9 + out + (batchNorm ? 2 * out : 0);
        f.largestActivation = std::max(f.largestActivation, out * side * side);
        channels = out;
    }
    if (cifarHead) {
        f.parameters += channels * side * side * classes + classes;
    } else {
        const double hidden = ch(4096);
        f.parameters += channels * 49 * hidden + hidden + hidden * hidden + hidden + hidden * classes + classes;
    }
    return f;
}

double availableMemoryBytes()
{
    double available = 0;
    QFile meminfo(QStringLiteral("/proc/meminfo"));
    if (meminfo.open(QIODevice::ReadOnly)) {
        for (const QByteArray& line : meminfo.readAll().split('\n')) {
            if (line.startsWith("MemAvailable:")) {
                const QList<QByteArray> parts = line.simplified().split(' ');
                if (parts.size() >= 2)
                    available = parts[1].toDouble() * 1024.0;
            }
        }
    }
    const auto readNumber = [](const QString& path, double* out) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return false;
        bool ok = false;
        *out = file.readAll().trimmed().toDouble(&ok);
        return ok;
    };
    double limit = 0, current = 0;
    if (readNumber(QStringLiteral("/sys/fs/cgroup/memory.max"), &limit) // "max" does not parse: no limit
        && readNumber(QStringLiteral("/sys/fs/cgroup/memory.current"), &current)) {
        const double left = std::max(0.0, limit - current);
        available = available > 0 ? std::min(available, left) : left;
    }
    return available;
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
    // Refuse before allocating: an in-range width and input size can still ask for more than the machine
    // has, and the kernel's OOM killer may then kill another process than this one.
    const ModelFootprint footprint = estimateFootprint(spec);
    const double available = availableMemoryBytes();
    if (available > 0 && footprint.buildBytes() > available)
        throw Error(QStringLiteral("model %1 at width %2 and input size %3 needs about %4 GB (%5 million parameters), "
                                   "more than the %6 GB of memory available; choose a smaller width or input size.")
                        .arg(spec.name)
                        .arg(spec.width)
                        .arg(spec.inputSize)
                        .arg(footprint.buildBytes() / 1e9, 0, 'f', 1)
                        .arg(footprint.parameters / 1e6, 0, 'f', 1)
                        .arg(available / 1e9, 0, 'f', 1));

    if (name == "resnet18" || name == "cifar_resnet18" || name == "resnet34" || name == "cifar_resnet34" || name == "resnet50"
        || name == "cifar_resnet50") {
        const bool bottleneck = name.find("50") != std::string::npos;
        const bool deep = bottleneck || name.find("34") != std::string::npos;
        const bool cifar = name.rfind("cifar_", 0) == 0;
        auto model = std::make_shared<models::ResNet>(deep ? std::vector<int>{3, 4, 6, 3} : std::vector<int>{2, 2, 2, 2},
                                                      spec.numClasses, spec.inChannels, spec.width, cifar, bottleneck);
        // The adaptive average pool takes any size: the stages only need to keep a pixel (any size ≥ 1 does).
        requireInputSide(name, spec.inputSize, [&](int64_t side) { return model->outputSide(side); });
        return model;
    }
    const VggName vgg = parseVggName(name);
    const bool cifarHead = vgg.cifarHead, batchNorm = vgg.batchNorm;
    const auto config = vggConfigs().find(vgg.base);
    if (config != vggConfigs().end() && zooModelNames().contains(spec.name))
        return std::make_shared<models::Vgg>(name, config->second, batchNorm, cifarHead, spec.numClasses, spec.inChannels,
                                             spec.inputSize, spec.width);
    if (name == "mobilenet_v2") {
        auto model = std::make_shared<models::MobileNetV2>(spec.numClasses, spec.inChannels, spec.width);
        requireInputSide(name, spec.inputSize, [&](int64_t side) { return model->outputSide(side); });
        return model;
    }
    if (name == "lenet300")
        return std::make_shared<models::LeNet300>(int64_t(spec.inChannels) * spec.inputSize * spec.inputSize,
                                                  spec.numClasses, spec.width);
    if (name == "lenet5")
        return std::make_shared<models::LeNet5>(spec.inChannels, spec.inputSize, spec.numClasses, spec.width);
    throw Error("unknown model '" + name + "'; known models: " + zooModelNames().join(QStringLiteral(", ")).toStdString() + ".");
}

} // namespace models
} // namespace ranklab

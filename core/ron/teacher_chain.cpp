#include "core/ron/teacher_chain.h"

#include <algorithm>

#include <QRegularExpression>
#include <QStringList>

#include "core/error.h"
#include "core/models/mobilenet.h"
#include "core/models/resnet.h"

namespace ranklab::ron {

namespace {
template <class T>
bool isA(const nn::Layer& layer)
{
    return dynamic_cast<const T*>(&layer) != nullptr;
}

/// The chain kind of a module by its type (Identity counts as a no-op like Dropout in eval mode).
ChainOp::Kind kindOf(const nn::Layer& layer, const std::string& name)
{
    using Kind = ChainOp::Kind;
    static const std::pair<bool (*)(const nn::Layer&), Kind> kinds[] = {
        {isA<nn::Conv2d>, Kind::Conv},       {isA<nn::Linear>, Kind::Linear},
        {isA<nn::BatchNorm>, Kind::BatchNorm}, {isA<nn::ReLU>, Kind::ReLU},
        {isA<nn::MaxPool2d>, Kind::MaxPool}, {isA<nn::AdaptiveAvgPool2d>, Kind::AvgPool},
        {isA<nn::Flatten>, Kind::Flatten},   {isA<nn::Dropout>, Kind::Dropout},
        {isA<nn::Identity>, Kind::Dropout},  {isA<models::BasicBlock>, Kind::Block},
        {isA<nn::ReLU6>, Kind::ReLU6},       {isA<models::Bottleneck>, Kind::Opaque},
        {isA<models::InvertedResidual>, Kind::Opaque}};
    for (const auto& [matches, kind] : kinds)
        if (matches(layer))
            return kind;
    throw Error("RON cannot handle module " + name + " of type " + layer.name() + ".");
}

std::shared_ptr<nn::Layer> requireChild(const nn::Layer& parent, const std::string& name)
{
    auto c = parent.child(name);
    if (!c)
        throw Error("the model has no module named '" + name + "', which RON expects in a " + parent.name() + ".");
    return c;
}
} // namespace

int64_t shapeNumel(const std::vector<int64_t>& shape)
{
    int64_t n = 1;
    for (int64_t s : shape)
        n *= s;
    return n;
}

torch::Tensor runBasicBlock(const nn::Layer& block, const torch::Tensor& x, torch::Tensor* inner)
{
    auto relu = requireChild(block, "relu");
    auto out = relu->forward(requireChild(block, "bn1")->forward(requireChild(block, "conv1")->forward(x)));
    if (inner)
        *inner = out;
    out = requireChild(block, "bn2")->forward(requireChild(block, "conv2")->forward(out));
    auto down = block.child("downsample");
    out = out + (down ? down->forward(x) : x);
    return relu->forward(out);
}

TeacherChain::TeacherChain(std::shared_ptr<nn::Layer> model, const ModelInfo& info) : model_(std::move(model)), info_(info)
{
    const nn::Layer& m = *model_;
    const std::string type = m.name();
    // Both LeNets end in flatten → fc1 → relu → fc2 → relu → fc3 (one ReLU module, run twice).
    auto addLeNetClassifier = [this, &m] {
        add(ChainOp::Kind::Flatten, "flatten");
        for (const char* fc : {"fc1", "fc2"}) {
            add(ChainOp::Kind::Linear, fc, requireChild(m, fc));
            add(ChainOp::Kind::ReLU, "relu", requireChild(m, "relu"));
        }
        add(ChainOp::Kind::Linear, "fc3", requireChild(m, "fc3"));
    };
    if (type == "LeNet300") {
        addLeNetClassifier();
    } else if (type == "LeNet5") {
        for (const char* conv : {"conv1", "conv2"}) {
            add(ChainOp::Kind::Conv, conv, requireChild(m, conv));
            add(ChainOp::Kind::ReLU, "relu", requireChild(m, "relu"));
            add(ChainOp::Kind::MaxPool, "pool", requireChild(m, "pool"));
        }
        addLeNetClassifier();
    } else if (type == "VGG") {
        addSequential("features", *requireChild(m, "features"));
        if (auto pool = m.child("avgpool"))
            add(ChainOp::Kind::AvgPool, "avgpool", pool);
        add(ChainOp::Kind::Flatten, "flatten");
        auto head = requireChild(m, "classifier");
        if (dynamic_cast<const nn::Sequential*>(head.get()))
            addSequential("classifier", *head);
        else
            add(kindOf(*head, "classifier"), "classifier", head);
    } else if (type == "ResNet") {
        add(ChainOp::Kind::Conv, "conv1", requireChild(m, "conv1"));
        add(ChainOp::Kind::BatchNorm, "bn1", requireChild(m, "bn1"));
        add(ChainOp::Kind::ReLU, "relu", requireChild(m, "relu"));
        if (auto pool = m.child("maxpool"))
            add(ChainOp::Kind::MaxPool, "maxpool", pool);
        for (const char* stage : {"layer1", "layer2", "layer3", "layer4"})
            addSequential(stage, *requireChild(m, stage));
        add(ChainOp::Kind::AvgPool, "avgpool", requireChild(m, "avgpool"));
        add(ChainOp::Kind::Flatten, "flatten");
        add(ChainOp::Kind::Linear, "fc", requireChild(m, "fc"));
    } else if (type == "MobileNetV2") {
        // features.0 and features.18 are Conv-BN-ReLU6 Sequentials (their ops join the chain), 1–17 inverted residual
        // blocks; the average pool is functional in MobileNetV2's forward, so the chain holds its own.
        const auto features = requireChild(m, "features");
        for (const auto& [childName, layer] : features->childLayers()) {
            const std::string name = "features." + childName;
            if (dynamic_cast<const nn::Sequential*>(layer.get()))
                addSequential(name, *layer);
            else
                add(kindOf(*layer, name), name, layer);
        }
        add(ChainOp::Kind::AvgPool, "avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
        add(ChainOp::Kind::Flatten, "flatten");
        addSequential("classifier", *requireChild(m, "classifier"));
    } else {
        throw Error("RON does not know the layout of " + type + " models (it handles LeNet, VGG, ResNet and MobileNetV2).");
    }

    for (ChainOp& op : ops_) {
        const bool isBlock = op.kind == ChainOp::Kind::Block || op.kind == ChainOp::Kind::Opaque;
        if (op.kind != ChainOp::Kind::Conv && op.kind != ChainOp::Kind::Linear && !isBlock)
            continue;
        const QString name = QString::fromStdString(op.name);
        for (const LayerInfo& l : info_.layers)
            if (l.name == name || (isBlock && l.name.startsWith(name + QLatin1Char('.'))))
                op.registryIndices.push_back(l.index);
        if (op.registryIndices.empty())
            throw Error("the layer registry does not list " + op.name + ".");
    }
    buildUnits();
}

void TeacherChain::add(ChainOp::Kind kind, const std::string& name, std::shared_ptr<nn::Layer> layer)
{
    ops_.push_back({kind, name, std::move(layer), {}});
}

void TeacherChain::addSequential(const std::string& prefix, const nn::Layer& seq)
{
    for (const auto& [childName, layer] : seq.childLayers()) {
        const std::string name = prefix + "." + childName;
        add(kindOf(*layer, name), name, layer);
    }
}

void TeacherChain::buildUnits()
{
    for (int i = 0; i < int(ops_.size()); ++i) {
        const ChainOp& op = ops_[size_t(i)];
        const bool starts = op.kind == ChainOp::Kind::Conv || op.kind == ChainOp::Kind::Linear
                            || op.kind == ChainOp::Kind::Block || op.kind == ChainOp::Kind::Opaque;
        if (!starts)
            continue;
        ChainUnit unit;
        unit.firstOp = unit.lastOp = i;
        unit.name = op.name;
        unit.block = op.kind == ChainOp::Kind::Block;
        unit.opaque = op.kind == ChainOp::Kind::Opaque;
        unit.firstIndex = *std::min_element(op.registryIndices.begin(), op.registryIndices.end());
        unit.lastIndex = *std::max_element(op.registryIndices.begin(), op.registryIndices.end());
        if (!unit.block && !unit.opaque)
            for (int j = i + 1; j < int(ops_.size()); ++j) {
                const auto k = ops_[size_t(j)].kind;
                if (k != ChainOp::Kind::BatchNorm && k != ChainOp::Kind::ReLU && k != ChainOp::Kind::ReLU6 && k != ChainOp::Kind::MaxPool
                    && k != ChainOp::Kind::Dropout && k != ChainOp::Kind::Flatten)
                    break;
                unit.lastOp = j;
            }
        units_.push_back(unit);
    }
}

torch::Tensor TeacherChain::run(const torch::Tensor& x, int from, int to,
                                const std::function<void(int, const torch::Tensor&)>& onOutput,
                                const std::function<void(int, const torch::Tensor&)>& onInner) const
{
    torch::Tensor y = x;
    for (int i = from; i < to; ++i) {
        const ChainOp& op = ops_[size_t(i)];
        if (op.kind == ChainOp::Kind::Flatten) {
            y = y.flatten(1);
        } else if (op.kind == ChainOp::Kind::Block) {
            torch::Tensor inner;
            y = runBasicBlock(*op.layer, y, onInner ? &inner : nullptr);
            if (onInner)
                onInner(i, inner);
        } else {
            y = op.layer->forward(y);
        }
        if (onOutput)
            onOutput(i, y);
    }
    return y;
}

int TeacherChain::unitOfIndex(int index) const
{
    for (int u = 0; u < int(units_.size()); ++u)
        if (index >= units_[size_t(u)].firstIndex && index <= units_[size_t(u)].lastIndex)
            return u;
    return -1;
}

int TeacherChain::resolveBound(const QString& token, bool first) const
{
    const std::string name = token.trimmed().toStdString();
    for (int u = 0; u < int(units_.size()); ++u)
        if (units_[size_t(u)].name == name)
            return u;
    const QVector<int> indices = resolveLayerSelection(info_, token.trimmed());
    if (indices.size() != 1)
        throw OptionError(QStringLiteral("'%1' names more than one layer; give one layer per end of the range.").arg(token));
    const int index = indices.first();
    const int u = unitOfIndex(index);
    if (u < 0)
        throw OptionError(QStringLiteral("layer %1 belongs to no unit RON can replace.").arg(index));
    const ChainUnit& unit = units_[size_t(u)];
    const int edge = first ? unit.firstIndex : unit.lastIndex;
    if (index != edge)
        throw OptionError(QStringLiteral("layer %1 (%2) %3 %4 (layers %5 to %6); the range must %7 at layer %8.")
                        .arg(index)
                        .arg(info_.layers[index - 1].name)
                        .arg(unit.block ? QStringLiteral("cuts the residual block") : QStringLiteral("is inside the unit"))
                        .arg(QString::fromStdString(unit.name))
                        .arg(unit.firstIndex)
                        .arg(unit.lastIndex)
                        .arg(first ? QStringLiteral("start") : QStringLiteral("end"))
                        .arg(edge));
    return u;
}

std::pair<int, int> TeacherChain::resolveUnitRange(const QString& text) const
{
    const QString t = text.trimmed();
    if (t.contains(QLatin1Char(',')) || t.contains(QRegularExpression(QStringLiteral("\\s"))))
        throw OptionError(QStringLiteral("the modified layers must be one contiguous range K1-K2, not '%1'.").arg(text));
    const QStringList parts = t.split(QLatin1Char('-'));
    if (t.isEmpty() || parts.size() > 2 || parts.contains(QString()))
        throw OptionError(QStringLiteral("'%1' is not a layer range; write K1-K2 with registry indices or names.").arg(text));
    const int first = resolveBound(parts.first(), true);
    const int last = resolveBound(parts.last(), false);
    if (last < first)
        throw OptionError(QStringLiteral("the layer range '%1' is reversed; write the earlier layer first.").arg(text));
    return {first, last};
}

std::vector<std::pair<int, bool>> TeacherChain::resolveCapturePoints(const QString& selection) const
{
    std::vector<std::pair<int, bool>> points;
    auto push = [&points](int unit, bool inner) {
        if (std::find(points.begin(), points.end(), std::make_pair(unit, inner)) == points.end())
            points.emplace_back(unit, inner);
    };
    const QStringList tokens = selection.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts);
    if (tokens.isEmpty())
        throw OptionError("the layer selection is empty; give indices (4,15 or 1-5), names (features.10, layer3.1) or 'all'.");
    for (const QString& token : tokens) {
        bool isUnit = false;
        for (int u = 0; u < int(units_.size()); ++u)
            if (QString::fromStdString(units_[size_t(u)].name) == token) {
                push(u, false);
                isUnit = true;
            }
        if (isUnit)
            continue;
        if (token == QLatin1String("all")) {
            for (int u = 0; u < int(units_.size()); ++u) {
                if (units_[size_t(u)].block)
                    push(u, true);
                push(u, false);
            }
            continue;
        }
        for (int index : resolveLayerSelection(info_, token)) {
            const int u = unitOfIndex(index);
            if (u < 0)
                throw OptionError(QStringLiteral("layer %1 belongs to no unit RON can analyse.").arg(index));
            push(u, units_[size_t(u)].block && index == units_[size_t(u)].firstIndex);
        }
    }
    std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : a.second > b.second; // inner before the block output
    });
    return points;
}

} // namespace ranklab::ron

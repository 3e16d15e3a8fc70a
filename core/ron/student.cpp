#include "core/ron/student.h"

#include <mutex>

#include "core/models/structured_model.h"

#include <QJsonArray>
#include <QStringList>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/export.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/train/train_params.h"

namespace ranklab::ron {

namespace {
/// A named container that only holds teacher modules under their original names (never run itself).
class ModuleHolder final : public nn::Layer {
public:
    ModuleHolder() : Layer("ModuleHolder") {}
    torch::Tensor forward(const torch::Tensor&) override { throw Error("a module holder is not a layer to run."); }
    void put(const std::string& name, std::shared_ptr<nn::Layer> layer) { addLayer(name, std::move(layer)); }
};

QJsonArray toJsonArray(const std::vector<int64_t>& v)
{
    QJsonArray a;
    for (int64_t x : v)
        a.append(double(x));
    return a;
}

std::vector<int64_t> fromJsonArray(const QJsonArray& a)
{
    std::vector<int64_t> v;
    for (const auto& x : a)
        v.push_back(int64_t(x.toDouble()));
    return v;
}

std::shared_ptr<nn::BatchNorm> identityBatchNorm(int64_t features)
{
    auto bn = std::make_shared<nn::BatchNorm>(features, false);
    torch::NoGradGuard noGrad;
    bn->running_var.fill_(1.0 - bn->eps()); // (x − 0)/sqrt(1 − eps + eps)·1 + 0 = x in eval mode
    return bn;
}

void calibrate(nn::BatchNorm& bn, const torch::Tensor& pre)
{
    torch::NoGradGuard noGrad;
    const auto mean = pre.mean(0);
    const auto var = pre.var(0, /*unbiased=*/false);
    bn.running_mean.copy_(mean);
    bn.running_var.copy_(var);
    bn.weight.copy_((var + bn.eps()).sqrt());
    bn.bias.copy_(mean);
}
} // namespace

RonStage::RonStage(const StageConfig& config) : Layer("RonStage"), config_(config)
{
    if (config.in < 1 || config.out < 1 || (config.group != 1 && config.group != 4) || (config.residual && config.hidden < 1))
        throw Error("a RON student stage has an invalid shape.");
    if (!config.residual) {
        fc = std::make_shared<nn::Linear>(config.in, config.out * config.group, true);
        addLayer("fc", fc);
        if (config.batchNorm)
            addLayer("bn", bn = identityBatchNorm(config.out * config.group));
        return;
    }
    fc1 = std::make_shared<nn::Linear>(config.in, config.hidden, true);
    addLayer("fc1", fc1);
    if (config.batchNorm)
        addLayer("bn1", bn1 = identityBatchNorm(config.hidden));
    fc2 = std::make_shared<nn::Linear>(config.hidden, config.out, true);
    addLayer("fc2", fc2);
    shortcut = std::make_shared<nn::Linear>(config.in, config.out, false);
    addLayer("shortcut", shortcut);
    if (config.batchNorm)
        addLayer("bn2", bn2 = identityBatchNorm(config.out));
}

torch::Tensor RonStage::pool(const torch::Tensor& y) const
{
    if (config_.group == 1)
        return y;
    return std::get<0>(y.view({y.size(0), config_.out, config_.group}).max(2));
}

torch::Tensor RonStage::forwardWithInner(const torch::Tensor& input, torch::Tensor* inner)
{
    const auto x = config_.dropout > 0 ? torch::dropout(input, config_.dropout, is_training()) : input;
    if (!config_.residual) {
        auto y = fc->forward(x);
        if (bn)
            y = bn->forward(y);
        if (config_.relu)
            y = torch::relu(y);
        return pool(y);
    }
    auto h = fc1->forward(x);
    if (bn1)
        h = bn1->forward(h);
    h = torch::relu(h);
    if (inner)
        *inner = h;
    auto y = fc2->forward(h) + shortcut->forward(x);
    if (bn2)
        y = bn2->forward(y);
    return torch::relu(y);
}

torch::Tensor RonStage::calibrateBatchNorm(const torch::Tensor& x)
{
    torch::NoGradGuard noGrad;
    if (!config_.residual) {
        auto y = fc->forward(x);
        if (bn) {
            calibrate(*bn, y);
            y = bn->forward(y);
        }
        return pool(config_.relu ? torch::relu(y) : y);
    }
    auto h = fc1->forward(x);
    if (bn1) {
        calibrate(*bn1, h);
        h = bn1->forward(h);
    }
    h = torch::relu(h);
    auto y = fc2->forward(h) + shortcut->forward(x);
    if (bn2) {
        calibrate(*bn2, y);
        y = bn2->forward(y);
    }
    return torch::relu(y);
}

RonReduced::RonReduced(const std::vector<StageConfig>& configs, std::vector<int64_t> outShape)
    : Layer("RonReduced"), outShape_(std::move(outShape))
{
    if (configs.empty())
        throw Error("a RON student needs at least one stage.");
    for (size_t i = 0; i < configs.size(); ++i) {
        stages.push_back(std::make_shared<RonStage>(configs[i]));
        addLayer(std::to_string(i), stages.back());
    }
    restore = std::make_shared<nn::Linear>(configs.back().out, shapeNumel(outShape_), false);
    addLayer("restore", restore);
}

torch::Tensor RonReduced::forwardStages(
    const torch::Tensor& x, const std::function<void(size_t, const torch::Tensor&, const torch::Tensor&)>& onStage)
{
    torch::Tensor s = x.flatten(1);
    for (size_t k = 0; k < stages.size(); ++k) {
        torch::Tensor inner;
        s = stages[k]->forwardWithInner(s, onStage ? &inner : nullptr);
        if (onStage)
            onStage(k, s, inner);
    }
    return s;
}

torch::Tensor RonReduced::forward(const torch::Tensor& x)
{
    const auto s = forwardStages(x, {});
    std::vector<int64_t> shape{s.size(0)};
    shape.insert(shape.end(), outShape_.begin(), outShape_.end());
    return restore->forward(s).view(shape);
}

RonStudent::RonStudent(std::shared_ptr<TeacherChain> chain, int firstUnit, int lastUnit, std::shared_ptr<RonReduced> reduced)
    : Layer("RonStudent"), chain_(std::move(chain)), reduced_(std::move(reduced))
{
    headEnd_ = chain_->units().at(size_t(firstUnit)).firstOp;
    tailStart_ = chain_->units().at(size_t(lastUnit)).lastOp + 1;
    for (int i = 0; i < int(chain_->ops().size()); ++i) {
        const ChainOp& op = chain_->ops()[size_t(i)];
        if ((i < headEnd_ || i >= tailStart_) && op.layer)
            registerTeacherModule(op.name, op.layer);
    }
    addLayer("ron", reduced_);
}

void RonStudent::registerTeacherModule(const std::string& qualifiedName, std::shared_ptr<nn::Layer> layer)
{
    const QStringList parts = QString::fromStdString(qualifiedName).split(QLatin1Char('.'));
    nn::Layer* node = this;
    for (int i = 0; i + 1 < parts.size(); ++i) {
        const std::string part = parts[i].toStdString();
        auto next = node->child(part);
        if (!next) {
            auto holder = std::make_shared<ModuleHolder>();
            if (node == this)
                addLayer(part, holder);
            else
                static_cast<ModuleHolder*>(node)->put(part, holder);
            next = holder;
        }
        node = next.get();
    }
    const std::string leaf = parts.last().toStdString();
    if (node->child(leaf))
        return; // a module the teacher runs twice (LeNet's shared ReLU)
    if (node == this)
        addLayer(leaf, std::move(layer));
    else
        static_cast<ModuleHolder*>(node)->put(leaf, std::move(layer));
}

torch::Tensor RonStudent::headForward(const torch::Tensor& x) const
{
    return chain_->run(x, 0, headEnd_);
}

torch::Tensor RonStudent::forward(const torch::Tensor& x)
{
    const auto y = reduced_->forward(headForward(x));
    return chain_->run(y, tailStart_, int(chain_->ops().size()));
}

QJsonObject studentStructureJson(const ModelSpec& teacher, int firstIndex, int lastIndex,
                                 const std::vector<StageConfig>& stages, const std::vector<int64_t>& outShape)
{
    QJsonArray stageArray;
    for (const StageConfig& s : stages)
        stageArray.append(QJsonObject{{QStringLiteral("name"), QString::fromStdString(s.name)},
                                      {QStringLiteral("residual"), s.residual},
                                      {QStringLiteral("in"), double(s.in)},
                                      {QStringLiteral("hidden"), double(s.hidden)},
                                      {QStringLiteral("out"), double(s.out)},
                                      {QStringLiteral("group"), s.group},
                                      {QStringLiteral("relu"), s.relu},
                                      {QStringLiteral("batch_norm"), s.batchNorm},
                                      {QStringLiteral("dropout"), s.dropout},
                                      {QStringLiteral("rows"), toJsonArray(s.rows)},
                                      {QStringLiteral("inner_rows"), toJsonArray(s.innerRows)}});
    QJsonObject spec = toJson(teacher);
    spec.insert(QStringLiteral("channels"), teacher.channels); // a pruned teacher's plan ("" if none), as format 1 stores it
    return QJsonObject{{QStringLiteral("format"), 1},
                       {QStringLiteral("teacher"), spec},
                       {QStringLiteral("first_index"), firstIndex},
                       {QStringLiteral("last_index"), lastIndex},
                       {QStringLiteral("stages"), stageArray},
                       {QStringLiteral("restore"),
                        QJsonObject{{QStringLiteral("in"), double(stages.back().out)},
                                    {QStringLiteral("out_shape"), toJsonArray(outShape)}}}};
}

std::shared_ptr<RonStudent> createStudent(const QJsonObject& structure, ModelSpec* teacherSpec)
{
    if (structure.value(QStringLiteral("format")).toInt() != 1)
        throw Error("the RON student description has an unknown format.");
    const QJsonObject t = structure.value(QStringLiteral("teacher")).toObject();
    const ModelSpec spec = modelSpecFromJson(t);
    if (teacherSpec)
        *teacherSpec = spec;
    auto teacher = models::createModel(spec);
    const ModelInfo info = models::describeModule(*teacher, spec);
    auto chain = std::make_shared<TeacherChain>(teacher, info);
    const auto [first, last] = chain->resolveUnitRange(QStringLiteral("%1-%2")
                                                           .arg(structure.value(QStringLiteral("first_index")).toInt())
                                                           .arg(structure.value(QStringLiteral("last_index")).toInt()));
    std::vector<StageConfig> stages;
    for (const auto& v : structure.value(QStringLiteral("stages")).toArray()) {
        const QJsonObject o = v.toObject();
        StageConfig s;
        s.name = o.value(QStringLiteral("name")).toString().toStdString();
        s.residual = o.value(QStringLiteral("residual")).toBool();
        s.in = int64_t(o.value(QStringLiteral("in")).toDouble());
        s.hidden = int64_t(o.value(QStringLiteral("hidden")).toDouble());
        s.out = int64_t(o.value(QStringLiteral("out")).toDouble());
        s.group = o.value(QStringLiteral("group")).toInt(1);
        s.relu = o.value(QStringLiteral("relu")).toBool(true);
        s.batchNorm = o.value(QStringLiteral("batch_norm")).toBool();
        s.dropout = o.value(QStringLiteral("dropout")).toDouble();
        s.rows = fromJsonArray(o.value(QStringLiteral("rows")).toArray());
        s.innerRows = fromJsonArray(o.value(QStringLiteral("inner_rows")).toArray());
        stages.push_back(s);
    }
    if (int(stages.size()) != last - first + 1)
        throw Error("the RON student description has a stage count that does not match its layer range.");
    const auto outShape = fromJsonArray(structure.value(QStringLiteral("restore")).toObject().value(QStringLiteral("out_shape")).toArray());
    if (outShape.empty())
        throw Error("the RON student description has no output shape.");
    return std::make_shared<RonStudent>(chain, first, last, std::make_shared<RonReduced>(stages, outShape));
}

void saveStudent(const RonStudent& student, const QJsonObject& structure, const QString& path)
{
    io::Checkpoint checkpoint;
    checkpoint.model = io::moduleStateDict(student);
    checkpoint.meta = QJsonObject{{QStringLiteral("kind"), QStringLiteral("ron_student")},
                                  {QStringLiteral("ron_student"), structure}};
    io::writeCheckpoint(path, checkpoint);
}

QJsonObject studentStructureOf(const QString& weightsPath)
{
    try {
        return io::readCheckpoint(weightsPath).meta.value(QStringLiteral("ron_student")).toObject();
    } catch (const Error&) {
        return {};
    }
}

std::shared_ptr<nn::Layer> createModelForWeights(const ModelSpec& spec, const QString& weightsPath)
{
    const QJsonObject structure = studentStructureOf(weightsPath);
    if (structure.isEmpty())
        return models::createModel(spec);
    ModelSpec teacher;
    auto student = createStudent(structure, &teacher);
    if (teacher.name != spec.name || teacher.numClasses != spec.numClasses || teacher.inChannels != spec.inChannels
        || teacher.inputSize != spec.inputSize || teacher.width != spec.width)
        throw Error(QStringLiteral("%1 is a RON student of %2 (%3 classes, %4×%5×%5 input, width %6), which does not "
                                   "match the model options given.")
                        .arg(weightsPath, teacher.name)
                        .arg(teacher.numClasses)
                        .arg(teacher.inChannels)
                        .arg(teacher.inputSize)
                        .arg(teacher.width));
    return student;
}

namespace {
/// The TorchScript forward of a student's modules (io::exportTorchScript): eq. (14)/(16) stage by stage, the
/// restoring map, and the teacher's ops before and after the range as TeacherChain::run runs them.
std::optional<std::string> studentScriptForward(const nn::Layer& layer)
{
    std::string s = "def forward(self, x: Tensor) -> Tensor:\n";
    if (dynamic_cast<const ModuleHolder*>(&layer))
        return std::string(); // holds teacher modules under their names; never run itself
    if (const auto* stage = dynamic_cast<const RonStage*>(&layer)) {
        const StageConfig& c = stage->config();
        if (c.dropout > 0)
            s += "    x = torch.dropout(x, " + QString::number(c.dropout, 'g', 17).toStdString() + ", self.training)\n";
        if (!c.residual) {
            s += "    y = self.fc.forward(x)\n";
            if (stage->bn)
                s += "    y = self.bn.forward(y)\n";
            if (c.relu)
                s += "    y = torch.relu(y)\n";
            if (c.group != 1)
                s += "    y = torch.max(y.view([y.size(0), " + std::to_string(c.out) + ", " + std::to_string(c.group) + "]), 2)[0]\n";
            return s + "    return y\n";
        }
        s += "    h = self.fc1.forward(x)\n";
        if (stage->bn1)
            s += "    h = self.bn1.forward(h)\n";
        s += "    h = torch.relu(h)\n    y = self.fc2.forward(h) + self.shortcut.forward(x)\n";
        if (stage->bn2)
            s += "    y = self.bn2.forward(y)\n";
        return s + "    return torch.relu(y)\n";
    }
    if (const auto* reduced = dynamic_cast<const RonReduced*>(&layer)) {
        s += "    s = torch.flatten(x, 1)\n";
        for (size_t k = 0; k < reduced->stages.size(); ++k)
            s += "    s = " + io::scriptChild(std::to_string(k)) + ".forward(s)\n";
        std::string shape = "[s.size(0)";
        for (int64_t d : reduced->outShape())
            shape += ", " + std::to_string(d);
        return s + "    return self.restore.forward(s).view(" + shape + "])\n";
    }
    if (const auto* student = dynamic_cast<const RonStudent*>(&layer)) {
        const auto& ops = student->chain().ops();
        const auto run = [&](int from, int to) {
            for (int i = from; i < to; ++i) {
                const ChainOp& op = ops[size_t(i)];
                s += op.kind == ChainOp::Kind::Flatten ? std::string("    x = torch.flatten(x, 1)\n")
                                                       : "    x = " + io::scriptChild(op.name) + ".forward(x)\n";
            }
        };
        run(0, student->headEnd());
        s += "    x = self.ron.forward(x)\n";
        run(student->tailStart(), int(ops.size()));
        return s + "    return x\n";
    }
    return std::nullopt;
}
} // namespace

void registerStudentModels()
{
    static std::once_flag once;
    std::call_once(once, [] {
        io::registerScriptForward(studentScriptForward);
        models::registerStructuredModelFactory([](const ModelSpec& spec, const QString& path) -> std::shared_ptr<nn::Layer> {
            if (studentStructureOf(path).isEmpty())
                return nullptr;
            return createModelForWeights(spec, path);
        });
    });
}

} // namespace ranklab::ron

#include "core/io/export.h"

#include <mutex>
#include <sstream>
#include <vector>

#include <torch/csrc/jit/api/module.h>
#include <torch/torch.h>

#include <QFileInfo>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/torch_pickle.h"
#include "core/io/weights.h"
#include "core/models/mobilenet.h"
#include "core/models/resnet.h"
#include "core/models/structured_model.h"
#include "core/models/vgg.h"
#include "ranklab/version.h"

namespace ranklab::io {

namespace {
std::mutex gForwardsMutex;
std::vector<ScriptForward>& registeredForwards()
{
    static std::vector<ScriptForward> list;
    return list;
}

std::string num(int64_t v) { return std::to_string(v); }
std::string pair(int64_t v) { return "[" + num(v) + ", " + num(v) + "]"; }
std::string real(double v)
{
    std::ostringstream os;
    os.precision(17);
    os << v;
    std::string s = os.str();
    return s.find_first_of(".e") == std::string::npos ? s + ".0" : s;
}
/// `self.<name>` when the tensor is defined, else None (a conv or linear without bias).
std::string optional(const torch::Tensor& t, const std::string& name) { return t.defined() ? "self." + name : "None"; }

const char* kHead = "def forward(self, x: Tensor) -> Tensor:\n";

/// The forwards of models/: the layers of layers.h and the zoo architectures.
std::optional<std::string> builtinForward(const nn::Layer& layer)
{
    using namespace models;
    std::string s = kHead;
    if (const auto* c = dynamic_cast<const nn::Conv2d*>(&layer)) {
        const nn::ConvOptions& o = c->options();
        return s + "    return torch.conv2d(x, self.weight, " + optional(c->bias, "bias") + ", " + pair(o.stride) + ", "
               + pair(o.padding) + ", " + pair(o.dilation) + ", " + num(o.groups) + ")\n";
    }
    if (const auto* l = dynamic_cast<const nn::Linear*>(&layer))
        return s + "    if x.dim() > 2:\n        x = torch.flatten(x, 1)\n    return torch.linear(x, self.weight, "
               + optional(l->bias, "bias") + ")\n";
    if (const auto* b = dynamic_cast<const nn::BatchNorm*>(&layer))
        return s + "    if self.training:\n        self.num_batches_tracked.add_(1)\n"
                   "    return torch.batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var, "
                   "self.training, 0.1, " + real(b->eps()) + ", True)\n";
    if (dynamic_cast<const nn::ReLU*>(&layer))
        return s + "    return torch.relu(x)\n";
    if (dynamic_cast<const nn::ReLU6*>(&layer))
        return s + "    return torch.hardtanh(x, 0.0, 6.0)\n";
    if (const auto* p = dynamic_cast<const nn::MaxPool2d*>(&layer))
        return s + "    return torch.max_pool2d(x, " + pair(p->kernel()) + ", " + pair(p->stride()) + ", " + pair(p->padding())
               + ", [1, 1], False)\n";
    if (const auto* p = dynamic_cast<const nn::AdaptiveAvgPool2d*>(&layer))
        return s + "    return torch.adaptive_avg_pool2d(x, " + pair(p->outputSize()) + ")\n";
    if (const auto* d = dynamic_cast<const nn::Dropout*>(&layer))
        return s + "    return torch.dropout(x, " + real(d->p()) + ", self.training)\n";
    if (dynamic_cast<const nn::Flatten*>(&layer))
        return s + "    return torch.flatten(x, 1)\n";
    if (dynamic_cast<const nn::Identity*>(&layer))
        return s + "    return x\n";
    if (const auto* q = dynamic_cast<const nn::Sequential*>(&layer)) {
        for (size_t i = 0; i < q->size(); ++i)
            s += "    x = " + scriptChild(std::to_string(i)) + ".forward(x)\n";
        return s + "    return x\n";
    }
    if (dynamic_cast<const LeNet300*>(&layer))
        return s + "    x = torch.relu(self.fc1.forward(torch.flatten(x, 1)))\n"
                   "    x = torch.relu(self.fc2.forward(x))\n"
                   "    return self.fc3.forward(x)\n";
    if (dynamic_cast<const LeNet5*>(&layer))
        return s + "    x = self.pool.forward(self.relu.forward(self.conv1.forward(x)))\n"
                   "    x = self.pool.forward(self.relu.forward(self.conv2.forward(x)))\n"
                   "    x = self.relu.forward(self.fc1.forward(torch.flatten(x, 1)))\n"
                   "    x = self.relu.forward(self.fc2.forward(x))\n"
                   "    return self.fc3.forward(x)\n";
    if (dynamic_cast<const Vgg*>(&layer))
        return s + "    x = self.features.forward(x)\n" + (layer.child("avgpool") ? "    x = self.avgpool.forward(x)\n" : "")
               + "    return self.classifier.forward(torch.flatten(x, 1))\n";
    if (dynamic_cast<const BasicBlock*>(&layer))
        return s + "    out = self.relu.forward(self.bn1.forward(self.conv1.forward(x)))\n"
                   "    out = self.bn2.forward(self.conv2.forward(out))\n"
               + (layer.child("downsample") ? "    out = out + self.downsample.forward(x)\n" : "    out = out + x\n")
               + "    return self.relu.forward(out)\n";
    if (dynamic_cast<const Bottleneck*>(&layer))
        return s + "    out = self.relu.forward(self.bn1.forward(self.conv1.forward(x)))\n"
                   "    out = self.relu.forward(self.bn2.forward(self.conv2.forward(out)))\n"
                   "    out = self.bn3.forward(self.conv3.forward(out))\n"
               + (layer.child("downsample") ? "    out = out + self.downsample.forward(x)\n" : "    out = out + x\n")
               + "    return self.relu.forward(out)\n";
    if (const auto* b = dynamic_cast<const InvertedResidual*>(&layer))
        return s + (b->residual() ? "    return x + self.conv.forward(x)\n" : "    return self.conv.forward(x)\n");
    if (dynamic_cast<const MobileNetV2*>(&layer))
        return s + "    x = self.features.forward(x)\n"
                   "    x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)\n"
                   "    return self.classifier.forward(x)\n";
    if (dynamic_cast<const ResNet*>(&layer))
        return s + "    x = self.relu.forward(self.bn1.forward(self.conv1.forward(x)))\n"
               + (layer.child("maxpool") ? "    x = self.maxpool.forward(x)\n" : "")
               + "    x = self.layer4.forward(self.layer3.forward(self.layer2.forward(self.layer1.forward(x))))\n"
                 "    x = torch.flatten(self.avgpool.forward(x), 1)\n"
                 "    return self.fc.forward(x)\n";
    return std::nullopt;
}

std::string scriptForward(const nn::Layer& layer)
{
    std::vector<ScriptForward> list{builtinForward};
    {
        const std::lock_guard<std::mutex> lock(gForwardsMutex);
        list.insert(list.end(), registeredForwards().begin(), registeredForwards().end());
    }
    for (const ScriptForward& f : list)
        if (std::optional<std::string> source = f(layer))
            return *source;
    throw Error(QStringLiteral("TorchScript export does not support layer %1 yet.").arg(QString::fromStdString(layer.name())));
}

/// The TorchScript module of `layer` and its children, with copies of their parameters (trainable) and buffers.
torch::jit::Module scriptModule(const nn::Layer& layer, const std::shared_ptr<torch::jit::CompilationUnit>& cu)
{
    const std::string source = scriptForward(layer); // refuses an unsupported layer before anything is built
    torch::jit::Module m(c10::QualifiedName("__torch__.ranklab." + layer.name()), cu, /*shouldMangle=*/true);
    m.register_attribute("training", c10::BoolType::get(), false);
    for (const auto& p : layer.named_parameters(/*recurse=*/false))
        if (p.value().defined()) {
            torch::Tensor t = p.value().detach().to(torch::kCPU).clone();
            m.register_parameter(p.key(), t.is_floating_point() ? t.requires_grad_(true) : t, /*is_buffer=*/false);
        }
    for (const auto& b : layer.named_buffers(/*recurse=*/false))
        if (b.value().defined())
            m.register_buffer(b.key(), b.value().detach().to(torch::kCPU).clone());
    for (const auto& c : layer.named_children()) {
        const auto* child = dynamic_cast<const nn::Layer*>(c.value().get());
        if (!child)
            throw Error(QStringLiteral("TorchScript export does not support layer %1 yet.").arg(QString::fromStdString(c.value()->name())));
        m.register_module(c.key(), scriptModule(*child, cu));
    }
    if (!source.empty())
        m.define(source);
    return m;
}

/// A TorchScript string literal of `text` (ASCII; other characters become '?').
std::string scriptString(const QString& text)
{
    std::string s = "\"";
    for (const QChar ch : text) {
        const char16_t u = ch.unicode();
        if (u == '"' || u == '\\')
            s += '\\';
        s += (u >= 32 && u < 127) ? char(u) : '?';
    }
    return s + "\"";
}
} // namespace

QString exportFormatName(ExportFormat format)
{
    return format == ExportFormat::TorchScript ? QStringLiteral("torchscript") : QStringLiteral("state_dict");
}

ExportFormat parseExportFormat(const QString& text)
{
    for (ExportFormat f : {ExportFormat::StateDict, ExportFormat::TorchScript})
        if (text.compare(exportFormatName(f), Qt::CaseInsensitive) == 0)
            return f;
    throw Error(QStringLiteral("unknown export format '%1' (state_dict or torchscript).").arg(text));
}

void registerScriptForward(ScriptForward forward)
{
    const std::lock_guard<std::mutex> lock(gForwardsMutex);
    registeredForwards().push_back(std::move(forward));
}

std::string scriptChild(const std::string& qualifiedName)
{
    std::string expr = "self";
    std::istringstream parts(qualifiedName);
    for (std::string part; std::getline(parts, part, '.');) {
        const bool identifier = !part.empty() && (std::isalpha(static_cast<unsigned char>(part[0])) || part[0] == '_');
        expr = identifier ? expr + "." + part : "getattr(" + expr + ", \"" + part + "\")";
    }
    return expr;
}

void exportTorchScript(const nn::Layer& model, const QString& about, const QString& outPath)
{
    std::ostringstream bytes;
    try {
        auto cu = std::make_shared<torch::jit::CompilationUnit>();
        torch::jit::Module m = scriptModule(model, cu);
        m.define("def about(self) -> str:\n    return " + scriptString(about) + "\n");
        m.eval();
        m.save(bytes);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(QStringLiteral("cannot write %1 as TorchScript: %2.").arg(outPath, pickle::torchErrorText(e)));
    }
    const std::string data = bytes.str();
    writeFileAtomic(outPath, QByteArray(data.data(), qsizetype(data.size())));
}

QStringList exportWeights(const ModelSpec& spec, const QString& weightsPath, const QString& outPath, ExportFormat format)
{
    auto model = models::createModelForWeights(spec, weightsPath);
    const LoadedWeights loaded = loadWeights(*model, weightsPath, spec.name);
    if (format == ExportFormat::StateDict) {
        exportStateDict(*model, outPath);
        return loaded.notes;
    }
    model->eval();
    const QString about = QStringLiteral("%1 (%2, %3 classes, input %4x%5x%5) from %6, exported by RankLab %7 as TorchScript: "
                                         "forward(x) gives the logits; parameters carry RankLab's names.")
                              .arg(spec.name, QString::fromStdString(model->name()))
                              .arg(spec.numClasses)
                              .arg(spec.inChannels)
                              .arg(spec.inputSize)
                              .arg(QFileInfo(weightsPath).fileName(), QStringLiteral(RANKLAB_VERSION));
    exportTorchScript(*model, about, outPath);
    return loaded.notes;
}

} // namespace ranklab::io

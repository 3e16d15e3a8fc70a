#include "core/io/weights.h"

#include <algorithm>
#include <functional>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include <torch/script.h>

#include <QByteArray>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QStringList>

#include "core/error.h"
#include "core/printable_text.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint.h"
#include "core/io/torch_pickle.h"
#include "core/models/channel_plan.h"

namespace ranklab::io {

namespace {

using pickle::Kind;
using pickle::Value;

/// How many differences a mismatch message lists before "(and N more differences)".
constexpr int kListedDifferences = 3;

QString shapeText(const torch::Tensor& t)
{
    QStringList dims;
    for (const std::int64_t d : t.sizes())
        dims << QString::number(d);
    return QLatin1Char('[') + dims.join(QLatin1Char(',')) + QLatin1Char(']');
}

/// "torch::nn::SequentialImpl" → "Sequential", "ranklab::models::ResNetImpl" → "ResNet".
QString displayModelName(const torch::nn::Module& model)
{
    QString name = QString::fromStdString(model.name());
    name = name.section(QStringLiteral("::"), -1);
    if (name.endsWith(QStringLiteral("Impl")) && name.size() > 4)
        name.chop(4);
    return name.isEmpty() ? QStringLiteral("the model") : name;
}

/// Strips "module." when every name carries it (weights saved from nn.DataParallel).
void stripModulePrefix(StateDict& sd)
{
    static const std::string prefix = "module.";
    if (sd.empty())
        return;
    for (const auto& entry : sd)
        if (entry.first.size() <= prefix.size() || entry.first.compare(0, prefix.size(), prefix) != 0)
            return;
    for (auto& entry : sd)
        entry.first.erase(0, prefix.size());
}

bool hasTensorValue(const Value& dict)
{
    return std::any_of(dict->entries.begin(), dict->entries.end(),
                       [](const auto& entry) { return entry.second->kind == Kind::Tensor; });
}

/// The state dict inside a torch.save'd object: the dict itself, or the dict under "state_dict",
/// "model_state_dict" or "model" of a training checkpoint (up to three levels deep).
StateDict stateDictFromPickle(const Value& root, const QString& fileName)
{
    if (root->kind == Kind::Opaque)
        throw Error(QStringLiteral("%1 holds a pickled Python object (%2) rather than a state dict; save the weights "
                                   "with torch.save(model.state_dict(), path).")
                        .arg(fileName, printableText(root->text)));
    if (root->kind != Kind::Dict)
        throw Error(QStringLiteral("%1 holds a %2, not a state dict of named tensors.").arg(fileName, pickle::typeName(root)));
    Value dict = root;
    for (int depth = 0; depth < 3 && !hasTensorValue(dict); ++depth) {
        Value inner;
        QString key;
        for (const char* candidate : {"state_dict", "model_state_dict", "model"}) {
            inner = dict->find(candidate);
            if (inner) {
                key = QString::fromLatin1(candidate);
                break;
            }
        }
        if (!inner)
            break;
        if (inner->kind == Kind::Opaque)
            throw Error(QStringLiteral("%1 holds a pickled Python object (%2) under '%3' rather than a state dict; "
                                       "save the weights with torch.save(model.state_dict(), path).")
                            .arg(fileName, printableText(inner->text), printableText(key)));
        if (inner->kind != Kind::Dict)
            break;
        dict = inner;
    }
    StateDict sd = pickle::tensorEntries(dict, fileName);
    if (sd.empty())
        throw Error(QStringLiteral("%1 holds no tensors.").arg(fileName));
    return sd;
}

void appendJitModule(const torch::jit::Module& module, const std::string& prefix, StateDict& out, int depth)
{
    if (depth > 256)
        throw Error("a TorchScript module is nested too deeply.");
    for (const auto& p : module.named_parameters(/*recurse=*/false))
        if (p.value.defined())
            out.emplace_back(prefix + p.name, p.value.detach());
    for (const auto& b : module.named_buffers(/*recurse=*/false))
        if (b.value.defined())
            out.emplace_back(prefix + b.name, b.value.detach());
    for (const auto& child : module.named_children())
        appendJitModule(child.value, prefix + child.name + ".", out, depth + 1);
}

StateDict readTorchScript(const QString& path, const QString& fileName)
{
    try {
        const torch::jit::Module module = torch::jit::load(QFile::encodeName(path).toStdString(), torch::kCPU);
        StateDict out;
        appendJitModule(module, std::string(), out, 0);
        if (out.empty())
            throw Error(QStringLiteral("%1 is a TorchScript module without parameters or buffers.").arg(fileName));
        return out;
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw Error(QStringLiteral("%1 is a TorchScript archive that is damaged (it asks for more memory than is available).")
                        .arg(fileName));
    } catch (const std::exception& e) {
        throw Error(QStringLiteral("%1 is a TorchScript archive that LibTorch cannot load (%2).").arg(fileName, pickle::torchErrorText(e)));
    }
}

void appendModule(const torch::nn::Module& module, const std::string& prefix, StateDict& out, int depth)
{
    if (depth > 256)
        throw Error("a model is nested too deeply to list its weights.");
    for (const auto& p : module.named_parameters(/*recurse=*/false))
        if (p.value().defined())
            out.emplace_back(prefix + p.key(), p.value().detach());
    for (const auto& b : module.named_buffers(/*recurse=*/false))
        if (b.value().defined())
            out.emplace_back(prefix + b.key(), b.value().detach());
    for (const auto& child : module.named_children())
        appendModule(*child.value(), prefix + child.key() + ".", out, depth + 1);
}

/// The model's tensors themselves (not detached), keyed by name, for copying into.
std::vector<std::pair<std::string, torch::Tensor>> targetTensors(torch::nn::Module& model)
{
    StateDict listed = moduleStateDict(model);
    // detach() shares storage with the parameter, so copying into it writes the model's weights; but
    // copy through the original tensors to keep version counters honest.
    std::unordered_map<std::string, torch::Tensor> originals;
    for (const auto& p : model.named_parameters(true))
        originals.emplace(p.key(), p.value());
    for (const auto& b : model.named_buffers(true))
        originals.emplace(b.key(), b.value());
    for (auto& [name, tensor] : listed) {
        const auto it = originals.find(name);
        if (it != originals.end())
            tensor = it->second;
    }
    return listed;
}

} // namespace

QString weightsFormatName(WeightsFormat format)
{
    switch (format) {
    case WeightsFormat::RankLab: return QStringLiteral("RankLab checkpoint");
    case WeightsFormat::PyTorchZip: return QStringLiteral("PyTorch state dict");
    case WeightsFormat::TorchScript: return QStringLiteral("TorchScript module");
    }
    return QStringLiteral("weights");
}

StateDict readStateDict(const QString& path, WeightsFormat* detected)
{
    pickle::TorchZip zip(path);
    const QString& fileName = zip.displayName();
    StateDict sd;
    WeightsFormat format = WeightsFormat::PyTorchZip;
    if (zip.isTorchScript()) {
        format = WeightsFormat::TorchScript;
        // LibTorch's TorchScript importer can crash on damaged code records: check them all first.
        zip.verifyChecksums();
        zip.verifyTorchScriptTensors();
        sd = readTorchScript(path, fileName);
    } else {
        if (!zip.hasRecord("data.pkl"))
            throw Error(QStringLiteral("%1 is a zip archive but not a PyTorch weights file (it has no data.pkl).").arg(fileName));
        const pickle::Unpickled doc = zip.unpickleData();
        const Value& root = doc.root;
        if (root->kind == Kind::Dict && root->find("ranklab_format")) {
            format = WeightsFormat::RankLab;
            const Value model = root->find("model");
            if (!model)
                throw Error(QStringLiteral("%1 is a RankLab checkpoint without model weights.").arg(fileName));
            sd = pickle::tensorEntries(model, fileName);
        } else {
            sd = stateDictFromPickle(root, fileName);
        }
    }
    stripModulePrefix(sd);
    if (detected)
        *detected = format;
    return sd;
}

void loadStateDict(torch::nn::Module& model, const StateDict& sd, const QString& sourceName, const QString& modelName)
{
    const std::vector<std::pair<std::string, torch::Tensor>> targets = targetTensors(model);

    std::unordered_map<std::string, const torch::Tensor*> file;
    QStringList duplicates;
    for (const auto& [name, tensor] : sd)
        if (!file.emplace(name, &tensor).second)
            duplicates << QString::fromStdString(name);

    QStringList missing, shapes, unexpected;
    std::unordered_set<std::string> modelNames;
    for (const auto& [name, target] : targets) {
        modelNames.insert(name);
        const auto it = file.find(name);
        if (it == file.end()) {
            missing << QStringLiteral("missing %1").arg(printableText(name, 200));
        } else if (!it->second->defined() || it->second->sizes() != target.sizes()) {
            shapes << QStringLiteral("shape of %1 is %2 in the file but %3 in the model")
                          .arg(printableText(name, 200),
                               it->second->defined() ? shapeText(*it->second) : QStringLiteral("undefined"),
                               shapeText(target));
        }
    }
    for (const auto& [name, tensor] : sd)
        if (!modelNames.count(name))
            unexpected << QStringLiteral("unexpected %1").arg(printableText(name, 200));
    for (const QString& name : duplicates)
        unexpected << QStringLiteral("%1 twice").arg(name);

    const int total = int(missing.size() + shapes.size() + unexpected.size());
    if (total > 0) {
        // One of each kind first, so the sentence shows the nature of the mismatch, then in order.
        QStringList listed;
        QList<QStringList*> kinds{&missing, &unexpected, &shapes};
        for (QStringList* kind : kinds)
            if (!kind->isEmpty() && listed.size() < kListedDifferences)
                listed << kind->takeFirst();
        for (QStringList* kind : kinds)
            while (!kind->isEmpty() && listed.size() < kListedDifferences)
                listed << kind->takeFirst();
        QString sentence = QStringLiteral("%1 does not fit %2: %3")
                               .arg(sourceName, modelName.isEmpty() ? displayModelName(model) : modelName,
                                    listed.join(QStringLiteral("; ")));
        if (total > listed.size())
            sentence += QStringLiteral(" (and %1 more difference%2)")
                            .arg(total - listed.size())
                            .arg(total - listed.size() == 1 ? QString() : QStringLiteral("s"));
        throw Error(sentence + QLatin1Char('.'));
    }

    // Convert everything first; only then write, so a failure cannot leave the model half-loaded.
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> staged;
    staged.reserve(targets.size());
    try {
        for (const auto& [name, target] : targets)
            staged.push_back(file.at(name)->to(target.device(), target.scalar_type()));
    } catch (const std::exception& e) {
        throw Error(QStringLiteral("cannot convert the weights of %1: %2.").arg(sourceName, pickle::torchErrorText(e)));
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
        torch::Tensor target = targets[i].second;
        target.copy_(staged[i]);
    }
}

void loadWeights(torch::nn::Module& model, const QString& path, const QString& modelName)
{
    WeightsFormat format = WeightsFormat::PyTorchZip;
    const StateDict sd = readStateDict(path, &format);
    // A RankLab checkpoint of a pruned model records its narrower convs (ModelSpec::channels, in the run's
    // params): the model takes that shape first, so `eval`, `ron` or `--init-weights` load it like any other.
    if (format == WeightsFormat::RankLab)
        if (auto* layer = dynamic_cast<nn::Layer*>(&model)) {
            const QJsonObject meta = readCheckpoint(path).meta;
            const QString plan = meta.value(QStringLiteral("params"))
                                     .toObject()
                                     .value(QStringLiteral("model"))
                                     .toObject()
                                     .value(QStringLiteral("channels"))
                                     .toString();
            if (!plan.isEmpty())
                models::applyChannelPlan(*layer, plan);
        }
    loadStateDict(model, sd, QFileInfo(path).fileName(), modelName);
}

StateDict moduleStateDict(const torch::nn::Module& model)
{
    StateDict out;
    appendModule(model, std::string(), out, 0);
    return out;
}

void exportStateDict(const torch::nn::Module& model, const QString& outPath)
{
    QByteArray bytes;
    try {
        c10::Dict<std::string, at::Tensor> dict;
        for (auto& [name, tensor] : moduleStateDict(model)) {
            torch::Tensor t = tensor.to(torch::kCPU).contiguous();
            // Write only the tensor's own elements, not a larger storage it may view into.
            if (t.storage_offset() != 0 || t.storage().nbytes() != std::size_t(t.numel()) * t.element_size())
                t = t.clone();
            dict.insert(name, t);
        }
        const std::vector<char> data = torch::pickle_save(c10::IValue(dict));
        bytes = QByteArray(data.data(), qsizetype(data.size()));
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(QStringLiteral("cannot export the weights to %1: %2.").arg(outPath, pickle::torchErrorText(e)));
    }
    writeFileAtomic(outPath, bytes);
}

} // namespace ranklab::io

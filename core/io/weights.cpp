#include "core/io/weights.h"

#include <algorithm>
#include <functional>
#include <map>
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
#include "core/models/model_spec.h"

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

/// One dict of named tensors in a weights file. `path`: the keys that lead to it from the file's top-level
/// dict (empty: the top level itself), e.g. {"model_state_dict"} in PyTorch's tutorial checkpoint.
struct Candidate {
    QStringList path;
    StateDict sd;
};

/// What a weights file offers as a state dict.
struct WeightsFile {
    WeightsFormat format = WeightsFormat::PyTorchZip;
    QString fileName;
    std::vector<Candidate> candidates; ///< never empty; the most likely first (the top level, then known keys, then the largest)
    QStringList topLevelKeys;          ///< a pickled dict's keys, for the note on what was not used
};

/// How deep training checkpoints are searched for their weights, and how many dicts at most.
constexpr int kSearchDepth = 3;
constexpr int kSearchedDicts = 10000;

/// Python's subscript of `path`: "['model_state_dict']".
QString subscript(const QStringList& path)
{
    QString text;
    for (const QString& key : path)
        text += QStringLiteral("['%1']").arg(key);
    return text;
}

bool isTensorDict(const Value& value)
{
    return value->kind == Kind::Dict && !value->entries.empty()
        && std::all_of(value->entries.begin(), value->entries.end(), [](const auto& entry) {
               return entry.first->kind == Kind::String && entry.second->kind == Kind::Tensor;
           });
}

/// Every dict of str → tensor at or below `dict` (up to kSearchDepth levels of dict values).
void collectTensorDicts(const Value& dict, const QStringList& path, const QString& fileName, std::vector<Candidate>& out,
                        int& budget)
{
    if (--budget < 0)
        return;
    if (isTensorDict(dict)) {
        out.push_back({path, pickle::tensorEntries(dict, fileName)});
        return;
    }
    if (path.size() >= kSearchDepth)
        return;
    for (const auto& [key, value] : dict->entries)
        if (key->kind == Kind::String && value->kind == Kind::Dict)
            collectTensorDicts(value, path + QStringList{printableText(key->text)}, fileName, out, budget);
}

/// 0 for the top level, then the keys training checkpoints keep their model's weights under, then the rest.
int preference(const Candidate& candidate)
{
    if (candidate.path.isEmpty())
        return 0;
    static const QStringList known{QStringLiteral("state_dict"), QStringLiteral("model_state_dict"), QStringLiteral("model"),
                                   QStringLiteral("net"), QStringLiteral("network")};
    const int at = int(known.indexOf(candidate.path.last()));
    return at >= 0 ? 1 + at : 1 + int(known.size());
}

// --- whole pickled modules --------------------------------------------------------------------------

/// A pickled nn.Module's attribute (an entry of the __dict__ its BUILD set), or nullptr.
Value attribute(const Value& module, const char* name)
{
    if (!module || module->kind != Kind::Opaque || module->items.empty() || module->items[0]->kind != Kind::Dict)
        return nullptr;
    return module->items[0]->find(name);
}

/// A pickled nn.Module's child modules (its `_modules`), in order.
std::vector<Value> childModules(const Value& module)
{
    std::vector<Value> out;
    const Value modules = attribute(module, "_modules");
    if (modules && modules->kind == Kind::Dict)
        for (const auto& entry : modules->entries)
            out.push_back(entry.second);
    return out;
}

Value childModule(const Value& module, const char* name)
{
    const Value modules = attribute(module, "_modules");
    return modules && modules->kind == Kind::Dict ? modules->find(name) : nullptr;
}

/// An int attribute (or the first item of a tuple attribute such as kernel_size); 0 if there is none.
std::int64_t intAttribute(const Value& module, const char* name)
{
    Value value = attribute(module, name);
    if (value && value->kind == Kind::Tuple && !value->items.empty())
        value = value->items[0];
    return value && value->kind == Kind::Int ? value->integer : 0;
}

bool isClass(const Value& value, const char* suffix)
{
    return value && value->kind == Kind::Opaque && QString::fromStdString(value->text).endsWith(QLatin1String(suffix));
}

/// For a pickled torchvision model: the zoo name of its architecture ("resnet18", "vgg11_bn"), its classes and
/// input channels, read from its structure; an empty name when it is not one RankLab can tell.
struct TorchvisionModel {
    QString name;
    std::int64_t classes = 0, inChannels = 0;
};

TorchvisionModel torchvisionModel(const Value& module)
{
    TorchvisionModel out;
    const QString cls = QString::fromStdString(module->text);
    if (cls == QLatin1String("torchvision.models.resnet.ResNet")) {
        std::vector<int> blocks;
        bool basic = false, bottleneck = false;
        for (const char* stage : {"layer1", "layer2", "layer3", "layer4"}) {
            const std::vector<Value> children = childModules(childModule(module, stage));
            blocks.push_back(int(children.size()));
            basic = basic || (!children.empty() && isClass(children[0], ".BasicBlock"));
            bottleneck = bottleneck || (!children.empty() && isClass(children[0], ".Bottleneck"));
        }
        struct Known {
            bool bottleneck;
            std::vector<int> blocks;
            const char* name;
        };
        static const Known known[] = {{false, {2, 2, 2, 2}, "resnet18"},
                                      {false, {3, 4, 6, 3}, "resnet34"},
                                      {true, {3, 4, 6, 3}, "resnet50"},
                                      {true, {3, 4, 23, 3}, "resnet101"},
                                      {true, {3, 8, 36, 3}, "resnet152"}};
        for (const Known& k : known)
            if (basic != bottleneck && k.bottleneck == bottleneck && k.blocks == blocks)
                out.name = QString::fromLatin1(k.name);
        const Value conv1 = childModule(module, "conv1");
        if (!out.name.isEmpty() && intAttribute(conv1, "kernel_size") == 3)
            out.name.prepend(QStringLiteral("cifar_"));
        out.classes = intAttribute(childModule(module, "fc"), "out_features");
        out.inChannels = intAttribute(conv1, "in_channels");
    } else if (cls == QLatin1String("torchvision.models.vgg.VGG")) {
        int convs = 0;
        bool batchNorm = false;
        for (const Value& layer : childModules(childModule(module, "features"))) {
            if (isClass(layer, ".Conv2d") && ++convs == 1)
                out.inChannels = intAttribute(layer, "in_channels");
            batchNorm = batchNorm || isClass(layer, ".BatchNorm2d");
        }
        const std::map<int, const char*> names = {{8, "vgg11"}, {10, "vgg13"}, {13, "vgg16"}, {16, "vgg19"}};
        if (names.count(convs))
            out.name = QString::fromLatin1(names.at(convs)) + (batchNorm ? QStringLiteral("_bn") : QString());
        const std::vector<Value> head = childModules(childModule(module, "classifier"));
        out.classes = head.empty() ? 0 : intAttribute(head.back(), "out_features");
    } else if (cls == QLatin1String("torchvision.models.mobilenetv2.MobileNetV2")) {
        out.name = QStringLiteral("mobilenet_v2");
        const std::vector<Value> head = childModules(childModule(module, "classifier"));
        out.classes = head.empty() ? 0 : intAttribute(head.back(), "out_features");
        const std::vector<Value> features = childModules(childModule(module, "features"));
        const std::vector<Value> stem = features.empty() ? std::vector<Value>{} : childModules(features.front());
        out.inChannels = stem.empty() ? 0 : intAttribute(stem.front(), "in_channels");
    }
    return out;
}

/// The refusal of a whole pickled object where a state dict was expected (under `key` of a checkpoint, or
/// the file itself); for a torchvision model, with the --model options that load its state dict.
QString pickledObjectSentence(const QString& fileName, const Value& object, const QString& key)
{
    QString sentence = QStringLiteral("%1 holds a pickled Python object (%2)%3 rather than a state dict; save the weights with "
                                      "torch.save(model.state_dict(), path)")
                           .arg(fileName, printableText(object->text),
                                key.isEmpty() ? QString() : QStringLiteral(" under '%1'").arg(key));
    const QString cls = QString::fromStdString(object->text);
    if (!cls.startsWith(QLatin1String("torchvision.models.")))
        return sentence + QLatin1Char('.');
    const TorchvisionModel tv = torchvisionModel(object);
    if (tv.name.isEmpty() || !zooModelNames().contains(tv.name))
        return sentence + QStringLiteral("; RankLab has no model for torchvision's %1.")
                              .arg(tv.name.isEmpty() ? cls.section(QLatin1Char('.'), -1) : tv.name);
    sentence += QStringLiteral(" and load them with --model %1").arg(tv.name);
    if (tv.classes > 0)
        sentence += QStringLiteral(" --num-classes %1").arg(tv.classes);
    if (tv.inChannels > 0 && tv.inChannels != 3)
        sentence += QStringLiteral(" --in-channels %1").arg(tv.inChannels);
    return sentence + QLatin1Char('.');
}

/// The dicts of named tensors inside a torch.save'd object: the object itself when it is one, and those of a
/// training checkpoint's entries (model_state_dict, state_dict, model, …; other entries are not weights),
/// most likely first. Throws ranklab::Error with one sentence when there is none.
std::vector<Candidate> pickleCandidates(const Value& root, const QString& fileName)
{
    if (root->kind == Kind::Opaque)
        throw Error(pickledObjectSentence(fileName, root, QString()));
    if (root->kind != Kind::Dict)
        throw Error(QStringLiteral("%1 holds a %2, not a state dict of named tensors.").arg(fileName, pickle::typeName(root)));
    std::vector<Candidate> out;
    int budget = kSearchedDicts;
    collectTensorDicts(root, {}, fileName, out, budget);
    if (!out.empty()) {
        std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
            const int pa = preference(a), pb = preference(b);
            return pa != pb ? pa < pb : a.sd.size() > b.sd.size();
        });
        return out;
    }
    for (const char* key : {"state_dict", "model_state_dict", "model"}) {
        const Value inner = root->find(key);
        if (inner && inner->kind == Kind::Opaque)
            throw Error(pickledObjectSentence(fileName, inner, QString::fromLatin1(key)));
    }
    pickle::tensorEntries(root, fileName); // says which entry is not a tensor
    throw Error(QStringLiteral("%1 holds no tensors.").arg(fileName));
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

/// Reads a weights file without a model: every dict of named tensors it holds, most likely first.
WeightsFile readWeightsFile(const QString& path)
{
    pickle::TorchZip zip(path);
    WeightsFile file;
    file.fileName = zip.displayName();
    if (zip.isTorchScript()) {
        file.format = WeightsFormat::TorchScript;
        // LibTorch's TorchScript importer can crash on damaged code records: check them all first.
        zip.verifyChecksums();
        zip.verifyTorchScriptTensors();
        file.candidates.push_back({{}, readTorchScript(path, file.fileName)});
        return file;
    }
    if (!zip.hasRecord("data.pkl"))
        throw Error(QStringLiteral("%1 is a zip archive but not a PyTorch weights file (it has no data.pkl).").arg(file.fileName));
    const pickle::Unpickled doc = zip.unpickleData();
    const Value& root = doc.root;
    if (root->kind == Kind::Dict && root->find("ranklab_format")) {
        file.format = WeightsFormat::RankLab;
        const Value model = root->find("model");
        if (!model)
            throw Error(QStringLiteral("%1 is a RankLab checkpoint without model weights.").arg(file.fileName));
        file.candidates.push_back({{}, pickle::tensorEntries(model, file.fileName)});
        return file;
    }
    file.candidates = pickleCandidates(root, file.fileName);
    for (const auto& [key, value] : root->entries)
        file.topLevelKeys << (key->kind == Kind::String ? printableText(key->text) : pickle::typeName(key));
    return file;
}

/// Adds a 0 for every num_batches_tracked buffer of `modelNames` that `sd` lacks while it holds the same
/// BatchNorm's running_mean, as PyTorch's BatchNorm does for state dicts written without them (version < 2,
/// or without _metadata). Returns how many it added.
int fillBatchCounters(StateDict& sd, const std::vector<std::string>& modelNames)
{
    static const std::string counter = "num_batches_tracked";
    std::unordered_set<std::string> present;
    for (const auto& entry : sd)
        present.insert(entry.first);
    int filled = 0;
    for (const std::string& name : modelNames) {
        if (name.size() < counter.size() || name.compare(name.size() - counter.size(), counter.size(), counter) != 0
            || present.count(name))
            continue;
        const std::string module = name.substr(0, name.size() - counter.size());
        if (!present.count(module + "running_mean"))
            continue;
        sd.emplace_back(name, torch::zeros({}, torch::kLong));
        ++filled;
    }
    return filled;
}

/// The first name component ("model.") that every name of `sd` starts with, or "".
std::string sharedPrefix(const StateDict& sd)
{
    if (sd.empty())
        return {};
    const std::size_t dot = sd.front().first.find('.');
    if (dot == std::string::npos)
        return {};
    const std::string prefix = sd.front().first.substr(0, dot + 1);
    for (const auto& entry : sd)
        if (entry.first.size() <= prefix.size() || entry.first.compare(0, prefix.size(), prefix) != 0)
            return {};
    return prefix;
}

/// `candidate` made to fit a model with `modelNames` the way PyTorch would load it: a prefix every name
/// shares stripped (a wrapper's attribute: "module.", a Lightning module's "model."), missing num_batches_tracked
/// filled. True, with what was done in `notes`, when the names are then exactly the model's.
bool fitNames(Candidate& candidate, const std::vector<std::string>& modelNames, const QString& fileName, QStringList& notes)
{
    const std::unordered_set<std::string> wanted(modelNames.begin(), modelNames.end());
    StateDict sd = candidate.sd;
    std::string stripped;
    for (int round = 0; round <= kSearchDepth; ++round) {
        StateDict filled = sd;
        const int added = fillBatchCounters(filled, modelNames);
        std::unordered_set<std::string> names;
        for (const auto& entry : filled)
            names.insert(entry.first);
        if (names == wanted && names.size() == filled.size()) {
            if (!stripped.empty())
                notes << QStringLiteral("%1: every weight name starts with '%2'; loaded them without it.")
                             .arg(fileName, printableText(stripped));
            if (added > 0)
                notes << QStringLiteral("%1 has no num_batches_tracked for %2 BatchNorm layer%3; set to 0, as PyTorch does.")
                             .arg(fileName)
                             .arg(added)
                             .arg(added == 1 ? QString() : QStringLiteral("s"));
            candidate.sd = std::move(filled);
            return true;
        }
        const std::string prefix = sharedPrefix(sd);
        if (prefix.empty())
            return false;
        for (auto& entry : sd)
            entry.first.erase(0, prefix.size());
        stripped += prefix;
    }
    return false;
}

/// The state dict of `file` for `model`: the first candidate whose names fit the model (fitNames), with a
/// note on which entry of a checkpoint it is; else the most likely one as readStateDict gives it, for
/// loadStateDict to say how it differs.
StateDict stateDictFor(const torch::nn::Module& model, WeightsFile& file, QStringList& notes)
{
    std::vector<std::string> modelNames;
    for (const auto& entry : moduleStateDict(model))
        modelNames.push_back(entry.first);
    for (Candidate& candidate : file.candidates) {
        QStringList fitted;
        if (!fitNames(candidate, modelNames, file.fileName, fitted))
            continue;
        if (!candidate.path.isEmpty()) {
            QStringList others = file.topLevelKeys;
            others.removeAll(candidate.path.first());
            QString note = QStringLiteral("%1: the weights are its entry %2").arg(file.fileName, subscript(candidate.path));
            if (!others.isEmpty())
                note += QStringLiteral("; the other entries (%1) are not used")
                            .arg(others.size() > 6 ? others.mid(0, 6).join(QStringLiteral(", "))
                                                         + QStringLiteral(" and %1 more").arg(others.size() - 6)
                                                   : others.join(QStringLiteral(", ")));
            notes << note + QLatin1Char('.');
        }
        notes << fitted;
        return candidate.sd;
    }
    StateDict sd = file.candidates.front().sd;
    stripModulePrefix(sd);
    return sd;
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
    WeightsFile file = readWeightsFile(path);
    StateDict sd = std::move(file.candidates.front().sd);
    stripModulePrefix(sd);
    if (detected)
        *detected = file.format;
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

QString channelPlanOfMeta(const QJsonObject& meta)
{
    return meta.value(QStringLiteral("params")).toObject().value(QStringLiteral("model")).toObject().value(QStringLiteral("channels")).toString();
}

QString channelPlanOfFile(const QString& path)
{
    try {
        return channelPlanOfMeta(readCheckpoint(path).meta);
    } catch (const Error&) {
        return {};
    }
}

LoadedWeights loadWeights(torch::nn::Module& model, const QString& path, const QString& modelName)
{
    WeightsFile file = readWeightsFile(path);
    // A RankLab checkpoint of a pruned model records its narrower convs (ModelSpec::channels, in the run's
    // params): the model takes that shape first, so `eval`, `ron` or `--init-weights` load it like any other.
    if (file.format == WeightsFormat::RankLab)
        if (auto* layer = dynamic_cast<nn::Layer*>(&model)) {
            const QString plan = channelPlanOfMeta(readCheckpoint(path).meta);
            if (!plan.isEmpty())
                models::applyChannelPlan(*layer, plan);
        }
    LoadedWeights loaded;
    loaded.format = file.format;
    const StateDict sd = stateDictFor(model, file, loaded.notes);
    loadStateDict(model, sd, file.fileName, modelName);
    return loaded;
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

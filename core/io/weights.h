#pragma once

// Internal header (uses torch types): reading, loading and exporting model weights.

#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace ranklab::io {

/// Named tensors in file (or registration) order, e.g. {"conv1.weight", [64,3,7,7]}.
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

/// The kinds of weights file RankLab reads.
enum class WeightsFormat {
    RankLab,     ///< a RankLab checkpoint (checkpoint.h): a torch zip whose data.pkl dict has "ranklab_format"
    PyTorchZip,  ///< torch.save(...) of a state dict, PyTorch ≥ 1.6 zip format (also RankLab's export)
    TorchScript, ///< torch.jit.save(...) of a scripted or traced module
};

/// Human-readable name of a format ("PyTorch state dict", ...), for messages and `info` output.
QString weightsFormatName(WeightsFormat format);

/// Reads the named tensors of any supported weights file, on the CPU, without a model:
/// - RankLab checkpoint: its "model" dict;
/// - torch.save zip: a dict or collections.OrderedDict of name → tensor (model.state_dict()), or, in a
///   training checkpoint (PyTorch's tutorial {"epoch", "model_state_dict", "optimizer_state_dict", "loss"},
///   Lightning's {"state_dict", …}), the dict of named tensors found among its entries (up to three levels
///   deep): the one under "state_dict", "model_state_dict", "model", "net" or "network" first, else the
///   largest; other entries (numbers, optimizer state, pickled Python objects) are ignored. nn.Parameter and
///   tensor subclasses become tensors;
/// - TorchScript archive: every parameter and buffer, module by module, with qualified names.
/// A "module." prefix on every name (nn.DataParallel) is stripped. Every zip record's CRC-32 is checked,
/// so damaged bytes are reported instead of loaded. Tensors keep the file's dtype and may share memory
/// with each other. `detected`, when given, receives the format. Throws ranklab::Error with
/// one sentence for a missing, empty, damaged, legacy (pre-1.6 torch.save) or unsupported file, and for a
/// file that holds something other than named tensors (e.g. a whole pickled nn.Module: for one of
/// torchvision's, the sentence names the --model options that load its state dict).
StateDict readStateDict(const QString& path, WeightsFormat* detected = nullptr);

/// Copies `sd` into `model` strictly: every parameter and buffer of `model` (recursive, qualified names as
/// in moduleStateDict) must appear in `sd` with the same shape, and `sd` may hold nothing else. Everything
/// is checked before anything is written, so on a mismatch `model` is untouched and ranklab::Error says
/// e.g. "weights.pth does not fit cifar_resnet18: missing layer1.0.conv1.weight; unexpected fc.bias; shape
/// of fc.weight is [10,512] in the file but [1000,512] in the model (and 12 more differences)."
/// Values are converted to each target's dtype and device and copied under torch::NoGradGuard.
/// `sourceName` names the file in messages; `modelName` the model (default: the module's type name).
void loadStateDict(torch::nn::Module& model, const StateDict& sd, const QString& sourceName,
                   const QString& modelName = QString());

/// What loadWeights read and what it did to make the file fit, for a job's log.
struct LoadedWeights {
    WeightsFormat format = WeightsFormat::PyTorchZip;
    /// One sentence each: the checkpoint entry that held the weights, a name prefix that was stripped,
    /// num_batches_tracked buffers that were missing and start at 0. Empty when the file fit as it was.
    QStringList notes;
};

/// Reads `path` (readStateDict's formats) and loads it into `model` with loadStateDict, accepting what
/// PyTorch's load_state_dict (or a wrapper's attribute) would: of a training checkpoint's dicts of named
/// tensors, the one whose names fit the model; a prefix every name shares ("module.", a Lightning module's
/// "model.") when the rest fit; num_batches_tracked missing from BatchNorm layers (set to 0, as PyTorch does
/// for state dicts without them). A RankLab checkpoint of a pruned model narrows `model` first. When nothing
/// fits, ranklab::Error says how the most likely dict differs (loadStateDict's sentence).
LoadedWeights loadWeights(torch::nn::Module& model, const QString& path, const QString& modelName = QString());

/// The channel plan (ModelSpec::channels) a RankLab checkpoint of a pruned model records in its run parameters;
/// empty for an unpruned model, another format, or a file that cannot be read (loading it says why).
QString channelPlanOfFile(const QString& path);
/// The same from a checkpoint's meta (io::Checkpoint::meta) already read.
QString channelPlanOfMeta(const QJsonObject& checkpointMeta);

/// Writes the model's parameters and buffers (moduleStateDict) as a plain dict name → CPU tensor with
/// torch::pickle_save: a PyTorch zip archive that Python's torch.load returns as a dict and that
/// torchvision's load_state_dict(strict=True) accepts for the architecture with the same names. Written
/// atomically (writeFileAtomic); throws ranklab::Error if it cannot be written.
void exportStateDict(const torch::nn::Module& model, const QString& outPath);

/// The model's parameters and buffers, module by module in registration order (a module's own
/// parameters, then its buffers, then its children), with PyTorch's qualified names
/// ("layer1.0.bn1.running_mean"), detached. Undefined tensors (e.g. a disabled bias) are skipped;
/// integer buffers such as num_batches_tracked are included.
StateDict moduleStateDict(const torch::nn::Module& model);

} // namespace ranklab::io

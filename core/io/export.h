#pragma once

#include <functional>
#include <optional>
#include <string>

#include <QString>
#include <QStringList>

#include "core/models/model_spec.h"

namespace ranklab::nn {
class Layer;
}

namespace ranklab::io {

/// What `ranklab-cli export` writes.
enum class ExportFormat {
    StateDict,   ///< "state_dict": a dict name → tensor (torch.load; torchvision's load_state_dict)
    TorchScript, ///< "torchscript": a scripted module (torch.jit.load) that runs the model by itself
};

/// "state_dict", "torchscript".
QString exportFormatName(ExportFormat format);
/// Inverse of exportFormatName() (case-insensitive); throws ranklab::Error naming the accepted values.
ExportFormat parseExportFormat(const QString& text);

/// `ranklab-cli export`: loads `weightsPath` (any supported format) into the model that holds it — the zoo
/// model `spec`, narrowed by a pruned checkpoint's plan, or the structured model the file describes (a RON
/// student, a network with basis convolutions; models::createModelForWeights) — so a file of another
/// architecture is refused with the list of differences, and writes it atomically as `format`:
///  - StateDict: a PyTorch state dict that Python's torch.load reads and torchvision's
///    load_state_dict(strict=True) accepts (zoo architectures);
///  - TorchScript: exportTorchScript().
/// Returns what loading did to make the file fit (LoadedWeights::notes), for the log.
QStringList exportWeights(const ModelSpec& spec, const QString& weightsPath, const QString& outPath,
                          ExportFormat format = ExportFormat::StateDict);

/// The TorchScript source of one layer type's forward: `def forward(self, x: Tensor) -> Tensor:` … using
/// the layer's own parameters and buffers (self.weight, …) under their RankLab names and its children as
/// `self.<child>.forward(…)` (scriptChild()); an empty string for a container that only holds modules and is
/// never run; std::nullopt when the layer is not of the function's type.
using ScriptForward = std::function<std::optional<std::string>(const nn::Layer& layer)>;

/// Adds the TorchScript forward of layer types outside models/ (basis convolutions, RON students);
/// thread-safe. The types of models/layers.h and the zoo are built in.
void registerScriptForward(ScriptForward forward);

/// The TorchScript expression of the submodule at `qualifiedName` below `self` ("layer1.0" →
/// `getattr(self.layer1, "0")`), for ScriptForward sources: a module exported this way is called with
/// `<expression>.forward(x)`.
std::string scriptChild(const std::string& qualifiedName);

/// Writes `model` as a TorchScript module (torch.jit.save format; torch.jit.load in Python, torch::jit::load in
/// C++) that computes model.forward: the module tree mirrors RankLab's layers, so its parameters and buffers
/// carry RankLab's names ("conv1.weight", "layer1.0.bn1.running_mean", "ron.0.fc.weight", "layer1.0.conv1.basis");
/// parameters are trainable and BatchNorm/Dropout follow train()/eval(). `about` is returned by the module's
/// `about()` method (what the model is, that RankLab exported it). Throws ranklab::Error with one sentence —
/// "TorchScript export does not support layer X yet." — for a layer type without a ScriptForward, and when the
/// file cannot be written; the file is written atomically, so nothing is half-written.
void exportTorchScript(const nn::Layer& model, const QString& about, const QString& outPath);

} // namespace ranklab::io

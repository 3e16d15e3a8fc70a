#pragma once
// Internal header (torch types): a zoo model as the flat chain of operations paper B reasons about.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/models/layers.h"
#include "core/models/registry.h"

namespace ranklab::ron {

/// One operation of a model's forward, in order. Conv/Linear carry their registry index; a residual block
/// (torchvision BasicBlock) is one op that covers the registry indices of its convs.
struct ChainOp {
    /// Block: a torchvision BasicBlock (RON reduces it, eqs. 15–16). Opaque: another block (Bottleneck,
    /// InvertedResidual) run whole — its output can be sampled (spectra), RON does not reduce it. ReLU6: MobileNetV2's
    /// activation, which a student (ReLU) cannot carry.
    enum class Kind { Conv, Linear, BatchNorm, ReLU, ReLU6, MaxPool, AvgPool, Flatten, Dropout, Block, Opaque };
    Kind kind;
    std::string name;                  ///< qualified module name ("features.3", "layer3.1", "flatten")
    std::shared_ptr<nn::Layer> layer;  ///< the teacher's module (null for Flatten)
    std::vector<int> registryIndices;  ///< conv/linear registry indices this op holds (empty for others)
};

/// A modifiable unit (paper B's "layer"): a conv/linear op with the BatchNorm, ReLU, Dropout, 2×2 max-pool
/// and Flatten ops after it, or one residual block. [firstOp, lastOp] are chain positions.
struct ChainUnit {
    int firstOp = 0, lastOp = 0;
    std::string name;                  ///< the main op's name
    int firstIndex = 0, lastIndex = 0; ///< registry indices covered
    bool block = false;                ///< a BasicBlock (has an inner activation)
    bool opaque = false;               ///< a block RON runs whole but does not reduce (Bottleneck, InvertedResidual)
};

/// The chain of a zoo model (LeNet300, LeNet5, VGG, ResNet, MobileNetV2) built from `model`'s modules
/// (shared, not copied) in forward order; `forward` reproduces model.forward exactly.
class TeacherChain final {
public:
    /// Throws ranklab::Error for a model type that has no chain description.
    TeacherChain(std::shared_ptr<nn::Layer> model, const ModelInfo& info);

    const std::vector<ChainOp>& ops() const { return ops_; }
    const std::vector<ChainUnit>& units() const { return units_; }
    const std::shared_ptr<nn::Layer>& model() const { return model_; }
    const ModelInfo& info() const { return info_; }

    /// Runs ops [from, to) on x. `onOutput(op, y)` sees each op's output; for a block also its inner
    /// activation relu(bn1(conv1 x)) via `onInner(op, h)`.
    torch::Tensor run(const torch::Tensor& x, int from, int to,
                      const std::function<void(int, const torch::Tensor&)>& onOutput = {},
                      const std::function<void(int, const torch::Tensor&)>& onInner = {}) const;
    torch::Tensor forward(const torch::Tensor& x) const { return run(x, 0, int(ops_.size())); }

    /// The unit whose registry indices contain `index`; -1 if none.
    int unitOfIndex(int index) const;
    /// Resolves "K1-K2" (registry indices or qualified names of layers/blocks) to a unit range
    /// [first, last]; throws ranklab::Error if a bound does not exist, the range is reversed, or it starts
    /// or ends inside a unit (e.g. cuts a residual block).
    std::pair<int, int> resolveUnitRange(const QString& text) const;
    /// Resolves a spectrum selection (see SpectrumParams::layers) to capture points: (unit, inner?) pairs.
    std::vector<std::pair<int, bool>> resolveCapturePoints(const QString& selection) const;

private:
    void add(ChainOp::Kind kind, const std::string& name, std::shared_ptr<nn::Layer> layer = {});
    void addSequential(const std::string& prefix, const nn::Layer& seq);
    void buildUnits();
    int resolveBound(const QString& token, bool first) const;

    std::shared_ptr<nn::Layer> model_;
    ModelInfo info_;
    std::vector<ChainOp> ops_;
    std::vector<ChainUnit> units_;
};

/// Number of elements of an activation of `shape` (no batch dimension): D = C·H·W or F.
int64_t shapeNumel(const std::vector<int64_t>& shape);

/// The inner activation of a BasicBlock (relu(bn1(conv1 x))) and its output, computed from its children.
torch::Tensor runBasicBlock(const nn::Layer& block, const torch::Tensor& x, torch::Tensor* inner = nullptr);

} // namespace ranklab::ron

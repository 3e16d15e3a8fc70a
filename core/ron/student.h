#pragma once
// Internal header (torch types): the RON student network (paper B eq. 14, Algorithm 1) as RankLab modules, and
// its save/load format.
//
// File format. A student is saved as a RankLab checkpoint (.rlk, core/io/checkpoint.h) whose meta holds
// "ron_student": the structure object below; student.json beside it holds the same object for reading.
//   {"format": 1,
//    "teacher": {"name", "num_classes", "in_channels", "input_size", "width"},   // the zoo model it came from
//    "first_index": K1, "last_index": K2,          // registry range replaced ("modified layers K1 to K2")
//    "stages": [{"name", "residual", "in", "hidden", "out", "group", "relu", "batch_norm", "dropout",
//                "rows": [...], "inner_rows": [...]}],   // one per replaced unit; rows = S_k (flat indices)
//    "restore": {"in": P_K, "out_shape": [C, H, W]}}
// The weights use the teacher's parameter names for every module outside the range and "ron.<stage>.…" /
// "ron.restore.weight" for the reduced part, so loading is strict (io::loadStateDict).

#include <memory>
#include <string>
#include <vector>

#include <QJsonObject>

#include "core/models/layers.h"
#include "core/models/model_spec.h"
#include "core/ron/teacher_chain.h"

namespace ranklab::ron {

/// Shape of one student stage (one replaced unit).
struct StageConfig {
    std::string name;           ///< the teacher unit it replaces
    bool residual = false;      ///< eqs. (15)–(16): s = ψ(W2 ψ(W1 s_in + b1) + W_sc s_in + b)
    int64_t in = 0;             ///< P_{k−1}, or D_in for the first stage
    int64_t hidden = 0;         ///< residual: P of the block's inner activation
    int64_t out = 0;            ///< P_k
    int group = 1;              ///< 4: the stage computes 4P pre-pool rows and max-pools groups of 4 (§4.2)
    bool relu = true;
    bool batchNorm = false;     ///< BatchNorm1d after each linear map (inserted for fine-tuning)
    double dropout = 0;         ///< dropout on the stage input during training
    std::vector<int64_t> rows, innerRows; ///< S_k (and the inner S) as flat activation indices, for reference
};

/// One student stage: s_k = maxpool_g(ψ(W̃_k s_{k−1} + b)) (eq. 14), or the residual form of eq. (16).
/// Children: plain "fc" (+ "bn"); residual "fc1" (+ "bn1"), "fc2", "shortcut" (no bias) (+ "bn2").
class RonStage final : public nn::Layer {
public:
    explicit RonStage(const StageConfig& config);
    torch::Tensor forward(const torch::Tensor& x) override { return forwardWithInner(x, nullptr); }
    /// forward, also returning the residual stage's inner activation s_h.
    torch::Tensor forwardWithInner(const torch::Tensor& x, torch::Tensor* inner);
    /// Sets each BatchNorm so that it is the identity on `x`'s statistics: running mean/var = batch mean/var,
    /// weight = sqrt(var + eps), bias = mean (paper B inserts BN before fine-tuning; this keeps the function).
    /// Returns the stage output on x.
    torch::Tensor calibrateBatchNorm(const torch::Tensor& x);
    const StageConfig& config() const { return config_; }
    std::shared_ptr<nn::Linear> fc, fc1, fc2, shortcut;
    std::shared_ptr<nn::BatchNorm> bn, bn1, bn2;

private:
    torch::Tensor pool(const torch::Tensor& y) const;
    StageConfig config_;
};

/// The reduced part: stages, then the restoring map z_K ≈ V_K (S_K V_K)^+ s_K ("restore", no bias) reshaped
/// to the teacher's activation shape, so the rest of the network runs unchanged.
class RonReduced final : public nn::Layer {
public:
    RonReduced(const std::vector<StageConfig>& stages, std::vector<int64_t> outShape);
    torch::Tensor forward(const torch::Tensor& x) override;
    /// Runs the stages on x, calling onStage(k, s_k, inner s_h or undefined) after each; returns s_K.
    torch::Tensor forwardStages(const torch::Tensor& x,
                                const std::function<void(size_t, const torch::Tensor&, const torch::Tensor&)>& onStage);
    std::vector<std::shared_ptr<RonStage>> stages;
    std::shared_ptr<nn::Linear> restore;
    const std::vector<int64_t>& outShape() const { return outShape_; }

private:
    std::vector<int64_t> outShape_;
};

/// The whole student: the teacher's ops before and after the range (same modules, same parameter names)
/// around the reduced part "ron".
class RonStudent final : public nn::Layer {
public:
    /// `chain` is the teacher's chain; [firstUnit, lastUnit] the replaced units.
    RonStudent(std::shared_ptr<TeacherChain> chain, int firstUnit, int lastUnit, std::shared_ptr<RonReduced> reduced);
    torch::Tensor forward(const torch::Tensor& x) override;
    /// The input of the reduced part (the teacher's head output) for a batch.
    torch::Tensor headForward(const torch::Tensor& x) const;
    const std::shared_ptr<RonReduced>& reduced() const { return reduced_; }
    const TeacherChain& chain() const { return *chain_; }
    int headEnd() const { return headEnd_; }
    int tailStart() const { return tailStart_; }

private:
    void registerTeacherModule(const std::string& qualifiedName, std::shared_ptr<nn::Layer> layer);
    std::shared_ptr<TeacherChain> chain_;
    std::shared_ptr<RonReduced> reduced_;
    int headEnd_, tailStart_;
};

/// The structure object of the file format above.
QJsonObject studentStructureJson(const ModelSpec& teacher, int firstIndex, int lastIndex,
                                 const std::vector<StageConfig>& stages, const std::vector<int64_t>& outShape);

/// Builds an untrained student of `structure` (a fresh teacher architecture from its spec around a reduced
/// part of the recorded shapes). Throws ranklab::Error if the structure is malformed.
std::shared_ptr<RonStudent> createStudent(const QJsonObject& structure, ModelSpec* teacherSpec = nullptr);

/// Writes `student` as a RankLab checkpoint with "ron_student" = structure in its meta (atomic).
void saveStudent(const RonStudent& student, const QJsonObject& structure, const QString& path);

/// The "ron_student" structure of a weights file, or an empty object if the file is not a RON student
/// (or not a RankLab checkpoint).
QJsonObject studentStructureOf(const QString& weightsPath);

/// The model that can hold `weightsPath`: a RON student when the file is one (its teacher must be
/// `spec`'s architecture, else ranklab::Error), otherwise models::createModel(spec).
std::shared_ptr<nn::Layer> createModelForWeights(const ModelSpec& spec, const QString& weightsPath);

/// Registers RON students with models::registerStructuredModelFactory, so that evaluation (train/, which
/// does not include ron/) builds a student from its file. Idempotent; registerBuiltinKinds() calls it.
void registerStudentModels();

} // namespace ranklab::ron

#pragma once
// Internal header (torch types): paper B Algorithm 1 — the student's weights from the teacher's, the
// activation bases V_k and the rect_maxvol rows S_k.

#include <memory>
#include <vector>

#include "core/ron/eigen.h"
#include "core/ron/student.h"
#include "core/ron/teacher_chain.h"

namespace ranklab::ron {

/// A unit's linear map restricted to chosen output rows: W (|rows| × D_in) and b, BatchNorm folded in
/// exactly (scale γ/sqrt(var + ε), bias (b − μ)·scale + β).
struct DenseRows {
    Eigen::MatrixXd W;
    Eigen::VectorXd b;
};

/// Rows `rows` (flat indices c·H_out·W_out + y·W_out + x) of the convolution as a dense matrix over the
/// flattened input (C_in·H·W), computed from the kernel: each row is one output pixel's receptive field
/// (zero padding = absent entries), so the D_out × D_in matrix is never formed. `bn` may be null.
DenseRows convRows(const nn::Conv2d& conv, const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape,
                   const std::vector<int64_t>& rows, const nn::BatchNorm* bn);
/// Rows of a linear layer (+ BatchNorm1d), as convRows.
DenseRows linearRows(const nn::Linear& linear, const std::vector<int64_t>& rows, const nn::BatchNorm* bn);

/// The 4 pre-pool indices of each post-pool index of a 2×2 stride-2 max-pool (paper B §4.2: "4 times more
/// indices"), grouped per selected index: 4·|rows| indices into the pre-pool shape (C, H, W).
std::vector<int64_t> poolSourceRows(const std::vector<int64_t>& rows, const std::vector<int64_t>& pooledShape,
                                    const std::vector<int64_t>& preShape);

/// What was learned for one capture point: V (D × R, orthonormal), the rect_maxvol rows S and
/// C = V (S V)^+ (D × P, columns in the order of rows).
struct SampledBasis {
    Eigen::MatrixXd V;
    std::vector<int64_t> rows;
    Eigen::MatrixXd C;
};

/// Throws ranklab::Error (one sentence naming the unit) if unit `unit` holds an operation RON cannot
/// carry into a student: only conv/linear → [BatchNorm] → [ReLU] → [2×2 stride-2 max-pool] (dropout and
/// flatten ignored) and torchvision BasicBlocks are supported.
void checkUnitReducible(const TeacherChain& chain, int unit);

/// Builds the student of Algorithm 1 / eq. (14) for units [firstUnit, lastUnit] of `chain`:
/// W̃_first = S W (dense rows of the first layer over its full input), W̃_k = S_k W_k · C_{k−1}
/// (C_{k−1} = V_{k−1}(S_{k−1}V_{k−1})^+), ψ after sampling, max-pool after sampling 4× rows, residual blocks
/// by eq. (16) with the branch and the shortcut sampled at the block's rows, and restore = C_K.
/// `outer[k]` is the basis of unit firstUnit+k's output; `inner[k]` of a block's inner activation (ignored
/// for other units). `outShapes[op]`/`innerShapes[op]` are activation shapes (no batch) from a dry run.
std::shared_ptr<RonStudent> buildStudent(const std::shared_ptr<TeacherChain>& chain, int firstUnit, int lastUnit,
                                         const std::vector<SampledBasis>& outer, const std::vector<SampledBasis>& inner,
                                         std::vector<StageConfig>* configs);

/// Output shape (no batch) of every chain op, and of every block's inner activation, on a zero input.
void chainShapes(const TeacherChain& chain, std::vector<std::vector<int64_t>>& outShapes,
                 std::vector<std::vector<int64_t>>& innerShapes);

} // namespace ranklab::ron

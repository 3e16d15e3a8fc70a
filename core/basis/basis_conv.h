#pragma once
// Internal header (torch types): the basis convolution of paper A §3.1 and its copy/pair rule.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/torch.h>

#include "core/basis/basis_spec.h"
#include "core/models/layers.h"

namespace ranklab::basis {

/// The structure of the pair form (paper A §3.1, Fig. 4): output channel `copyOutput[k]` is
/// `copy_scale[k] · basis map copyBasis[k]`; output `pairOutput[k]` is
/// `pair_coef[k][0] · map pairFirst[k] + pair_coef[k][1] · map pairSecond[k]` (pairFirst ≠ pairSecond).
/// Every output channel appears exactly once; every basis map is used at least once.
struct PairPlan {
    std::vector<int64_t> copyOutput, copyBasis;
    std::vector<int64_t> pairOutput, pairFirst, pairSecond;
};

/// A plan and its least-squares coefficients (double).
struct PairFit {
    PairPlan plan;
    std::vector<double> copyScale;               ///< one per copy
    std::vector<std::array<double, 2>> pairCoef; ///< one (first, second) per pair
};

/// **The copy/pair rule** (ours; paper A §3.1 leaves it open). Given the 2-D conv weight W (C_out × D,
/// D = C_in·K²) and a basis B (C'_out × D), both double:
///  1. for every output filter w_i, e1(i) is the least-squares error of its best one-term fit s·b_j and
///     e2(i) that of its best two-term fit a·b_j + c·b_k (j ≠ k; exhaustive over all pairs, using the
///     Gram matrix B·Bᵀ and W·Bᵀ); the gain g(i) = e1(i) − e2(i) ≥ 0;
///  2. the `pairs` outputs with the largest gain become two-term outputs (ties: lower output index first),
///     the others one-term copies. For the fixed basis this choice *minimises the total squared error*
///     Σ e(i) = Σ e1(i) − Σ_{pairs} g(i) over every split with that many pairs — which is why we rank by
///     gain rather than by e1 (a filter well explained by one basis filter gains little from a second);
///  3. coverage: a basis map that no output uses would cost compute and never learn (zero gradient), so
///     each unused b_j (ascending j) is swapped into the output reference whose error grows least by the
///     swap, among references to basis maps used more than once. Such a reference always exists because
///     copies + 2·pairs ≥ C_out ≥ C'_out;
///  4. coefficients are the least-squares values of the final assignment.
/// With QR initialisation the basis *is* C'_out of the filters, so those outputs become exact copies of
/// their own filter with scale 1 — Fig. 4's "basis outputs stay unchanged" — and coverage holds at once.
/// Note that (1−β)·C_out > C'_out whenever α + β < 1 (the regime that predicts a speed-up), so copies
/// must repeat basis maps; their scales keep repeated copies distinct and trainable.
PairFit fitPairPlan(const torch::Tensor& weight2d, const torch::Tensor& basis2d, int64_t pairs);

/// The plan used without a trained weight (random initialisation): deterministic round-robin. Outputs
/// 0 … copies−1 are copies of maps 0, 1, …, C'−1, 0, 1, …; the remaining outputs are pairs of the next two
/// maps in the same cycle. Covers every map because copies + 2·pairs ≥ C'_out.
PairPlan roundRobinPairPlan(int64_t cOut, int64_t basisCount, int64_t pairs);

/// How the pair form mixes the basis maps into C_out outputs. All three compute the same function.
enum class PairKernel {
    Fused,  ///< one custom autograd op: gather + scale (copies) / gather + fused multiply-add (pairs), CPU float;
            ///< other devices and dtypes fall back to Gather
    Gather, ///< index_select / mul / add / cat / index_select with stock torch ops
    Dense,  ///< expand the coefficients into a dense C_out × C'_out matrix and run a 1×1 convolution
};

/// A drop-in replacement for an nn::Conv2d (same stride, padding, dilation, bias, output shape) whose
/// C_out filters are combinations of C'_out trainable basis filters (paper A §3.1; ALGORITHMS.md §1).
///
/// Parameters (local names; qualified by the module's place in the model):
///  - "basis"      C'_out × C_in × K × K — the basis filters B;
///  - "coef"       C_out × C'_out — weight and output forms;
///  - "copy_scale" [copies] and "pair_coef" [pairs × 2] — pair form (registered only when non-empty);
///  - "bias"       C_out — only when the conv had one.
/// Buffers (pair form): "copy_plan" int64 [copies × 2] = (output, basis map) and "pair_plan" int64
/// [pairs × 3] = (output, first map, second map), so a checkpoint restores the structure with the values.
///
/// Forward per form: weight — conv(x, Coef·B) (N'_f); output — conv(x, B) then a 1×1 conv with Coef
/// (Fig. 2, N''_f); pair — conv(x, B) then copies and pairs (Fig. 4, N'''_f), mixed by one fused op.
/// On CPU (float) each of these convolutions takes the path measured fastest for its shape in LibTorch 1.13:
/// THNN's im2col + GEMM for strided 1×1 convolutions, oneDNN on channels-last input for 3×3 stride-1 convs with
/// ≤ 16 input and output channels, torch's default otherwise — the same function, faster (see convolve()).
///
/// Initialisation (BasisSpec::init) from the conv's current weight W (C_out × C_in·K·K):
///  - qr: column-pivoted QR of Wᵀ picks C'_out real filters as B; Coef = least squares (minimum norm);
///  - svd: W ≈ U_r Σ_r V_rᵀ, B = Σ_r V_rᵀ, Coef = U_r; when C'_out > rank bound min(C_out, D), the extra basis
///    filters start random (std √(2/(C_out·K²))) with zero coefficients, so they can still learn;
///  - random: B ~ N(0, 2/(C_out·K²)) (torchvision's conv init, kaiming fan-out), Coef ~ N(0, 1/C'_out) so
///    Coef·B has the same variance; pair form: copies scale 1, pairs (1/√2, 1/√2), round-robin plan.
///    Uses torch's global generator (seed it with torch::manual_seed for reproducibility).
/// Pair form with qr/svd: B as above, then fitPairPlan() decides copies and pairs.
/// Groups other than 1 are rejected.
class BasisConv2d final : public nn::Layer {
public:
    /// Builds the basis form of `conv` by `spec`; `layerName` only names the layer in error messages.
    /// Throws ranklab::Error for an invalid spec (see validateBasisSpec) or a grouped conv.
    BasisConv2d(const nn::Conv2d& conv, const BasisSpec& spec, const std::string& layerName = {});

    torch::Tensor forward(const torch::Tensor& x) override;
    /// FLOPs of one forward of one sample (inShape C_in × H × W, outShape C_out × H_out × W_out): the basis
    /// conv 2·K²·C_in·C'_out·H_out·W_out, plus weight form 2·C_out·C'_out·C_in·K² (composing W, once per
    /// call as the paper's N'_f counts it) and 2·K²·C_in·C_out·H_out·W_out; output form
    /// 2·C_out·C'_out·H_out·W_out; pair form 1 per copy element and 3 per pair element; + C_out·H_out·W_out
    /// bias adds. (The weight form's conv term replaces the basis conv term.)
    int64_t forwardFlops(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape) const override;

    const nn::ConvOptions& options() const { return options_; }
    const BasisSpec& spec() const { return spec_; }
    int64_t basisCount() const { return basisCount_; }
    int64_t copyCount() const { return copyScale.numel(); }
    int64_t pairCount() const { return pairCoef.numel() / 2; }
    /// The pair form's plan, read from the plan buffers (empty for the other forms).
    PairPlan plan() const;
    /// ‖W − Coef·B‖_F / ‖W‖_F of the initial factorisation against the conv weight it was built from
    /// (double precision); 0 for random initialisation.
    double reconstructionError() const { return reconstructionError_; }

    /// The dense C_out × C'_out coefficient matrix (pair form: copies and pairs expanded, zeros elsewhere).
    /// Differentiable in the coefficient parameters.
    torch::Tensor coefficientMatrix() const;
    /// Coef·B reshaped to C_out × C_in × K × K: the weight of the equivalent Conv2d.
    torch::Tensor composedWeight() const;
    /// An ordinary Conv2d of the original options whose weight is composedWeight() and whose bias is this
    /// layer's bias, on this layer's device and dtype: every form is linear in the basis maps, so its
    /// outputs equal this layer's (paper A §4.2, "compose the weight matrices of original size").
    std::shared_ptr<nn::Conv2d> composeBack() const;

    /// Maps velocities of this layer's parameters — e.g. SGD momentum buffers, keyed by local parameter
    /// name ("basis", "coef", "copy_scale", "pair_coef", "bias"; missing ones count as zero) — to the
    /// composed Conv2d's parameters {"weight", "bias"}. The map is the differential of W = Coef·B:
    ///   dW = dCoef·B + Coef·dB,   dbias = dbias,
    /// i.e. the first-order change of the composed weight that one more step along those velocities would
    /// make (p ← p − lr·v gives W ← W − lr·dW + O(lr²)). Seeding the Conv2d's momentum with dW keeps the
    /// weight's trajectory continuous across the compose-back at the skip epoch. Meaningful for velocities
    /// (momentum), not for gradients: the full-space gradient is not determined by the basis-space ones.
    std::unordered_map<std::string, torch::Tensor>
    composeVelocity(const std::unordered_map<std::string, torch::Tensor>& velocities) const;

    /// Chooses the pair form's mixing implementation (default Fused) — for benchmarks and tests.
    void setPairKernel(PairKernel kernel) { pairKernel_ = kernel; }
    PairKernel pairKernel() const { return pairKernel_; }

    torch::Tensor basis, coef, copyScale, pairCoef, bias; ///< undefined / empty where the form has none
    torch::Tensor copyPlan, pairPlan;                     ///< int64 buffers of the pair form

private:
    /// conv2d with this layer's stride, padding and dilation, on the fastest measured CPU path for the shape
    /// (THNN for strided 1×1, channels-last oneDNN for small stride-1 convs, else torch's default; see .cpp).
    torch::Tensor convolve(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& convBias) const;
    torch::Tensor mixPairs(const torch::Tensor& y) const;

    nn::ConvOptions options_;
    BasisSpec spec_;
    int64_t basisCount_ = 0;
    double reconstructionError_ = 0;
    PairKernel pairKernel_ = PairKernel::Fused;
};

} // namespace ranklab::basis

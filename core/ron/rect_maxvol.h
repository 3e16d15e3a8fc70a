#pragma once

#include <vector>

#include "core/ron/eigen.h"

namespace ranklab::ron {

/// Outcome of rectangular maxvol on a tall matrix A ∈ R^{N×r}.
struct RectMaxvolResult {
    /// S: P distinct row indices of A; the first r are square maxvol's rows, the rest in order of addition.
    std::vector<Eigen::Index> rows;
    /// C = A (S A)^+ (N × P); column k belongs to rows[k]. With A = V_k this is paper B's V_k (S_k V_k)^+.
    Eigen::MatrixXd C;
    /// Row swaps made by the square maxvol start.
    int maxvolIterations = 0;
    /// max ‖C_i‖₂ over the rows i not in S (0 when P = N).
    double maxRowNorm = 0;
    /// True when the greedy loop stopped because every unchosen row had ‖C_i‖₂ ≤ tol (K ≥ minK), false when
    /// it stopped at maxK.
    bool converged = false;
};

/// Rectangular maximum-volume rows (Mikhalev & Oseledets 2018, "Rectangular maximum-volume submatrices and
/// their applications", LAA 538; ALGORITHMS.md §3). Starts from square maxvol (tol 1.05, ≤ 100 swaps) with
/// C = A·A[I]^{-1} and row norms F_i = ‖C_i‖² (0 for chosen rows); while (max F > tol² and K < maxK) or
/// K < minK: i = argmax F, c = C_i, v = C cᵀ, l = 1/(1 + v_i), C ← [C − l·v·c, l·v], F ← F − l·v².
/// C is kept as C = C0·M with C0 = A·A[I]^{-1} (N × r) and M (r × K): the update is applied to M with
/// w = M cᵀ in place of v (v = C0·w), so an addition costs one N × r product instead of rewriting N × K
/// entries, and the whole run is O(N r P) (≤ O(N P²)) with no pseudo-inverse in the loop. At the end
/// M = (C0[S])^+ by a P × r QR, so C = A (S A)^+ exactly.
/// minK < 0 means r, maxK < 0 means N; requires 1 ≤ r ≤ minK ≤ maxK ≤ N and tol ≥ 0 (ALGORITHMS.md uses 1).
/// Throws ranklab::Error for invalid arguments and rank-deficient or non-finite A.
RectMaxvolResult rectMaxvol(const Eigen::MatrixXd& A, double tol = 1.0, Eigen::Index minK = -1,
                            Eigen::Index maxK = -1);

/// P for R columns from a ratio P/R, as paper B picks P ∈ [R, 2R]: clamp(round(ratio·R), R, min(2R, N)).
Eigen::Index sampleCountForRatio(Eigen::Index R, double ratio, Eigen::Index N);

/// Exactly P rows of V ∈ R^{D×R} (rect_maxvol with tol 1 and minK = maxK = P), P from sampleCountForRatio.
RectMaxvolResult rectMaxvolForRatio(const Eigen::MatrixXd& V, double ratio);

/// Paper B eq. (19) (Mikhalev & Oseledets 2018, Lemma 4.3 and Remark 4.4): the bound
/// sqrt(1 + (D − P)·R / (P + 1 − R)) on ‖V (S V)^+‖₂ for a maximum-volume P × R submatrix of V ∈ R^{D×R};
/// by eq. (20) it multiplies ‖ε_k‖₂ in the student's error bound. Requires 1 ≤ R ≤ P ≤ D.
double rectMaxvolBound(Eigen::Index D, Eigen::Index P, Eigen::Index R);

/// ‖M‖₂, the largest singular value (square root of the top eigenvalue of MᵀM or MMᵀ, whichever is smaller).
double spectralNorm(const Eigen::MatrixXd& M);

} // namespace ranklab::ron

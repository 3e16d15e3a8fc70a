#pragma once

#include <utility>
#include <vector>

#include "core/ron/eigen.h"

namespace ranklab::ron {

/// Outcome of square maxvol on a tall matrix A ∈ R^{N×r}.
struct MaxvolResult {
    /// I: r distinct row indices of A; rows[j] is the row in position j of the submatrix A[I].
    std::vector<Eigen::Index> rows;
    /// B = A · A[I]^{-1} (N × r), in A's row order; B[I] is the identity (up to rounding).
    Eigen::MatrixXd B;
    /// Row swaps made (each strictly increases |det A[I]|).
    int iterations = 0;
    /// (row of A brought in, position j it replaced), one entry per swap, in order.
    std::vector<std::pair<Eigen::Index, int>> swaps;
    /// ln|det A[I]|: entry 0 after the LU start, then one entry per swap (non-decreasing).
    std::vector<double> logVolume;
    /// max |B_ij| at the end; ≤ tol when converged.
    double maxAbsB = 0;
    /// True when the loop stopped because max |B_ij| ≤ tol, false when it ran out of iterations.
    bool converged = false;
};

/// Square maximum-volume rows (Goreinov, Oseledets, Savostyanov, Tyrtyshnikov & Zamarashkin 2010, "How to
/// find a good submatrix"; ALGORITHMS.md §3). Start: the r pivot rows I of LU with partial pivoting and
/// B = A·A[I]^{-1}, both from one blocked column-oriented Gauss–Jordan elimination with partial pivoting
/// (same pivots as LU: each is the largest entry of the current Schur-complement column; N r² multiply-adds,
/// nearly all in GEMM). Then, while max |B_ij| > tol and fewer than maxIters swaps: (i, j) = argmax |B|,
/// I[j] = i, B ← B − B[:, j](B[i, :] − e_jᵀ)/B_ij (O(N r) per swap, |det A[I]| grows by |B_ij|). The loop
/// stops at max(tol, 1 + 1e-12) so that rounding in the identity rows B[I] never triggers a swap.
/// Requires N ≥ r ≥ 1, tol ≥ 1, maxIters ≥ 0, finite entries and full column rank (a pivot at or below
/// max(N, r)·ε·max|A| counts as rank-deficient); throws ranklab::Error otherwise.
MaxvolResult maxvol(const Eigen::MatrixXd& A, double tol = 1.05, int maxIters = 100);

} // namespace ranklab::ron

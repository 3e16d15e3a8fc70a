#include "core/ron/maxvol.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include <Eigen/Dense>

#include "core/error.h"

namespace ranklab::ron {
namespace {

using Eigen::Index;

// Panels at most this wide are eliminated column by column; wider ones split in two, so that almost all of
// the N r² multiply-adds of the start run in Eigen's GEMM.
constexpr Index kLeafColumns = 8;

std::string shape(const Eigen::MatrixXd& A)
{
    return std::to_string(A.rows()) + " × " + std::to_string(A.cols());
}

// State of the blocked Gauss–Jordan start (see gaussJordan below).
struct Elimination {
    Eigen::MatrixXd& X;          // N × r, A on entry, B = A·A[I]^{-1} on exit
    std::vector<Index>& pivots;  // pivots[k]: row chosen for column k
    double floor;                // pivots at or below this magnitude mean rank deficiency
    double logVolume = 0;        // Σ ln|pivot|
    bool deficient = false;
};

// Unblocked Gauss–Jordan on the columns [c0, c1). Rows chosen earlier hold exact zeros in these columns, so
// the largest entry of column k is the partial-pivoting choice among the remaining rows.
void eliminatePanel(Elimination& e, Index c0, Index c1)
{
    Eigen::MatrixXd& X = e.X;
    for (Index k = c0; k < c1; ++k) {
        Index p = 0;
        const double magnitude = X.col(k).cwiseAbs().maxCoeff(&p);
        if (!(magnitude > e.floor)) {
            e.deficient = true;
            return;
        }
        const double pivot = X(p, k);
        e.logVolume += std::log(magnitude);
        e.pivots[static_cast<size_t>(k)] = p;
        X.col(k) /= pivot;
        X(p, k) = 1.0;
        for (Index m = c0; m < c1; ++m) {
            if (m == k)
                continue;
            const double f = X(p, m);
            if (f != 0.0)
                X.col(m) -= f * X.col(k);
            X(p, m) = 0.0;
        }
    }
}

// X[:, cols] -= X[:, from] · X[rows, cols], then exact zeros at `rows` (they were eliminated).
void eliminateBlock(Eigen::MatrixXd& X, Index c0, Index n, Index from0, Index fromN, const std::vector<Index>& pivots)
{
    Eigen::MatrixXd g(fromN, n);
    for (Index a = 0; a < fromN; ++a)
        g.row(a) = X.row(pivots[static_cast<size_t>(from0 + a)]).segment(c0, n);
    X.middleCols(c0, n).noalias() -= X.middleCols(from0, fromN) * g;
    for (Index a = 0; a < fromN; ++a)
        X.row(pivots[static_cast<size_t>(from0 + a)]).segment(c0, n).setZero();
}

// Column-oriented Gauss–Jordan elimination with partial pivoting, recursive in the column range [c0, c1).
// It picks the same rows as LU with partial pivoting (each pivot is the largest entry of the current
// Schur-complement column among unchosen rows) and leaves B = A·A[I]^{-1} in place, in N r² multiply-adds
// (LU followed by B = L·L11^{-1} would take 1.5 N r²). With J1, J2 the pivots of the halves:
// B1 = A1 A1[J1]^{-1}; S2 = A2 − B1 A2[J1]; B2 = S2 S2[J2]^{-1}; B1 ← B1 − B2 B1[J2].
void gaussJordan(Elimination& e, Index c0, Index c1)
{
    const Index n = c1 - c0;
    if (n <= kLeafColumns) {
        eliminatePanel(e, c0, c1);
        return;
    }
    const Index cm = c0 + n / 2;
    gaussJordan(e, c0, cm);
    if (e.deficient)
        return;
    eliminateBlock(e.X, cm, c1 - cm, c0, cm - c0, e.pivots);
    gaussJordan(e, cm, c1);
    if (e.deficient)
        return;
    eliminateBlock(e.X, c0, cm - c0, cm, c1 - cm, e.pivots);
}

// y += a·x and max |y| in one sweep: chunks small enough to stay in L1 between the update and the max.
double axpyMaxAbs(Eigen::Ref<Eigen::VectorXd> y, double a, const Eigen::VectorXd& x)
{
    constexpr Index kChunk = 512;
    const Index n = y.size();
    double best = 0;
    for (Index q = 0; q < n; q += kChunk) {
        const Index len = std::min(kChunk, n - q);
        auto ys = y.segment(q, len);
        ys.noalias() += a * x.segment(q, len);
        best = std::max(best, ys.cwiseAbs().maxCoeff());
    }
    return best;
}

// max |B_ij| and its position, column by column.
double argmaxAbs(const Eigen::MatrixXd& B, Index& bi, Index& bj)
{
    double best = -1;
    for (Index j = 0; j < B.cols(); ++j) {
        Index i = 0;
        const double m = B.col(j).cwiseAbs().maxCoeff(&i);
        if (m > best) {
            best = m;
            bi = i;
            bj = j;
        }
    }
    return best;
}

} // namespace

MaxvolResult maxvol(const Eigen::MatrixXd& A, double tol, int maxIters)
{
    const Index N = A.rows();
    const Index r = A.cols();
    if (r < 1 || N < r)
        throw Error("maxvol needs a matrix with at least as many rows as columns and at least one column, not " +
                    shape(A) + ".");
    if (!(tol >= 1.0) || !std::isfinite(tol))
        throw Error("The maxvol tolerance must be a finite number of at least 1, not " + std::to_string(tol) + ".");
    if (maxIters < 0)
        throw Error("The maxvol iteration limit must not be negative.");
    if (!A.allFinite())
        throw Error("The " + shape(A) + " matrix given to maxvol contains NaN or infinite entries.");

    // Start: the pivot rows of LU with partial pivoting, and B = A·A[I]^{-1}, by blocked Gauss–Jordan.
    MaxvolResult result;
    result.B = A;
    result.rows.assign(static_cast<size_t>(r), 0);
    const double maxAbs = A.cwiseAbs().maxCoeff();
    Elimination e{result.B, result.rows,
                  static_cast<double>(std::max(N, r)) * std::numeric_limits<double>::epsilon() * maxAbs};
    gaussJordan(e, 0, r);
    if (e.deficient)
        throw Error("The " + shape(A) + " matrix is rank-deficient (numerical rank below " + std::to_string(r) +
                    "), so it has no " + std::to_string(r) + " linearly independent rows to select.");
    double logVolume = e.logVolume;
    result.logVolume.push_back(logVolume);

    // Swaps. Rows already in I carry entries 0 and 1 up to rounding: stopping at max(tol, 1 + 1e-12) keeps
    // rounding from "swapping" a chosen row in again.
    Eigen::MatrixXd& B = result.B;
    const double stopAt = std::max(tol, 1.0 + 1e-12);
    Index bi = 0, bj = 0;
    double best = argmaxAbs(B, bi, bj);
    Eigen::VectorXd u(N);
    Eigen::RowVectorXd t(r);
    while (best > stopAt && result.iterations < maxIters) {
        const Index i = bi;
        const Index j = bj;
        const double bij = B(i, j);
        u = B.col(j);
        t = B.row(i);
        t(j) -= 1.0;
        t /= bij;
        // B ← B − B[:, j] (B[i, :] − e_jᵀ) / B_ij, column by column, with the next argmax taken while each
        // column is still in cache.
        best = -1;
        for (Index m = 0; m < r; ++m) {
            const double cm = axpyMaxAbs(B.col(m), -t(m), u);
            if (cm > best) {
                best = cm;
                bj = m;
            }
        }
        B.col(bj).cwiseAbs().maxCoeff(&bi);
        result.rows[static_cast<size_t>(j)] = i;
        result.swaps.emplace_back(i, static_cast<int>(j));
        logVolume += std::log(std::abs(bij));
        result.logVolume.push_back(logVolume);
        ++result.iterations;
    }
    result.maxAbsB = best;
    result.converged = best <= stopAt;
    return result;
}

} // namespace ranklab::ron

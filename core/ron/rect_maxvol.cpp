#include "core/ron/rect_maxvol.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <Eigen/Dense>

#include "core/error.h"
#include "core/ron/maxvol.h"

namespace ranklab::ron {

using Eigen::Index;

namespace {

// Σ_j M_ij² for every row i, column by column (contiguous for column-major M).
Eigen::VectorXd rowSquaredNorms(const Eigen::MatrixXd& M)
{
    Eigen::VectorXd f = Eigen::VectorXd::Zero(M.rows());
    for (Index j = 0; j < M.cols(); ++j)
        f += M.col(j).cwiseAbs2();
    return f;
}

} // namespace

RectMaxvolResult rectMaxvol(const Eigen::MatrixXd& A, double tol, Index minK, Index maxK)
{
    const Index N = A.rows();
    const Index r = A.cols();
    if (minK < 0)
        minK = r;
    if (maxK < 0)
        maxK = N;
    if (r < 1 || N < r)
        throw Error("rect_maxvol needs a matrix with at least as many rows as columns and at least one column, not " +
                    std::to_string(N) + " × " + std::to_string(r) + ".");
    if (!(minK >= r && minK <= maxK && maxK <= N))
        throw Error("rect_maxvol needs " + std::to_string(r) + " ≤ minK ≤ maxK ≤ " + std::to_string(N) +
                    ", not minK = " + std::to_string(minK) + " and maxK = " + std::to_string(maxK) + ".");
    if (!(tol >= 0) || !std::isfinite(tol))
        throw Error("The rect_maxvol tolerance must be a finite non-negative number, not " + std::to_string(tol) + ".");

    MaxvolResult start = maxvol(A);
    const Eigen::MatrixXd& C0 = start.B;

    RectMaxvolResult result;
    result.maxvolIterations = start.iterations;
    result.rows = start.rows;
    result.rows.reserve(static_cast<size_t>(std::min(maxK, std::max(minK, 2 * r))));
    std::vector<char> chosen(static_cast<size_t>(N), 0);
    for (Index i : result.rows)
        chosen[static_cast<size_t>(i)] = 1;

    // F_i = ‖C_i‖², 0 on chosen rows; the argmax runs over unchosen rows only.
    Eigen::VectorXd F = rowSquaredNorms(C0);
    Index next = -1;
    double fmax = -1;
    for (Index q = 0; q < N; ++q) {
        if (chosen[static_cast<size_t>(q)]) {
            F(q) = 0;
        } else if (F(q) > fmax) {
            fmax = F(q);
            next = q;
        }
    }

    // C = C0·M; M starts as the identity (C = C0 on the maxvol rows) and grows one column per addition.
    Index capacity = std::min(maxK, std::max(minK, 2 * r));
    Eigen::MatrixXd M = Eigen::MatrixXd::Zero(r, capacity);
    M.leftCols(r).setIdentity();
    Index K = r;
    const double tol2 = tol * tol;
    Eigen::RowVectorXd c;
    Eigen::VectorXd w(r);
    Eigen::VectorXd v(N);
    while (next >= 0 && ((fmax > tol2 && K < maxK) || K < minK)) {
        const Index i = next;
        c.noalias() = C0.row(i) * M.leftCols(K); // c = C_i
        w.noalias() = M.leftCols(K) * c.transpose();
        v.noalias() = C0 * w;                      // v = C cᵀ
        const double l = 1.0 / (1.0 + v(i));
        if (K == capacity) {
            capacity = std::min(maxK, 2 * capacity);
            M.conservativeResize(Eigen::NoChange, capacity);
        }
        M.leftCols(K).noalias() -= (l * w) * c;     // C ← [C − l·v·c, l·v]
        M.col(K) = l * w;
        ++K;
        result.rows.push_back(i);
        chosen[static_cast<size_t>(i)] = 1;
        F(i) = 0;

        next = -1;
        fmax = -1;
        for (Index q = 0; q < N; ++q) {
            if (chosen[static_cast<size_t>(q)])
                continue;
            const double f = F(q) - l * v(q) * v(q);
            F(q) = f;
            if (f > fmax) {
                fmax = f;
                next = q;
            }
        }
    }
    result.converged = !(fmax > tol2);

    // C = C0 (C0[S])^+ = A (A[S])^+ (A[I] is invertible), with the pseudo-inverse from a P × r QR.
    const Index P = K;
    Eigen::MatrixXd CS(P, r);
    for (Index k = 0; k < P; ++k)
        CS.row(k) = C0.row(result.rows[static_cast<size_t>(k)]);
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(CS);
    const Eigen::MatrixXd Q1 = qr.householderQ() * Eigen::MatrixXd::Identity(P, r);
    const Eigen::MatrixXd pinv =
        qr.matrixQR().topRows(r).triangularView<Eigen::Upper>().solve(Q1.transpose()); // r × P
    result.C.resize(N, P);
    result.C.noalias() = C0 * pinv;

    const Eigen::VectorXd norms = rowSquaredNorms(result.C);
    double maxNorm2 = 0;
    for (Index q = 0; q < N; ++q)
        if (!chosen[static_cast<size_t>(q)])
            maxNorm2 = std::max(maxNorm2, norms(q));
    result.maxRowNorm = std::sqrt(maxNorm2);
    return result;
}

Index sampleCountForRatio(Index R, double ratio, Index N)
{
    if (R < 1 || N < R)
        throw Error("Sampling rows needs 1 ≤ R ≤ N, not R = " + std::to_string(R) + " and N = " + std::to_string(N) + ".");
    if (!std::isfinite(ratio) || ratio <= 0)
        throw Error("The sampling ratio P/R must be a positive number, not " + std::to_string(ratio) + ".");
    const double upper = static_cast<double>(std::min(2 * R, N));
    return static_cast<Index>(std::clamp(std::round(ratio * static_cast<double>(R)), static_cast<double>(R), upper));
}

RectMaxvolResult rectMaxvolForRatio(const Eigen::MatrixXd& V, double ratio)
{
    const Index P = sampleCountForRatio(V.cols(), ratio, V.rows());
    return rectMaxvol(V, 1.0, P, P);
}

double rectMaxvolBound(Index D, Index P, Index R)
{
    if (!(R >= 1 && R <= P && P <= D))
        throw Error("The rect_maxvol bound needs 1 ≤ R ≤ P ≤ D, not D = " + std::to_string(D) + ", P = " +
                    std::to_string(P) + " and R = " + std::to_string(R) + ".");
    const double d = static_cast<double>(D), p = static_cast<double>(P), r = static_cast<double>(R);
    return std::sqrt(1.0 + (d - p) * r / (p + 1.0 - r));
}

double spectralNorm(const Eigen::MatrixXd& M)
{
    if (M.size() == 0)
        return 0;
    const bool tall = M.rows() >= M.cols();
    const Index n = tall ? M.cols() : M.rows();
    Eigen::MatrixXd G = Eigen::MatrixXd::Zero(n, n);
    if (tall)
        G.selfadjointView<Eigen::Lower>().rankUpdate(M.transpose());
    else
        G.selfadjointView<Eigen::Lower>().rankUpdate(M);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G, Eigen::EigenvaluesOnly);
    return std::sqrt(std::max(0.0, eig.eigenvalues().maxCoeff()));
}

} // namespace ranklab::ron

// Tests of core/ron's numerical core: maxvol, rect_maxvol (paper B eq. 19), EVBMF, activation sketches.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#if __has_include(<Eigen/Dense>)
#include <Eigen/Dense>
#else
#include <eigen3/Eigen/Dense>
#endif

#include <QtTest>

#include "core/error.h"
#include "core/ron/activation_sketch.h"
#include "core/ron/evbmf.h"
#include "core/ron/maxvol.h"
#include "core/ron/rect_maxvol.h"

using namespace ranklab;
using namespace ranklab::ron;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

MatrixXd gaussian(Index rows, Index cols, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    MatrixXd X(rows, cols);
    for (Index i = 0; i < X.size(); ++i)
        X.data()[i] = normal(rng);
    return X;
}

MatrixXd orthonormal(Index rows, Index cols, uint64_t seed)
{
    const Eigen::HouseholderQR<MatrixXd> qr(gaussian(rows, cols, seed));
    return qr.householderQ() * MatrixXd::Identity(rows, cols);
}

// The test matrices for maxvol and rect_maxvol: random and structured, all of full column rank.
MatrixXd testMatrix(const QString& kind, Index N, Index r, uint64_t seed)
{
    if (kind == QLatin1String("gaussian"))
        return gaussian(N, r, seed);
    if (kind == QLatin1String("orthonormal")) // low coherence: an orthonormal basis of a random subspace
        return orthonormal(N, r, seed);
    if (kind == QLatin1String("duplicates")) { // every row repeated, some nearly, some exactly
        const MatrixXd base = gaussian(N / 4, r, seed);
        const MatrixXd noise = 1e-9 * gaussian(N, r, seed + 1);
        MatrixXd A(N, r);
        for (Index i = 0; i < N; ++i)
            A.row(i) = base.row(i % base.rows()) + (i % 3 == 0 ? MatrixXd::Zero(1, r) : MatrixXd(noise.row(i)));
        return A;
    }
    if (kind == QLatin1String("vandermonde")) { // rows (1, x, x², …) at Chebyshev-like points in [−1, 1]
        MatrixXd A(N, r);
        for (Index i = 0; i < N; ++i) {
            const double x = std::cos(M_PI * (static_cast<double>(i) + 0.5) / static_cast<double>(N));
            double p = 1;
            for (Index j = 0; j < r; ++j, p *= x)
                A(i, j) = p;
        }
        return A;
    }
    if (kind == QLatin1String("coherent")) { // high coherence: a few rows carry the subspace
        MatrixXd A = 1e-3 * gaussian(N, r, seed);
        for (Index j = 0; j < r; ++j)
            A(7 * j + 3, j) += 1.0;
        return A;
    }
    if (kind == QLatin1String("scaled")) { // rows on very different scales
        MatrixXd A = gaussian(N, r, seed);
        for (Index i = 0; i < N; ++i)
            A.row(i) *= std::pow(10.0, static_cast<double>(i % 7) - 3.0);
        return A;
    }
    qFatal("unknown matrix kind");
}

MatrixXd rowsOf(const MatrixXd& A, const std::vector<Index>& rows)
{
    MatrixXd S(static_cast<Index>(rows.size()), A.cols());
    for (size_t k = 0; k < rows.size(); ++k)
        S.row(static_cast<Index>(k)) = A.row(rows[k]);
    return S;
}

bool distinct(const std::vector<Index>& rows, Index N)
{
    const std::set<Index> unique(rows.begin(), rows.end());
    return unique.size() == rows.size() && *unique.begin() >= 0 && *unique.rbegin() < N;
}

double logAbsDet(const MatrixXd& square)
{
    const Eigen::PartialPivLU<MatrixXd> lu(square);
    return lu.matrixLU().diagonal().cwiseAbs().array().log().sum();
}

// Literal rect_maxvol of ALGORITHMS.md with an explicit C (O(N P²) memory traffic per step): the reference.
std::vector<Index> literalRectMaxvol(const MatrixXd& A, double tol, Index minK, Index maxK)
{
    const MaxvolResult start = maxvol(A);
    MatrixXd C = start.B;
    std::vector<Index> rows = start.rows;
    VectorXd F = C.rowwise().squaredNorm();
    for (Index i : rows)
        F(i) = 0;
    Index K = A.cols();
    for (;;) {
        Index i = 0;
        const double fmax = F.maxCoeff(&i);
        if (!((fmax > tol * tol && K < maxK) || K < minK))
            break;
        const Eigen::RowVectorXd c = C.row(i);
        const VectorXd v = C * c.transpose();
        const double l = 1.0 / (1.0 + v(i));
        MatrixXd next(A.rows(), K + 1);
        next.leftCols(K) = C - l * v * c;
        next.col(K) = l * v;
        C = next;
        ++K;
        F -= l * v.cwiseAbs2();
        rows.push_back(i);
        for (Index j : rows)
            F(j) = 0;
    }
    return rows;
}

// Z = U diag(s) Vᵀ + noise·G, rows as floats (what a network produces) and the same values in double.
struct Activations {
    RowMatrixXf rows;
    MatrixXd exact;
};

Activations lowRankActivations(Index N, Index D, const VectorXd& s, double noise, uint64_t seed)
{
    const Index R = s.size();
    const MatrixXd U = orthonormal(N, R, seed);
    const MatrixXd V = orthonormal(D, R, seed + 1);
    const MatrixXd Z = U * s.asDiagonal() * V.transpose() + noise * gaussian(N, D, seed + 2);
    Activations a;
    a.rows = Z.cast<float>();
    a.exact = a.rows.cast<double>();
    return a;
}

// Feeds the rows in batches of varying size (1 … 97 rows) through the pointer interface.
void stream(ActivationSketch& sketch, const RowMatrixXf& rows, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<Index> size(1, 97);
    for (Index start = 0; start < rows.rows();) {
        const Index n = std::min(size(rng), rows.rows() - start);
        sketch.add(rows.row(start).data(), n, rows.cols());
        start += n;
    }
}

// ‖sin Θ‖₂ between the column spans of two matrices with orthonormal columns.
double sinTheta(const MatrixXd& V1, const MatrixXd& V2)
{
    return spectralNorm(V2 - V1 * (V1.transpose() * V2));
}

bool oneSentence(const ranklab::Error& e)
{
    const std::string m = e.what();
    return !m.empty() && m.back() == '.' && m.find('\n') == std::string::npos;
}

template <typename F>
bool throwsOneSentence(F&& f)
{
    try {
        f();
    } catch (const ranklab::Error& e) {
        return oneSentence(e);
    }
    return false;
}

} // namespace

class TestRonLinalg : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void maxvolStartIsPartialPivoting();
    void maxvolIncreasesVolume_data();
    void maxvolIncreasesVolume();
    void maxvolRejectsBadInput();
    void rectMaxvolConverges_data();
    void rectMaxvolConverges();
    void rectMaxvolFixedP_data();
    void rectMaxvolFixedP();
    void rectMaxvolMatchesLiteralAlgorithm();
    void rectMaxvolRatioAndBound();
    void rectMaxvolRejectsBadInput();
    void evbmfRecoversRank_data();
    void evbmfRecoversRank();
    void evbmfFromTopSingularValues();
    void rankHelpers();
    void gramSketchEqualsSvd();
    void frequentDirectionsGuarantee_data();
    void frequentDirectionsGuarantee();
    void frequentDirectionsSubspace();
    void randomizedRangeFinder();
    void sketchMemoryIsBounded();
    void sketchRejectsBadInput();
    void sketchesOfZeroActivations();
};

void TestRonLinalg::maxvolStartIsPartialPivoting()
{
    // With no swaps, the rows are the pivots of textbook LU with partial pivoting, in pivot order.
    const MatrixXd A = gaussian(300, 25, 11);
    MatrixXd lu = A;
    std::vector<Index> perm(300);
    for (Index i = 0; i < 300; ++i)
        perm[static_cast<size_t>(i)] = i;
    for (Index k = 0; k < 25; ++k) {
        Index p = 0;
        lu.col(k).tail(300 - k).cwiseAbs().maxCoeff(&p);
        p += k;
        lu.row(k).swap(lu.row(p));
        std::swap(perm[static_cast<size_t>(k)], perm[static_cast<size_t>(p)]);
        lu.col(k).tail(300 - k - 1) /= lu(k, k);
        lu.bottomRightCorner(300 - k - 1, 25 - k - 1) -=
            lu.col(k).tail(300 - k - 1) * lu.row(k).tail(25 - k - 1);
    }
    const MaxvolResult start = maxvol(A, 1.05, 0);
    QCOMPARE(start.iterations, 0);
    QVERIFY(std::equal(start.rows.begin(), start.rows.end(), perm.begin()));
    QVERIFY(std::abs(start.logVolume.front() - logAbsDet(rowsOf(A, start.rows))) < 1e-9);
    const MatrixXd B = A * rowsOf(A, start.rows).inverse();
    QVERIFY((start.B - B).cwiseAbs().maxCoeff() < 1e-10);
}

void TestRonLinalg::maxvolIncreasesVolume_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("N");
    QTest::addColumn<int>("r");
    QTest::newRow("gaussian 1000x20") << "gaussian" << 1000 << 20;
    QTest::newRow("gaussian 5000x64") << "gaussian" << 5000 << 64;
    QTest::newRow("orthonormal 2000x40") << "orthonormal" << 2000 << 40;
    QTest::newRow("near-duplicate rows 800x16") << "duplicates" << 800 << 16;
    QTest::newRow("vandermonde 500x10") << "vandermonde" << 500 << 10;
    QTest::newRow("coherent 600x30") << "coherent" << 600 << 30;
    QTest::newRow("row scales 1e-3..1e3 700x24") << "scaled" << 700 << 24;
    QTest::newRow("square 30x30") << "gaussian" << 30 << 30;
    QTest::newRow("one column") << "gaussian" << 50 << 1;
}

void TestRonLinalg::maxvolIncreasesVolume()
{
    QFETCH(QString, kind);
    QFETCH(int, N);
    QFETCH(int, r);
    const MatrixXd A = testMatrix(kind, N, r, 100 + N + r);
    const MaxvolResult res = maxvol(A);
    QVERIFY(res.converged);
    QVERIFY(res.maxAbsB <= 1.05);
    QCOMPARE(static_cast<int>(res.rows.size()), r);
    QVERIFY(distinct(res.rows, N));
    QCOMPARE(res.B.rows(), Index(N));
    QCOMPARE(res.B.cols(), Index(r));
    QCOMPARE(static_cast<int>(res.logVolume.size()), res.iterations + 1);
    QCOMPARE(static_cast<int>(res.swaps.size()), res.iterations);

    // The history is the true ln|det A[I]| after each swap (replayed), and it never decreases.
    std::vector<Index> rows = maxvol(A, 1.05, 0).rows;
    const double scale = std::max(1.0, std::abs(res.logVolume.front()));
    QVERIFY(std::abs(logAbsDet(rowsOf(A, rows)) - res.logVolume.front()) < 1e-8 * scale);
    for (int t = 0; t < res.iterations; ++t) {
        QVERIFY2(res.logVolume[static_cast<size_t>(t + 1)] > res.logVolume[static_cast<size_t>(t)],
                 qPrintable(QStringLiteral("volume decreased at swap %1").arg(t)));
        rows[static_cast<size_t>(res.swaps[static_cast<size_t>(t)].second)] = res.swaps[static_cast<size_t>(t)].first;
        QVERIFY(std::abs(logAbsDet(rowsOf(A, rows)) - res.logVolume[static_cast<size_t>(t + 1)]) < 1e-8 * scale);
    }
    QVERIFY(rows == res.rows);

    // B = A·A[I]^{-1}, identity on I, and max |B| ≤ tol computed from scratch.
    const MatrixXd B = A * rowsOf(A, res.rows).inverse();
    QVERIFY2((res.B - B).cwiseAbs().maxCoeff() < 1e-8 * std::max(1.0, B.cwiseAbs().maxCoeff()),
             qPrintable(QString::number((res.B - B).cwiseAbs().maxCoeff())));
    QVERIFY((rowsOf(res.B, res.rows) - MatrixXd::Identity(r, r)).cwiseAbs().maxCoeff() < 1e-12);
    QVERIFY(B.cwiseAbs().maxCoeff() <= 1.05 + 1e-8);
}

void TestRonLinalg::maxvolRejectsBadInput()
{
    MatrixXd dupColumn = gaussian(100, 8, 1);
    dupColumn.col(5) = dupColumn.col(2);
    const MatrixXd lowRank = gaussian(200, 9, 2) * gaussian(9, 10, 3); // rank 9 < 10 columns
    MatrixXd zeroColumn = gaussian(60, 6, 4);
    zeroColumn.col(0).setZero();
    MatrixXd nan = gaussian(40, 4, 5);
    nan(3, 2) = std::nan("");

    QVERIFY(throwsOneSentence([&] { maxvol(dupColumn); }));
    QVERIFY(throwsOneSentence([&] { maxvol(lowRank); }));
    QVERIFY(throwsOneSentence([&] { maxvol(zeroColumn); }));
    QVERIFY(throwsOneSentence([&] { maxvol(nan); }));
    QVERIFY(throwsOneSentence([&] { maxvol(gaussian(5, 8, 6)); }));     // fewer rows than columns
    QVERIFY(throwsOneSentence([&] { maxvol(MatrixXd(10, 0)); }));
    QVERIFY(throwsOneSentence([&] { maxvol(gaussian(50, 5, 7), 0.9); })); // tol < 1 would never stop
    QVERIFY(throwsOneSentence([&] { maxvol(gaussian(50, 5, 7), 1.05, -1); }));
    try {
        maxvol(lowRank);
    } catch (const ranklab::Error& e) {
        QVERIFY2(std::string(e.what()).find("rank-deficient") != std::string::npos, e.what());
    }
}

void TestRonLinalg::rectMaxvolConverges_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("N");
    QTest::addColumn<int>("r");
    QTest::newRow("gaussian 2000x20") << "gaussian" << 2000 << 20;
    QTest::newRow("gaussian 4000x50") << "gaussian" << 4000 << 50;
    QTest::newRow("orthonormal 3000x32") << "orthonormal" << 3000 << 32;
    QTest::newRow("near-duplicate rows 1200x16") << "duplicates" << 1200 << 16;
    QTest::newRow("vandermonde 600x12") << "vandermonde" << 600 << 12;
    QTest::newRow("coherent 900x30") << "coherent" << 900 << 30;
    QTest::newRow("row scales 1000x20") << "scaled" << 1000 << 20;
}

void TestRonLinalg::rectMaxvolConverges()
{
    // tol = 1, no maxK: the loop stops when every unchosen row of C has norm ≤ 1.
    QFETCH(QString, kind);
    QFETCH(int, N);
    QFETCH(int, r);
    const MatrixXd A = testMatrix(kind, N, r, 300 + N + r);
    const RectMaxvolResult res = rectMaxvol(A, 1.0);
    const Index P = static_cast<Index>(res.rows.size());
    QVERIFY(res.converged);
    QVERIFY(P >= r && P < N);
    QVERIFY(distinct(res.rows, N));
    const MaxvolResult start = maxvol(A);
    QVERIFY(std::equal(start.rows.begin(), start.rows.end(), res.rows.begin()));

    // C = A (A[S])^+, column k for rows[k].
    const MatrixXd reference = A * rowsOf(A, res.rows).completeOrthogonalDecomposition().pseudoInverse();
    QCOMPARE(res.C.rows(), Index(N));
    QCOMPARE(res.C.cols(), P);
    QVERIFY2((res.C - reference).cwiseAbs().maxCoeff() < 1e-8,
             qPrintable(QString::number((res.C - reference).cwiseAbs().maxCoeff())));

    // Unchosen rows: ‖C_i‖₂ ≤ tol (so max |C_ij| ≤ tol too).
    std::vector<char> chosen(static_cast<size_t>(N), 0);
    for (Index i : res.rows)
        chosen[static_cast<size_t>(i)] = 1;
    double maxNorm = 0, maxAbs = 0;
    for (Index i = 0; i < N; ++i)
        if (!chosen[static_cast<size_t>(i)]) {
            maxNorm = std::max(maxNorm, reference.row(i).norm());
            maxAbs = std::max(maxAbs, reference.row(i).cwiseAbs().maxCoeff());
        }
    QVERIFY2(maxNorm <= 1.0 + 1e-9, qPrintable(QString::number(maxNorm)));
    QVERIFY(maxAbs <= 1.0 + 1e-9);
    QVERIFY(std::abs(res.maxRowNorm - maxNorm) < 1e-9);

    // Paper B eq. (19).
    const double norm = spectralNorm(res.C);
    const double bound = rectMaxvolBound(N, P, r);
    QVERIFY2(norm <= bound, qPrintable(QStringLiteral("‖C‖₂ = %1 > %2").arg(norm).arg(bound)));
    qInfo("%s: P = %lld, ‖C‖₂ = %.3f, eq. 19 bound %.3f, max row norm %.4f", qPrintable(kind),
          static_cast<long long>(P), norm, bound, maxNorm);
}

void TestRonLinalg::rectMaxvolFixedP_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("N");
    QTest::addColumn<int>("r");
    QTest::addColumn<int>("P");
    QTest::newRow("gaussian P = 1.5R") << "gaussian" << 3000 << 40 << 60;
    QTest::newRow("gaussian P = 2R") << "gaussian" << 2000 << 25 << 50;
    QTest::newRow("orthonormal P = R") << "orthonormal" << 1000 << 30 << 30;
    QTest::newRow("near-duplicates P = 1.5R") << "duplicates" << 1600 << 20 << 30;
    QTest::newRow("vandermonde P = 2R") << "vandermonde" << 800 << 8 << 16;
    QTest::newRow("coherent P = 1.25R") << "coherent" << 900 << 32 << 40;
    QTest::newRow("P = N (bound 1)") << "gaussian" << 40 << 10 << 40;
}

void TestRonLinalg::rectMaxvolFixedP()
{
    QFETCH(QString, kind);
    QFETCH(int, N);
    QFETCH(int, r);
    QFETCH(int, P);
    const MatrixXd A = testMatrix(kind, N, r, 500 + N + r);
    const RectMaxvolResult res = rectMaxvol(A, 1.0, P, P);
    QCOMPARE(static_cast<int>(res.rows.size()), P);
    QVERIFY(distinct(res.rows, N));
    const MatrixXd S = rowsOf(A, res.rows);
    const MatrixXd reference = A * S.completeOrthogonalDecomposition().pseudoInverse();
    QVERIFY((res.C - reference).cwiseAbs().maxCoeff() < 1e-8);
    // On the chosen rows C is the orthogonal projector onto the column span of S A.
    const MatrixXd CS = rowsOf(res.C, res.rows);
    QVERIFY((CS * CS - CS).cwiseAbs().maxCoeff() < 1e-9);
    QVERIFY((CS - CS.transpose()).cwiseAbs().maxCoeff() < 1e-9);
    const double norm = spectralNorm(res.C);
    QVERIFY(norm >= 1.0 - 1e-9);
    QVERIFY(norm <= rectMaxvolBound(N, P, r) + 1e-9);
}

void TestRonLinalg::rectMaxvolMatchesLiteralAlgorithm()
{
    // The factored update C = C0·M chooses exactly the rows of ALGORITHMS.md's explicit C update.
    for (uint64_t seed = 1; seed <= 4; ++seed) {
        const MatrixXd A = gaussian(1500, 24, 900 + seed);
        QVERIFY(rectMaxvol(A, 1.0).rows == literalRectMaxvol(A, 1.0, 24, 1500));
        QVERIFY(rectMaxvol(A, 1.0, 40, 40).rows == literalRectMaxvol(A, 1.0, 40, 40));
        QVERIFY(rectMaxvol(A, 0.5, 24, 30).rows == literalRectMaxvol(A, 0.5, 24, 30));
    }
}

void TestRonLinalg::rectMaxvolRatioAndBound()
{
    QCOMPARE(sampleCountForRatio(10, 1.5, 1000), Index(15));
    QCOMPARE(sampleCountForRatio(10, 1.0, 1000), Index(10));
    QCOMPARE(sampleCountForRatio(10, 0.3, 1000), Index(10)); // P ≥ R
    QCOMPARE(sampleCountForRatio(10, 5.0, 1000), Index(20)); // P ≤ 2R
    QCOMPARE(sampleCountForRatio(10, 2.0, 14), Index(14));   // P ≤ N
    QCOMPARE(sampleCountForRatio(128, 1.5, 65536), Index(192));
    QVERIFY(throwsOneSentence([] { sampleCountForRatio(10, 0.0, 100); }));
    QVERIFY(throwsOneSentence([] { sampleCountForRatio(10, 1.5, 5); }));

    QCOMPARE(rectMaxvolBound(50, 50, 10), 1.0);
    QVERIFY(std::abs(rectMaxvolBound(1000, 15, 10) - std::sqrt(1.0 + 985.0 * 10.0 / 6.0)) < 1e-12);
    QVERIFY(rectMaxvolBound(1000, 20, 10) < rectMaxvolBound(1000, 15, 10)); // more rows, smaller bound
    QVERIFY(throwsOneSentence([] { rectMaxvolBound(100, 5, 10); }));

    const MatrixXd V = orthonormal(2000, 16, 77);
    const RectMaxvolResult res = rectMaxvolForRatio(V, 1.5);
    QCOMPARE(static_cast<int>(res.rows.size()), 24);
    QVERIFY(spectralNorm(res.C) <= rectMaxvolBound(2000, 24, 16));
}

void TestRonLinalg::rectMaxvolRejectsBadInput()
{
    const MatrixXd lowRank = gaussian(300, 7, 1) * gaussian(7, 8, 2);
    const MatrixXd A = gaussian(100, 10, 3);
    QVERIFY(throwsOneSentence([&] { rectMaxvol(lowRank); }));
    QVERIFY(throwsOneSentence([&] { rectMaxvolForRatio(lowRank, 1.5); }));
    QVERIFY(throwsOneSentence([&] { rectMaxvol(A, 1.0, 20, 15); })); // minK > maxK
    QVERIFY(throwsOneSentence([&] { rectMaxvol(A, 1.0, 5, 15); }));  // minK < r
    QVERIFY(throwsOneSentence([&] { rectMaxvol(A, 1.0, 10, 101); })); // maxK > N
    QVERIFY(throwsOneSentence([&] { rectMaxvol(A, -1.0); }));
    QVERIFY(throwsOneSentence([&] { rectMaxvol(gaussian(5, 10, 4)); }));
}

void TestRonLinalg::evbmfRecoversRank_data()
{
    QTest::addColumn<int>("L");
    QTest::addColumn<int>("M");
    QTest::addColumn<int>("rank");
    QTest::addColumn<double>("noise");
    QTest::newRow("100x200 rank 10 σ 0.1") << 100 << 200 << 10 << 0.1;
    QTest::newRow("200x200 rank 5 σ 1") << 200 << 200 << 5 << 1.0;
    QTest::newRow("64x576 rank 16 σ 0.5") << 64 << 576 << 16 << 0.5;
    QTest::newRow("300x100 rank 8 σ 0.2 (L > M)") << 300 << 100 << 8 << 0.2;
    QTest::newRow("50x2000 rank 3 σ 1") << 50 << 2000 << 3 << 1.0;
    QTest::newRow("400x400 rank 40 σ 0.3") << 400 << 400 << 40 << 0.3;
    QTest::newRow("120x150 rank 0 (pure noise) σ 2") << 120 << 150 << 0 << 2.0;
}

void TestRonLinalg::evbmfRecoversRank()
{
    QFETCH(int, L);
    QFETCH(int, M);
    QFETCH(int, rank);
    QFETCH(double, noise);
    // Signal singular values from 3× to 10× the noise edge σ(√L + √M).
    const double edge = noise * (std::sqrt(L) + std::sqrt(M));
    MatrixXd Y = noise * gaussian(L, M, 40 + L + M);
    if (rank > 0) {
        VectorXd s(rank);
        for (int k = 0; k < rank; ++k)
            s(k) = edge * (3.0 + 7.0 * k / std::max(1, rank - 1));
        Y += orthonormal(L, rank, L) * s.asDiagonal() * orthonormal(M, rank, M).transpose();
    }
    const EvbmfResult res = evbmf(Y);
    QCOMPARE(res.rank, Index(rank));
    const double ratio = res.sigma2 / (noise * noise);
    QVERIFY2(std::abs(ratio - 1.0) < 0.05, qPrintable(QStringLiteral("σ² ratio %1").arg(ratio)));
    QVERIFY(res.sigma2Lower <= res.sigma2 && res.sigma2 <= res.sigma2Upper);
    QVERIFY(res.threshold > edge); // the threshold sits above the noise bulk
}

void TestRonLinalg::evbmfFromTopSingularValues()
{
    // The top H singular values plus ‖Y‖_F² (the rest enters as the residual) give the same answer.
    const int L = 150, M = 300, rank = 6;
    const double noise = 0.4;
    const double edge = noise * (std::sqrt(L) + std::sqrt(M));
    VectorXd s(rank);
    for (int k = 0; k < rank; ++k)
        s(k) = edge * (4.0 + k);
    const MatrixXd Y = orthonormal(L, rank, 5) * s.asDiagonal() * orthonormal(M, rank, 6).transpose() +
                       noise * gaussian(L, M, 7);
    const Eigen::BDCSVD<MatrixXd> svd(Y);
    const EvbmfResult all = evbmf(svd.singularValues(), Y.squaredNorm(), L, M);
    const EvbmfResult top = evbmf(svd.singularValues().head(40), Y.squaredNorm(), L, M);
    const EvbmfResult swapped = evbmf(svd.singularValues(), Y.squaredNorm(), M, L);
    QCOMPARE(all.rank, Index(rank));
    QCOMPARE(top.rank, Index(rank));
    QVERIFY(std::abs(top.sigma2 / all.sigma2 - 1.0) < 0.05);
    QCOMPARE(swapped.rank, all.rank);
    QVERIFY(std::abs(swapped.sigma2 - all.sigma2) < 1e-12 * all.sigma2);

    QVERIFY(throwsOneSentence([&] { evbmf(svd.singularValues(), Y.squaredNorm(), 10, M); })); // 150 values > 10
    QVERIFY(throwsOneSentence([&] { evbmf(-svd.singularValues(), Y.squaredNorm(), L, M); }));
    QVERIFY(throwsOneSentence([&] { evbmf(VectorXd::Zero(5), 0.0, 5, 5); }));
    QVERIFY(throwsOneSentence([&] { evbmf(MatrixXd(0, 3)); }));
}

void TestRonLinalg::rankHelpers()
{
    QCOMPARE(weakenedRank(100, 20, 0.0), Index(100));
    QCOMPARE(weakenedRank(100, 20, 1.0), Index(20));
    QCOMPARE(weakenedRank(100, 20, 0.5), Index(60));
    QCOMPARE(weakenedRank(100, 0, 1.0), Index(1)); // never 0
    QVERIFY(throwsOneSentence([] { weakenedRank(100, 20, 1.5); }));
    QCOMPARE(constantFactorRank(512, 4.0), Index(128));
    QCOMPARE(constantFactorRank(10, 100.0), Index(1));
    QCOMPARE(constantFactorRank(10, 0.5), Index(10));
    QVERIFY(throwsOneSentence([] { constantFactorRank(10, 0.0); }));
    QCOMPARE(checkRank(5, 64, "conv1"), Index(5));
    QCOMPARE(checkRank(64, 64, "conv1"), Index(64));
    QVERIFY(throwsOneSentence([] { checkRank(0, 64, "conv1"); }));
    QVERIFY(throwsOneSentence([] { checkRank(65, 64, "conv1"); }));
    try {
        checkRank(65, 64, "features.8");
        QFAIL("no error");
    } catch (const ranklab::Error& e) {
        QCOMPARE(QString::fromUtf8(e.what()), QStringLiteral("The rank 65 for features.8 must be between 1 and 64."));
    }
}

void TestRonLinalg::gramSketchEqualsSvd()
{
    VectorXd s(6);
    s << 50, 30, 20, 10, 5, 2;
    const Activations a = lowRankActivations(3000, 40, s, 0.05, 21);
    GramSketch gram(40);
    stream(gram, a.rows, 1);
    const SpectrumResult res = gram.finish(6);
    QCOMPARE(res.samples, int64_t(3000));
    QCOMPARE(res.singularValues.size(), Index(40));
    QCOMPARE(res.V.rows(), Index(40));
    QCOMPARE(res.V.cols(), Index(6));
    const Eigen::JacobiSVD<MatrixXd> svd(a.exact, Eigen::ComputeThinV);
    const double top = svd.singularValues()(0);
    QVERIFY((res.singularValues - svd.singularValues()).cwiseAbs().maxCoeff() < 1e-9 * top);
    for (Index j = 0; j < 6; ++j) // same vectors up to sign
        QVERIFY(std::abs(std::abs(res.V.col(j).dot(svd.matrixV().col(j))) - 1.0) < 1e-9);
    QVERIFY((res.V.transpose() * res.V - MatrixXd::Identity(6, 6)).cwiseAbs().maxCoeff() < 1e-12);
}

void TestRonLinalg::frequentDirectionsGuarantee_data()
{
    QTest::addColumn<int>("N");
    QTest::addColumn<int>("D");
    QTest::addColumn<int>("ell");
    QTest::addColumn<double>("decay");
    QTest::newRow("2000x60 ℓ=10 slow decay") << 2000 << 60 << 10 << 0.9;
    QTest::newRow("3000x120 ℓ=16 fast decay") << 3000 << 120 << 16 << 0.7;
    QTest::newRow("1500x80 ℓ=8 flat") << 1500 << 80 << 8 << 1.0;
    QTest::newRow("5000x200 ℓ=32") << 5000 << 200 << 32 << 0.85;
}

void TestRonLinalg::frequentDirectionsGuarantee()
{
    // Ghashami et al. 2016, Thm. 1.1 (and Liberty 2013): 0 ⪯ ZᵀZ − BᵀB, ‖ZᵀZ − BᵀB‖₂ ≤ ‖Z − Z_k‖_F²/(ℓ − k)
    // for all k < ℓ; so 0 ≤ σ_i² − σ̃_i² ≤ min_k ‖Z − Z_k‖_F²/(ℓ − k). Also ‖ZᵀZ − BᵀB‖₂ ≤ Δ (the total
    // shrinkage) ≤ min_k ‖Z − Z_k‖_F²/(ℓ + 1 − k) for this variant (δ = σ_{ℓ+1}²).
    QFETCH(int, N);
    QFETCH(int, D);
    QFETCH(int, ell);
    QFETCH(double, decay);
    VectorXd s(D);
    for (int i = 0; i < D; ++i)
        s(i) = 10.0 * std::pow(decay, i);
    const Activations a = lowRankActivations(N, D, s, 0.01, 31 + D);
    FrequentDirections fd(D, ell);
    stream(fd, a.rows, 2);
    QVERIFY(fd.shrinks() > 0);

    const Eigen::JacobiSVD<MatrixXd> svd(a.exact);
    const VectorXd exact2 = svd.singularValues().cwiseAbs2();
    double bound = std::numeric_limits<double>::infinity();
    double sharper = std::numeric_limits<double>::infinity();
    for (int k = 0; k < ell; ++k) {
        const double tail = exact2.tail(exact2.size() - k).sum(); // ‖Z − Z_k‖_F²
        bound = std::min(bound, tail / (ell - k));
        sharper = std::min(sharper, tail / (ell + 1 - k));
    }
    const double eps = 1e-9 * exact2(0);

    const MatrixXd B = fd.sketch();
    QVERIFY(B.rows() <= 2 * ell);
    const MatrixXd diff = a.exact.transpose() * a.exact - B.transpose() * B;
    const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(diff);
    QVERIFY2(eig.eigenvalues().minCoeff() >= -eps, "ZᵀZ − BᵀB is not positive semidefinite");
    const double covErr = eig.eigenvalues().maxCoeff();
    QVERIFY(covErr <= fd.totalShrinkage() + eps);
    QVERIFY(fd.totalShrinkage() <= sharper + eps);
    QVERIFY(covErr <= bound + eps);

    const SpectrumResult res = fd.finish(ell / 2);
    QCOMPARE(res.samples, int64_t(N));
    QVERIFY(res.singularValues.size() <= 2 * ell);
    for (Index i = 0; i < res.singularValues.size(); ++i) {
        const double gap = exact2(i) - res.singularValues(i) * res.singularValues(i);
        QVERIFY2(gap >= -eps && gap <= bound + eps,
                 qPrintable(QStringLiteral("σ_%1: σ² − σ̃² = %2, bound %3").arg(i).arg(gap).arg(bound)));
    }
    qInfo("N %d D %d ℓ %d: ‖ZᵀZ − BᵀB‖₂ = %.4g ≤ Δ = %.4g ≤ %.4g; bound (ℓ − k) %.4g", N, D, ell, covErr,
          fd.totalShrinkage(), sharper, bound);
}

void TestRonLinalg::frequentDirectionsSubspace()
{
    // Rank-8 signal far above the noise: FD with ℓ = 2R finds the top-R subspace of the exact SVD.
    const int R = 8, D = 150, N = 6000;
    VectorXd s(R);
    for (int i = 0; i < R; ++i)
        s(i) = 100.0 - 8.0 * i;
    const Activations a = lowRankActivations(N, D, s, 0.05, 51);
    FrequentDirections fd(D, 2 * R);
    for (Index start = 0; start < N; start += 500) // through the Eigen block interface
        fd.add(a.rows.middleRows(start, std::min<Index>(500, N - start)));
    const SpectrumResult res = fd.finish(R);
    const Eigen::JacobiSVD<MatrixXd> svd(a.exact, Eigen::ComputeThinV);
    const double angle = sinTheta(svd.matrixV().leftCols(R), res.V);
    QVERIFY2(angle < 5e-3, qPrintable(QString::number(angle)));
    QVERIFY((res.V.transpose() * res.V - MatrixXd::Identity(R, R)).cwiseAbs().maxCoeff() < 1e-10);
    // Every direction loses at most Δ of its energy: 0 ≤ σ_i² − σ̃_i² ≤ Δ.
    for (int i = 0; i < R; ++i) {
        const double loss = svd.singularValues()(i) * svd.singularValues()(i) - res.singularValues(i) * res.singularValues(i);
        QVERIFY(loss >= -1e-9 * svd.singularValues()(0) && loss <= fd.totalShrinkage() * (1 + 1e-9));
    }
    qInfo("FD ℓ = 2R: sin Θ = %.2g, Δ = %.4g, σ_R² = %.4g", angle, fd.totalShrinkage(),
          svd.singularValues()(R - 1) * svd.singularValues()(R - 1));
}

void TestRonLinalg::randomizedRangeFinder()
{
    const int R = 10, D = 300, N = 4000;
    VectorXd s(R);
    for (int i = 0; i < R; ++i)
        s(i) = 60.0 * std::pow(0.8, i);
    const Activations a = lowRankActivations(N, D, s, 0.02, 61);
    RandomizedRangeSketch sketch(D, R + 10);
    QCOMPARE(sketch.passes(), 2);
    stream(sketch, a.rows, 3);
    QVERIFY(throwsOneSentence([&] { sketch.finish(R); })); // second pass missing
    sketch.nextPass();
    stream(sketch, a.rows, 4);
    const SpectrumResult res = sketch.finish(R);
    QCOMPARE(res.samples, int64_t(N));
    QCOMPARE(res.singularValues.size(), Index(R + 10));
    const Eigen::JacobiSVD<MatrixXd> svd(a.exact, Eigen::ComputeThinV);
    const double angle = sinTheta(svd.matrixV().leftCols(R), res.V);
    QVERIFY2(angle < 2e-2, qPrintable(QString::number(angle)));
    for (int i = 0; i < R; ++i) {
        const double ratio = res.singularValues(i) / svd.singularValues()(i);
        QVERIFY2(ratio <= 1 + 1e-9 && ratio > 1 - 1e-3, qPrintable(QString::number(ratio)));
    }
    qInfo("range finder k = R + 10: sin Θ = %.2g", angle);
}

void TestRonLinalg::sketchMemoryIsBounded()
{
    const int D = 64;
    const Activations small = lowRankActivations(100, D, VectorXd::Constant(4, 5.0), 0.1, 71);
    const Activations large = lowRankActivations(20000, D, VectorXd::Constant(4, 5.0), 0.1, 72);
    GramSketch gram(D);
    FrequentDirections fd(D, 12);
    RandomizedRangeSketch rr(D, 12);
    const size_t gramBytes = gram.memoryBytes(), fdBytes = fd.memoryBytes(), rrBytes = rr.memoryBytes();
    QVERIFY(fdBytes <= sizeof(double) * (3 * 12 * D + 4 * 12 * 12));
    stream(gram, small.rows, 1);
    stream(fd, small.rows, 1);
    stream(rr, small.rows, 1);
    for (int repeat = 0; repeat < 5; ++repeat) { // 100 100 rows in all
        stream(gram, large.rows, 10 + repeat);
        stream(fd, large.rows, 10 + repeat);
        stream(rr, large.rows, 10 + repeat);
        QVERIFY(fd.sketch().rows() <= 24);
    }
    QCOMPARE(gram.memoryBytes(), gramBytes);
    QCOMPARE(fd.memoryBytes(), fdBytes);
    QCOMPARE(rr.memoryBytes(), rrBytes);
    QCOMPARE(fd.samples(), int64_t(100100));
    QCOMPARE(fd.finish(6).samples, int64_t(100100));
}

void TestRonLinalg::sketchRejectsBadInput()
{
    FrequentDirections fd(10, 4);
    GramSketch gram(10);
    std::vector<float> rows(30, 1.0f);
    QVERIFY(throwsOneSentence([&] { fd.finish(2); })); // nothing added
    QVERIFY(throwsOneSentence([&] { fd.add(rows.data(), 3, 9); })); // wrong D
    rows[17] = std::nanf("");
    QVERIFY(throwsOneSentence([&] { gram.add(rows.data(), 3, 10); }));
    rows[17] = 1.0f;
    fd.add(rows.data(), 3, 10);
    QVERIFY(throwsOneSentence([&] { fd.finish(5); })); // R > ℓ
    QVERIFY(throwsOneSentence([&] { fd.finish(0); }));
    QCOMPARE(fd.finish(4).V.cols(), Index(4)); // R above the rows seen: QR completes the basis
    QVERIFY(throwsOneSentence([] { FrequentDirections(0, 4); }));
    QVERIFY(throwsOneSentence([] { FrequentDirections(10, 0); }));
    QVERIFY(throwsOneSentence([] { RandomizedRangeSketch(10, 11); }));
}

void TestRonLinalg::sketchesOfZeroActivations()
{
    // A dead layer (all activations 0) has a zero spectrum, not an error, and V is still orthonormal.
    const std::vector<float> zeros(50 * 8, 0.0f);
    GramSketch gram(8);
    FrequentDirections fd(8, 3);
    RandomizedRangeSketch rr(8, 4);
    gram.add(zeros.data(), 50, 8);
    fd.add(zeros.data(), 50, 8);
    rr.add(zeros.data(), 50, 8);
    rr.nextPass();
    rr.add(zeros.data(), 50, 8);
    for (const SpectrumResult& res : {gram.finish(3), fd.finish(3), rr.finish(3)}) {
        QCOMPARE(res.samples, int64_t(50));
        QVERIFY(res.singularValues.size() > 0);
        QCOMPARE(res.singularValues.cwiseAbs().maxCoeff(), 0.0);
        QVERIFY((res.V.transpose() * res.V - MatrixXd::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-12);
    }
}

QTEST_GUILESS_MAIN(TestRonLinalg)
#include "test_ron_linalg.moc"

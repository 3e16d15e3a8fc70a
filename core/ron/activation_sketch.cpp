#include "core/ron/activation_sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <Eigen/Dense>
#include <Eigen/SVD>

#include "core/error.h"

namespace ranklab::ron {

using Eigen::Index;

namespace {

using ConstRowMapf = Eigen::Map<const RowMatrixXf>;

// Columns of `vectors` scaled by ±1 so that the largest-magnitude entry of each is positive.
void fixSigns(Eigen::MatrixXd& vectors)
{
    for (Index j = 0; j < vectors.cols(); ++j) {
        Index i = 0;
        vectors.col(j).cwiseAbs().maxCoeff(&i);
        if (vectors(i, j) < 0)
            vectors.col(j) *= -1;
    }
}

// Eigen-decomposition of a symmetric matrix (lower triangle used), eigenvalues descending and clamped at 0.
struct SortedEigen {
    Eigen::VectorXd values;  // descending, ≥ 0
    Eigen::MatrixXd vectors; // columns in the same order
};

SortedEigen sortedEigen(const Eigen::MatrixXd& symmetric)
{
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(symmetric);
    if (eig.info() != Eigen::Success)
        throw Error("The eigen-decomposition of the activation statistics did not converge.");
    SortedEigen out;
    out.values = eig.eigenvalues().reverse().cwiseMax(0.0);
    out.vectors = eig.eigenvectors().rowwise().reverse();
    return out;
}

// Orthonormal D × R basis of the column span of Y, in column order (Householder QR; a column that is
// numerically zero gets a completing direction), signs fixed.
Eigen::MatrixXd orthonormalColumns(const Eigen::MatrixXd& Y)
{
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(Y);
    Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(Y.rows(), Y.cols());
    fixSigns(Q);
    return Q;
}

} // namespace

// ---- ActivationSketch -------------------------------------------------------------------------------

ActivationSketch::ActivationSketch(int64_t dimension) : dimension_(dimension)
{
    if (dimension < 1)
        throw Error("An activation sketch needs a dimension of at least 1, not " + std::to_string(dimension) + ".");
}

void ActivationSketch::add(const float* rows, int64_t n, int64_t D)
{
    if (D != dimension_)
        throw Error("Activation rows of length " + std::to_string(D) + " do not match the sketch dimension " +
                    std::to_string(dimension_) + ".");
    if (n < 0 || (n > 0 && rows == nullptr))
        throw Error("An activation batch needs a non-negative row count and data.");
    if (n == 0)
        return;
    if (!ConstRowMapf(rows, n, D).allFinite())
        throw Error("The activations contain NaN or infinite values.");
    addRows(rows, n);
    samples_ += n;
}

void ActivationSketch::add(const Eigen::Ref<const RowMatrixXf>& block)
{
    if (block.rows() == 0)
        return;
    if (block.outerStride() == block.cols()) {
        add(block.data(), block.rows(), block.cols());
        return;
    }
    for (Index i = 0; i < block.rows(); ++i)
        add(block.row(i).data(), 1, block.cols());
}

SpectrumResult ActivationSketch::finish(int R)
{
    if (samples_ == 0)
        throw Error("No activations were added to the sketch, so it has no spectrum.");
    if (R < 1 || R > maxRank())
        throw Error("The sketch can give between 1 and " + std::to_string(maxRank()) + " singular vectors, not " +
                    std::to_string(R) + ".");
    return computeSpectrum(R);
}

int64_t ActivationSketch::chunkRows() const
{
    return std::clamp<int64_t>((int64_t(1) << 20) / dimension_, 1, 512);
}

// ---- GramSketch ---------------------------------------------------------------------------------------

GramSketch::GramSketch(int64_t dimension)
    : ActivationSketch(dimension), gram_(Eigen::MatrixXd::Zero(dimension, dimension)), chunk_(chunkRows(), dimension)
{
}

size_t GramSketch::memoryBytes() const
{
    return sizeof(double) * static_cast<size_t>(gram_.size() + chunk_.size());
}

void GramSketch::addRows(const float* rows, int64_t n)
{
    const int64_t D = dimension();
    for (int64_t start = 0; start < n; start += chunk_.rows()) {
        const int64_t len = std::min<int64_t>(chunk_.rows(), n - start);
        auto z = chunk_.topRows(len);
        z = ConstRowMapf(rows + start * D, len, D).cast<double>();
        gram_.selfadjointView<Eigen::Lower>().rankUpdate(z.transpose()); // G += z_bᵀ z_b
    }
}

SpectrumResult GramSketch::computeSpectrum(int R) const
{
    const SortedEigen e = sortedEigen(gram_);
    SpectrumResult out;
    out.singularValues = e.values.cwiseSqrt();
    out.V = e.vectors.leftCols(R);
    fixSigns(out.V);
    out.samples = samples();
    return out;
}

// ---- FrequentDirections -------------------------------------------------------------------------------

FrequentDirections::FrequentDirections(int64_t dimension, int ell) : ActivationSketch(dimension), ell_(ell)
{
    if (ell < 1)
        throw Error("Frequent Directions needs a sketch size ℓ of at least 1, not " + std::to_string(ell) + ".");
    buffer_.setZero(2 * static_cast<Index>(ell), dimension);
    scratch_.resize(ell, dimension);
    gram_.resize(2 * ell, 2 * ell);
}

size_t FrequentDirections::memoryBytes() const
{
    return sizeof(double) * static_cast<size_t>(buffer_.size() + scratch_.size() + gram_.size());
}

Eigen::MatrixXd FrequentDirections::sketch() const
{
    return buffer_.topRows(filled_);
}

void FrequentDirections::addRows(const float* rows, int64_t n)
{
    const int64_t D = dimension();
    const int64_t capacity = buffer_.rows();
    int64_t start = 0;
    while (start < n) {
        if (filled_ == capacity)
            shrink();
        const int64_t len = std::min(n - start, capacity - filled_);
        buffer_.middleRows(filled_, len) = ConstRowMapf(rows + start * D, len, D).cast<double>();
        filled_ += len;
        start += len;
    }
}

void FrequentDirections::shrink()
{
    // B Bᵀ = W Λ Wᵀ; the shrunk rows are diag(sqrt((λ_i − δ)/λ_i)) W_iᵀ B for λ_i > δ = λ_ℓ.
    gram_.setZero();
    gram_.selfadjointView<Eigen::Lower>().rankUpdate(buffer_);
    const SortedEigen e = sortedEigen(gram_);
    const double delta = e.values(ell_);
    Index keep = 0;
    while (keep < ell_ && e.values(keep) > delta)
        ++keep;
    Eigen::VectorXd scale(keep);
    for (Index i = 0; i < keep; ++i)
        scale(i) = std::sqrt((e.values(i) - delta) / e.values(i));
    auto out = scratch_.topRows(keep);
    out.noalias() = e.vectors.leftCols(keep).transpose() * buffer_;
    out = scale.asDiagonal() * out;
    buffer_.topRows(keep) = out;
    filled_ = keep;
    totalShrinkage_ += delta;
    ++shrinks_;
}

SpectrumResult FrequentDirections::computeSpectrum(int R) const
{
    const auto B = buffer_.topRows(filled_);
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(filled_, filled_);
    g.selfadjointView<Eigen::Lower>().rankUpdate(B);
    const SortedEigen e = sortedEigen(g);
    SpectrumResult out;
    out.singularValues = e.values.cwiseSqrt();
    // V's columns ∝ Bᵀ w_i; R may exceed the rows in use (few samples): QR completes the basis.
    Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(dimension(), R);
    const Index known = std::min<Index>(R, filled_);
    Y.leftCols(known).noalias() = B.transpose() * e.vectors.leftCols(known);
    out.V = orthonormalColumns(Y);
    out.samples = samples();
    return out;
}

// ---- RandomizedRangeSketch ----------------------------------------------------------------------------

RandomizedRangeSketch::RandomizedRangeSketch(int64_t dimension, int k, uint64_t seed)
    : ActivationSketch(dimension), k_(k)
{
    if (k < 1 || k > dimension)
        throw Error("The randomized range finder needs 1 ≤ k ≤ " + std::to_string(dimension) + " columns, not " +
                    std::to_string(k) + ".");
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    omega_.resize(dimension, k);
    for (Index i = 0; i < omega_.size(); ++i)
        omega_.data()[i] = normal(rng);
    y_.setZero(dimension, k);
    chunk_.resize(chunkRows(), dimension);
}

size_t RandomizedRangeSketch::memoryBytes() const
{
    return sizeof(double) * static_cast<size_t>(omega_.size() + y_.size() + chunk_.size());
}

void RandomizedRangeSketch::nextPass()
{
    if (pass_ != 0)
        throw Error("The randomized range finder has only two passes.");
    if (samples() == 0)
        throw Error("The first pass of the randomized range finder saw no activations.");
    omega_ = orthonormalColumns(y_); // Q
    y_.setZero();
    pass_ = 1;
    resetSamples();
}

void RandomizedRangeSketch::addRows(const float* rows, int64_t n)
{
    const int64_t D = dimension();
    for (int64_t start = 0; start < n; start += chunk_.rows()) {
        const int64_t len = std::min<int64_t>(chunk_.rows(), n - start);
        auto z = chunk_.topRows(len);
        z = ConstRowMapf(rows + start * D, len, D).cast<double>();
        const Eigen::MatrixXd projected = z * omega_; // len × k
        y_.noalias() += z.transpose() * projected;    // Y += Z_bᵀ (Z_b Ω)  or  Y₂ += Z_bᵀ (Z_b Q)
    }
}

SpectrumResult RandomizedRangeSketch::computeSpectrum(int R) const
{
    if (pass_ != 1)
        throw Error("The randomized range finder needs its second pass (nextPass(), then the same rows again).");
    // Nyström: ZᵀZ ≈ Y₂ (Qᵀ Y₂)^{-1} Y₂ᵀ = F Fᵀ with F = Y_ν C^{-1}, CᵀC = Qᵀ Y_ν, Y_ν = Y₂ + νQ.
    const Eigen::MatrixXd& Q = omega_;
    const double nu = std::numeric_limits<double>::epsilon() * std::max(y_.norm(), 1e-300);
    const Eigen::MatrixXd yNu = y_ + nu * Q;
    Eigen::MatrixXd small = Q.transpose() * yNu;
    small = 0.5 * (small + small.transpose()).eval();
    const Eigen::LLT<Eigen::MatrixXd> llt(small);
    if (llt.info() != Eigen::Success)
        throw Error("The randomized range finder's projected second moment is not positive definite.");
    // F = Y_ν C^{-1} with C = Lᵀ upper: solve F C = Y_ν from the right.
    Eigen::MatrixXd F = yNu;
    llt.matrixU().solveInPlace<Eigen::OnTheRight>(F);
    const Eigen::BDCSVD<Eigen::MatrixXd> svd(F, Eigen::ComputeThinU);
    SpectrumResult out;
    out.singularValues = (svd.singularValues().cwiseAbs2().array() - nu).cwiseMax(0.0).sqrt().matrix();
    out.V = svd.matrixU().leftCols(R);
    fixSigns(out.V);
    out.samples = samples();
    return out;
}

} // namespace ranklab::ron

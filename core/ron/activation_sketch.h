#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ron/eigen.h"

namespace ranklab::ron {

/// What a sketch knows about the spectrum of the activation matrix Z ∈ R^{N×D} (one sample per row).
struct SpectrumResult {
    /// Estimates of the singular values of Z, descending: every one the sketch holds (D for the Gram sketch,
    /// up to 2ℓ for Frequent Directions, k for the range finder), not only the top R. Divided by the
    /// largest, they are paper B's spectrum plot (Fig. 1).
    Eigen::VectorXd singularValues;
    /// Top-R right singular vectors of Z (D × R, orthonormal columns): paper B's V_k (eq. 8).
    Eigen::MatrixXd V;
    /// Rows of Z seen (in the last pass for multi-pass sketches).
    int64_t samples = 0;
};

/// Streaming statistics of activation rows z ∈ R^D (paper B §3, ALGORITHMS.md §3) that never hold Z: memory
/// is fixed by the sketch at construction, whatever N. Usage: add() batches of rows (call again for each of
/// passes() passes, with nextPass() in between), then finish(R).
class ActivationSketch {
public:
    explicit ActivationSketch(int64_t dimension);
    virtual ~ActivationSketch() = default;
    ActivationSketch(const ActivationSketch&) = delete;
    ActivationSketch& operator=(const ActivationSketch&) = delete;

    /// Adds n rows of length D stored row-major at `rows` (n·D floats). Throws ranklab::Error when D differs
    /// from dimension() or a value is NaN or infinite.
    void add(const float* rows, int64_t n, int64_t D);
    /// Adds the rows of a row-major block (any outer stride).
    void add(const Eigen::Ref<const RowMatrixXf>& block);
    /// Singular values and the top-R right singular vectors of everything added. Throws ranklab::Error when
    /// nothing was added, R < 1, R exceeds what the sketch can know, or passes are missing. Does not change
    /// the sketch: more rows may be added afterwards.
    SpectrumResult finish(int R);

    /// Passes over the data the sketch needs (1, or 2 for the randomized range finder).
    virtual int passes() const { return 1; }
    /// Ends a pass and starts the next (between the passes of a multi-pass sketch; no-op otherwise).
    virtual void nextPass() {}
    /// Bytes of the buffers the sketch holds; fixed at construction (independent of N).
    virtual size_t memoryBytes() const = 0;
    /// The largest R finish() accepts.
    virtual int64_t maxRank() const = 0;

    int64_t dimension() const { return dimension_; }
    int64_t samples() const { return samples_; }

protected:
    /// Adds n ≥ 1 validated rows (row-major, stride D).
    virtual void addRows(const float* rows, int64_t n) = 0;
    /// finish() after validation, with 1 ≤ R ≤ maxRank() and samples() > 0.
    virtual SpectrumResult computeSpectrum(int R) const = 0;
    /// Called by nextPass() implementations: the sample count restarts for the new pass.
    void resetSamples() { samples_ = 0; }
    /// Rows per float → double conversion chunk: about 1 Mi doubles, 1 to 512 rows.
    int64_t chunkRows() const;

private:
    int64_t dimension_;
    int64_t samples_ = 0;
};

/// Exact second moment: G = Σ z zᵀ accumulated in double (D × D, rank-k updates of ≤ 512 rows), then the
/// eigen-decomposition of G: σ_i = sqrt(λ_i), V = eigenvectors of the R largest λ (ALGORITHMS.md §3, for D up
/// to a few thousand). Memory 8·D² bytes plus a conversion chunk. Eigenvector signs: the largest-magnitude
/// entry of each column is positive.
class GramSketch final : public ActivationSketch {
public:
    explicit GramSketch(int64_t dimension);
    size_t memoryBytes() const override;
    int64_t maxRank() const override { return dimension(); }

private:
    void addRows(const float* rows, int64_t n) override;
    SpectrumResult computeSpectrum(int R) const override;

    Eigen::MatrixXd gram_;  // lower triangle holds G
    RowMatrixXd chunk_;
};

/// Frequent Directions (Liberty 2013, KDD; Ghashami, Liberty, Phillips & Woodruff 2016, SIAM J. Comput. 45,
/// "fast" variant with a 2ℓ-row buffer; ALGORITHMS.md §3). Rows are copied into a 2ℓ × D double buffer B;
/// when it is full, B = U Σ Vᵀ, δ = σ_ℓ² (the (ℓ+1)-th largest, 0-based index ℓ), σ_i ← sqrt(max(σ_i² − δ, 0))
/// and B keeps the ℓ rows diag(σ)·Vᵀ. The SVD uses the Gram trick: the eigen-decomposition of B Bᵀ
/// (2ℓ × 2ℓ) and Vᵀ rows = Wᵀ B / σ, one GEMM of ℓ × 2ℓ × D. Guarantee (with Δ the sum of all δ):
/// 0 ⪯ ZᵀZ − BᵀB and ‖ZᵀZ − BᵀB‖₂ ≤ Δ ≤ ‖Z − Z_k‖_F² / (ℓ + 1 − k) for every k ≤ ℓ, hence
/// 0 ≤ σ_i(Z)² − σ_i(B)² ≤ ‖Z − Z_k‖_F² / (ℓ − k) for k < ℓ (the bound usually quoted). finish() returns
/// the singular values of the current buffer (≤ 2ℓ) and its top-R right singular vectors (R ≤ ℓ; use ℓ ≥ 2R).
/// Memory 8·(3ℓ·D + 4ℓ²) bytes.
class FrequentDirections final : public ActivationSketch {
public:
    FrequentDirections(int64_t dimension, int ell);
    size_t memoryBytes() const override;
    int64_t maxRank() const override { return ell_; }

    int ell() const { return ell_; }
    /// Δ = Σ δ over all shrinks so far: an a-posteriori bound on ‖ZᵀZ − BᵀB‖₂ (0 until the first shrink).
    double totalShrinkage() const { return totalShrinkage_; }
    /// Shrinks performed so far.
    int shrinks() const { return shrinks_; }
    /// The current sketch B (rows in use × D).
    Eigen::MatrixXd sketch() const;

private:
    void addRows(const float* rows, int64_t n) override;
    SpectrumResult computeSpectrum(int R) const override;
    void shrink();

    int ell_;
    RowMatrixXd buffer_;  // 2ℓ × D
    RowMatrixXd scratch_; // ℓ × D, the shrunk rows before they are copied back
    Eigen::MatrixXd gram_; // 2ℓ × 2ℓ
    int64_t filled_ = 0;
    double totalShrinkage_ = 0;
    int shrinks_ = 0;
};

/// Two-pass randomized range finder for the row space of Z (Halko, Martinsson & Tropp 2011, SIAM Review 53,
/// Alg. 4.3 with one power iteration, then the Nyström approximation of §5.4, Alg. 5.5), designed for streaming:
/// pass 1 accumulates Y = ZᵀZ Ω = Σ_b Z_bᵀ (Z_b Ω) for a fixed Gaussian Ω ∈ R^{D×k}; nextPass() takes
/// Q = orth(Y) (D × k, Householder QR); pass 2 accumulates Y₂ = ZᵀZ Q = Σ_b Z_bᵀ (Z_b Q) (D × k).
/// finish() forms ZᵀZ ≈ Y₂ (Qᵀ Y₂)^{-1} Y₂ᵀ stably (Tropp, Yurtsever, Udell & Cevher 2017, NeurIPS, Alg. 3:
/// shift ν = ε·‖Y₂‖_F, Cholesky of Qᵀ(Y₂ + νQ), SVD of the D × k factor): σ_i² = max(λ_i − ν, 0), V = the top R
/// left singular vectors of the factor. The estimates never exceed the truth (the Nyström approximation is
/// ⪯ ZᵀZ). Accurate when σ_{k+1} ≪ σ_R; use k ≥ R + 10. Stream the same rows in both passes.
/// Memory 8·2D·k bytes plus a chunk.
class RandomizedRangeSketch final : public ActivationSketch {
public:
    RandomizedRangeSketch(int64_t dimension, int k, uint64_t seed = 0x5eed);
    int passes() const override { return 2; }
    void nextPass() override;
    size_t memoryBytes() const override;
    int64_t maxRank() const override { return k_; }

private:
    void addRows(const float* rows, int64_t n) override;
    SpectrumResult computeSpectrum(int R) const override;

    int k_;
    int pass_ = 0;
    Eigen::MatrixXd omega_; // D × k: Ω in pass 1, Q in pass 2
    Eigen::MatrixXd y_;     // D × k: Y in pass 1, Y₂ in pass 2
    RowMatrixXd chunk_;
};

} // namespace ranklab::ron

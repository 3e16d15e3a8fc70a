#pragma once

#include <string>

#include "core/ron/eigen.h"

namespace ranklab::ron {

/// Outcome of EVBMF rank selection.
struct EvbmfResult {
    /// Number of singular values above the threshold (may be 0 when the matrix looks like pure noise).
    Eigen::Index rank = 0;
    /// Estimated noise variance σ² (per entry of the L × M matrix).
    double sigma2 = 0;
    /// Singular-value threshold sqrt(M σ² (1 + τ̄)(1 + α/τ̄)), M the larger dimension.
    double threshold = 0;
    /// The bracket [lower, upper] searched for σ² (see evbmf).
    double sigma2Lower = 0;
    double sigma2Upper = 0;
};

/// Empirical variational Bayesian matrix factorisation, global analytic solution (Nakajima, Sugiyama, Babacan
/// & Tomioka 2013, JMLR 14; ALGORITHMS.md §3; paper B picks ranks with it). Inputs: singular values s_h of
/// an L × M matrix Y (any order; the H ≤ min(L, M) largest suffice), ‖Y‖_F², and L, M (swapped when L > M
/// so that α = L/M ≤ 1). With τ̄ = 2.5129·sqrt(α), x̄ = (1 + τ̄)(1 + α/τ̄), x_h = s_h²/(Mσ²),
/// τ(x) = ½(x − (1+α) + sqrt((x − (1+α))² − 4α)) and res = ‖Y‖_F² − Σ s_h², σ² minimises
///   Σ_{x_h ≤ x̄}(x_h − ln x_h) + Σ_{x_h > x̄}(x_h − τ_h + ln((τ_h+1)/x_h) + α ln(τ_h/α + 1))
///   + res/(Mσ²) + (L − H) ln σ²
/// (2/M times the free energy up to constants) over the bracket
///   upper = ‖Y‖_F²/(LM)  (σ² cannot exceed the mean squared entry),
///   lower = max(s_{h*}²/(M x̄), mean_{h ≥ h*} s_h²/M), h* = min(⌈L/(1+α)⌉ − 1, H) (0-based), the first
///           singular value EVBMF can never keep (at most ⌈L/(1+α)⌉ − 1 components survive);
///           with no such tail, res/(M(L − H)); never below upper·1e-12.
/// The search is a 64-point scan in ln σ² followed by Brent's method (1973) on the best scan interval, to
/// 1e-10 relative. Exact zero singular values are treated as part of the residual. Throws ranklab::Error
/// for invalid sizes or non-finite input.
EvbmfResult evbmf(const Eigen::VectorXd& singularValues, double frobeniusNorm2, Eigen::Index L, Eigen::Index M);

/// EVBMF of a dense matrix: its singular values (BDCSVD) and Frobenius norm, then evbmf above.
EvbmfResult evbmf(const Eigen::MatrixXd& Y);

/// Weakened EVBMF rank (Gusak et al. 2019, MUSCO; ALGORITHMS.md §3): R − wf·(R − R_vbmf) rounded to the
/// nearest integer and clamped to [1, R], R the full rank. wf ∈ [0, 1]: 0 keeps R, 1 gives R_vbmf.
Eigen::Index weakenedRank(Eigen::Index fullRank, Eigen::Index vbmfRank, double wf);

/// Constant-factor rank: the dimension D divided by a compression factor, round(D / factor) clamped to
/// [1, D]; factor 4 keeps a quarter. Throws ranklab::Error unless factor > 0.
Eigen::Index constantFactorRank(Eigen::Index dimension, double factor);

/// Checks an explicit rank for `what` (e.g. a layer name): returns rank if 1 ≤ rank ≤ dimension, otherwise
/// throws ranklab::Error with one sentence naming `what`, the rank and the allowed range.
Eigen::Index checkRank(Eigen::Index rank, Eigen::Index dimension, const std::string& what);

} // namespace ranklab::ron

#include "core/ron/evbmf.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/SVD>

#include "core/error.h"

namespace ranklab::ron {

using Eigen::Index;

namespace {

constexpr double kTauBarFactor = 2.5129; // τ̄ = 2.5129·sqrt(α) (Nakajima et al. 2013, eq. after Thm. 2)
constexpr int kScanPoints = 64;

// Brent's minimisation without derivatives (Brent 1973, ch. 5) of f on [a, b], to absolute tolerance tol.
double brentMinimize(const std::function<double(double)>& f, double a, double b, double tol)
{
    const double golden = 0.3819660112501051; // (3 − sqrt 5)/2
    double x = a + golden * (b - a);
    double w = x, v = x;
    double fx = f(x), fw = fx, fv = fx;
    double d = 0, e = 0;
    for (int iter = 0; iter < 200; ++iter) {
        const double xm = 0.5 * (a + b);
        const double tol1 = tol + 1e-12 * std::abs(x);
        const double tol2 = 2 * tol1;
        if (std::abs(x - xm) <= tol2 - 0.5 * (b - a))
            break;
        bool parabolic = false;
        if (std::abs(e) > tol1) {
            double r = (x - w) * (fx - fv);
            double q = (x - v) * (fx - fw);
            double p = (x - v) * q - (x - w) * r;
            q = 2 * (q - r);
            if (q > 0)
                p = -p;
            q = std::abs(q);
            const double eOld = e;
            e = d;
            if (std::abs(p) < std::abs(0.5 * q * eOld) && p > q * (a - x) && p < q * (b - x)) {
                d = p / q;
                const double u = x + d;
                if (u - a < tol2 || b - u < tol2)
                    d = std::copysign(tol1, xm - x);
                parabolic = true;
            }
        }
        if (!parabolic) {
            e = (x >= xm) ? a - x : b - x;
            d = golden * e;
        }
        const double u = std::abs(d) >= tol1 ? x + d : x + std::copysign(tol1, d);
        const double fu = f(u);
        if (fu <= fx) {
            (u >= x ? a : b) = x;
            v = w;
            fv = fw;
            w = x;
            fw = fx;
            x = u;
            fx = fu;
        } else {
            (u < x ? a : b) = u;
            if (fu <= fw || w == x) {
                v = w;
                fv = fw;
                w = u;
                fw = fu;
            } else if (fu <= fv || v == x || v == w) {
                v = u;
                fv = fu;
            }
        }
    }
    return x;
}

} // namespace

EvbmfResult evbmf(const Eigen::VectorXd& singularValues, double frobeniusNorm2, Index L, Index M)
{
    if (L < 1 || M < 1)
        throw Error("EVBMF needs a matrix with at least one row and one column, not " + std::to_string(L) + " × " +
                    std::to_string(M) + ".");
    if (L > M)
        std::swap(L, M);
    if (singularValues.size() > L)
        throw Error("EVBMF got " + std::to_string(singularValues.size()) + " singular values for a matrix with only " +
                    std::to_string(L) + " of them.");
    if (!singularValues.allFinite() || (singularValues.size() > 0 && singularValues.minCoeff() < 0) ||
        !std::isfinite(frobeniusNorm2) || frobeniusNorm2 < 0)
        throw Error("EVBMF needs finite non-negative singular values and squared Frobenius norm.");

    // Positive singular values, descending; exact zeros only add to the residual (which they do not change).
    std::vector<double> s;
    for (Index h = 0; h < singularValues.size(); ++h)
        if (singularValues(h) > 0)
            s.push_back(singularValues(h));
    std::sort(s.begin(), s.end(), std::greater<>());
    const Index H = static_cast<Index>(s.size());
    double kept = 0;
    for (double x : s)
        kept += x * x;
    const double total = std::max(frobeniusNorm2, kept);
    if (total <= 0)
        throw Error("EVBMF cannot choose a rank for an all-zero matrix.");
    const double residual = std::max(0.0, total - kept);

    const double l = static_cast<double>(L);
    const double m = static_cast<double>(M);
    const double alpha = l / m;
    const double tauBar = kTauBarFactor * std::sqrt(alpha);
    const double xBar = (1 + tauBar) * (1 + alpha / tauBar);

    // Bracket for σ² (see the header).
    const double upper = total / (l * m);
    const Index hStar = std::min(static_cast<Index>(std::ceil(l / (1 + alpha))) - 1, H);
    double lower = 0;
    if (hStar < H) {
        double tail = 0;
        for (Index h = hStar; h < H; ++h)
            tail += s[static_cast<size_t>(h)] * s[static_cast<size_t>(h)];
        const double first = s[static_cast<size_t>(hStar)];
        lower = std::max(first * first / (m * xBar), tail / static_cast<double>(H - hStar) / m);
    } else if (L > H && residual > 0) {
        lower = residual / (m * static_cast<double>(L - H));
    }
    lower = std::clamp(lower, upper * 1e-12, upper);

    // 2/M × free energy (up to constants) as a function of t = ln σ².
    const auto objective = [&](double t) {
        const double sigma2 = std::exp(t);
        double value = residual / (m * sigma2) + static_cast<double>(L - H) * t;
        for (double sh : s) {
            const double x = sh * sh / (m * sigma2);
            if (x <= xBar) {
                value += x - std::log(x);
            } else {
                const double b = x - (1 + alpha);
                const double tau = 0.5 * (b + std::sqrt(std::max(0.0, b * b - 4 * alpha)));
                value += x - tau + std::log((tau + 1) / x) + alpha * std::log(tau / alpha + 1);
            }
        }
        return value;
    };

    const double t0 = std::log(lower);
    const double t1 = std::log(upper);
    double tBest = t1;
    if (t1 - t0 > 1e-12) {
        // Coarse scan, then Brent inside the neighbours of the best scan point.
        int best = 0;
        double fBest = 0;
        const double step = (t1 - t0) / (kScanPoints - 1);
        for (int k = 0; k < kScanPoints; ++k) {
            const double f = objective(t0 + step * k);
            if (k == 0 || f < fBest) {
                fBest = f;
                best = k;
            }
        }
        const double a = t0 + step * std::max(0, best - 1);
        const double b = t0 + step * std::min(kScanPoints - 1, best + 1);
        const double t = brentMinimize(objective, a, b, 1e-10);
        tBest = objective(t) <= fBest ? t : t0 + step * best;
    }

    EvbmfResult result;
    result.sigma2 = std::exp(tBest);
    result.sigma2Lower = lower;
    result.sigma2Upper = upper;
    result.threshold = std::sqrt(m * result.sigma2 * xBar);
    for (double sh : s)
        if (sh > result.threshold)
            ++result.rank;
    return result;
}

EvbmfResult evbmf(const Eigen::MatrixXd& Y)
{
    if (Y.size() == 0)
        throw Error("EVBMF needs a matrix with at least one row and one column.");
    if (!Y.allFinite())
        throw Error("The matrix given to EVBMF contains NaN or infinite entries.");
    const Eigen::BDCSVD<Eigen::MatrixXd> svd(Y);
    return evbmf(svd.singularValues(), Y.squaredNorm(), Y.rows(), Y.cols());
}

Index weakenedRank(Index fullRank, Index vbmfRank, double wf)
{
    if (fullRank < 1)
        throw Error("The full rank for weakened EVBMF must be at least 1, not " + std::to_string(fullRank) + ".");
    if (!(wf >= 0 && wf <= 1))
        throw Error("The EVBMF weakening factor must be between 0 and 1, not " + std::to_string(wf) + ".");
    const Index rv = std::clamp(vbmfRank, Index(0), fullRank);
    const double r = static_cast<double>(fullRank);
    const Index weakened = static_cast<Index>(std::llround(r - wf * (r - static_cast<double>(rv))));
    return std::clamp(weakened, Index(1), fullRank);
}

Index constantFactorRank(Index dimension, double factor)
{
    if (dimension < 1)
        throw Error("A rank needs a dimension of at least 1, not " + std::to_string(dimension) + ".");
    if (!(factor > 0) || !std::isfinite(factor))
        throw Error("The rank reduction factor must be a positive number, not " + std::to_string(factor) + ".");
    const double d = static_cast<double>(dimension);
    return static_cast<Index>(std::clamp(std::round(d / factor), 1.0, d));
}

Index checkRank(Index rank, Index dimension, const std::string& what)
{
    if (rank < 1 || rank > dimension)
        throw Error("The rank " + std::to_string(rank) + " for " + what + " must be between 1 and " +
                    std::to_string(dimension) + ".");
    return rank;
}

} // namespace ranklab::ron

#include "core/basis/basis_conv.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>

#include <ATen/Parallel.h>
#include <Eigen/Dense>
#include <Eigen/SVD>

#include "core/error.h"

namespace ranklab::basis {

namespace {

// Tensors are row-major, Eigen's default is column-major: a C × D tensor maps onto a D × C matrix, i.e.
// its transpose, without copying. The helpers below work with those transposes (Wt = Wᵀ, Bt = Bᵀ).
Eigen::MatrixXd transposeOf(const torch::Tensor& t)
{
    const torch::Tensor c = t.to(torch::kCPU, torch::kDouble).contiguous();
    return Eigen::Map<const Eigen::MatrixXd>(c.data_ptr<double>(), c.size(1), c.size(0));
}

torch::Tensor tensorFromTranspose(const Eigen::MatrixXd& mt)
{
    return torch::from_blob(const_cast<double*>(mt.data()), {mt.cols(), mt.rows()}, torch::kDouble).clone();
}

// Least-squares fits of one filter (Gram-matrix form): ‖w‖² = nw, P_j = ⟨w, b_j⟩, G = B·Bᵀ.
struct Fit {
    double error = 0; // ‖w − fit‖², up to rounding
    double first = 0, second = 0;
};

class GramFitter {
public:
    GramFitter(const Eigen::MatrixXd& wt, const Eigen::MatrixXd& bt)
        : g_(bt.transpose() * bt), p_(wt.transpose() * bt), nw_(wt.colwise().squaredNorm().transpose())
    {
        const double gmax = g_.rows() ? g_.diagonal().maxCoeff() : 0.0;
        tiny_ = std::max(gmax * 1e-14, std::numeric_limits<double>::min());
    }

    Fit single(Eigen::Index i, Eigen::Index j) const
    {
        const double gjj = g_(j, j);
        if (gjj <= tiny_)
            return {nw_(i), 0, 0};
        const double s = p_(i, j) / gjj;
        return {nw_(i) - s * p_(i, j), s, 0};
    }

    Fit pair(Eigen::Index i, Eigen::Index j, Eigen::Index k) const
    {
        const double gjj = g_(j, j), gkk = g_(k, k), gjk = g_(j, k);
        const double det = gjj * gkk - gjk * gjk;
        if (gjj <= tiny_ || gkk <= tiny_ || det <= 1e-12 * gjj * gkk) { // (nearly) collinear: one term is enough
            const Fit a = single(i, j), b = single(i, k);
            return a.error <= b.error ? Fit{a.error, a.first, 0} : Fit{b.error, 0, b.first};
        }
        const double pj = p_(i, j), pk = p_(i, k);
        const double x = (gkk * pj - gjk * pk) / det, y = (gjj * pk - gjk * pj) / det;
        return {nw_(i) - x * pj - y * pk, x, y};
    }

    Eigen::Index outputs() const { return p_.rows(); }
    Eigen::Index basisCount() const { return p_.cols(); }

private:
    Eigen::MatrixXd g_, p_;
    Eigen::VectorXd nw_;
    double tiny_ = 0;
};

// ---- fused copy/pair mixing (CPU, float) ------------------------------------------------------------
// Plain loops that GCC vectorises; x86-64 builds also get a Haswell (AVX2) clone picked at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define RANKLAB_KERNEL __attribute__((target_clones("arch=haswell", "default")))
#else
#define RANKLAB_KERNEL
#endif

constexpr int64_t kLanes = 8;

RANKLAB_KERNEL void copyForward(float* __restrict o, const float* __restrict a, float s, float c, int64_t n)
{
    for (int64_t p = 0; p < n; ++p)
        o[p] = s * a[p] + c;
}

RANKLAB_KERNEL void pairForward(float* __restrict o, const float* __restrict a, const float* __restrict b, float s,
                                float t, float c, int64_t n)
{
    for (int64_t p = 0; p < n; ++p)
        o[p] = s * a[p] + t * b[p] + c;
}

// ga += s·g; returns Σ g·a and Σ g (independent lane accumulators, so no reassociation is needed).
RANKLAB_KERNEL void copyBackward(float* __restrict ga, const float* __restrict g, const float* __restrict a, float s,
                                 int64_t n, double* dot, double* sum)
{
    float accDot[kLanes] = {}, accSum[kLanes] = {};
    int64_t p = 0;
    for (; p + kLanes <= n; p += kLanes)
        for (int64_t l = 0; l < kLanes; ++l) {
            const float gv = g[p + l];
            ga[p + l] += s * gv;
            accDot[l] += gv * a[p + l];
            accSum[l] += gv;
        }
    double d = 0, t = 0;
    for (; p < n; ++p) {
        ga[p] += s * g[p];
        d += double(g[p]) * a[p];
        t += g[p];
    }
    for (int64_t l = 0; l < kLanes; ++l) {
        d += accDot[l];
        t += accSum[l];
    }
    *dot += d;
    *sum += t;
}

RANKLAB_KERNEL void pairBackward(float* __restrict ga, float* __restrict gb, const float* __restrict g,
                                 const float* __restrict a, const float* __restrict b, float s, float u, int64_t n,
                                 double* dotA, double* dotB, double* sum)
{
    float accA[kLanes] = {}, accB[kLanes] = {}, accSum[kLanes] = {};
    int64_t p = 0;
    for (; p + kLanes <= n; p += kLanes)
        for (int64_t l = 0; l < kLanes; ++l) {
            const float gv = g[p + l];
            ga[p + l] += s * gv;
            gb[p + l] += u * gv;
            accA[l] += gv * a[p + l];
            accB[l] += gv * b[p + l];
            accSum[l] += gv;
        }
    double da = 0, db = 0, t = 0;
    for (; p < n; ++p) {
        ga[p] += s * g[p];
        gb[p] += u * g[p];
        da += double(g[p]) * a[p];
        db += double(g[p]) * b[p];
        t += g[p];
    }
    for (int64_t l = 0; l < kLanes; ++l) {
        da += accA[l];
        db += accB[l];
        t += accSum[l];
    }
    *dotA += da;
    *dotB += db;
    *sum += t;
}

// Per output channel: source maps (second = -1 for a copy) and the row of copy_scale / pair_coef.
struct MixEntry {
    int64_t first, second, slot;
};

std::vector<MixEntry> mixTable(const torch::Tensor& copyPlan, const torch::Tensor& pairPlan, int64_t cOut)
{
    std::vector<MixEntry> table(size_t(cOut), MixEntry{-1, -1, -1});
    const torch::Tensor cp = copyPlan.to(torch::kCPU).contiguous(), pp = pairPlan.to(torch::kCPU).contiguous();
    const int64_t* c = cp.data_ptr<int64_t>();
    for (int64_t k = 0; k < cp.size(0); ++k)
        table[size_t(c[2 * k])] = {c[2 * k + 1], -1, k};
    const int64_t* p = pp.data_ptr<int64_t>();
    for (int64_t k = 0; k < pp.size(0); ++k)
        table[size_t(p[3 * k])] = {p[3 * k + 1], p[3 * k + 2], k};
    return table;
}

/// z[:, i] = copy_scale·y[:, first] (+ bias) or pair_coef·(y[:, first], y[:, second]) (+ bias), in one pass
/// over the output; backward accumulates into grad y and reduces the coefficient gradients in one pass.
class PairMixFunction final : public torch::autograd::Function<PairMixFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& yIn,
                                 const torch::Tensor& copyScale, const torch::Tensor& pairCoef, const torch::Tensor& bias,
                                 const torch::Tensor& copyPlan, const torch::Tensor& pairPlan, int64_t cOut)
    {
        const torch::Tensor y = yIn.contiguous();
        const int64_t n = y.size(0), r = y.size(1), hw = y.size(2) * y.size(3);
        const auto table = mixTable(copyPlan, pairPlan, cOut);
        const torch::Tensor cs = copyScale.contiguous(), pc = pairCoef.contiguous();
        const torch::Tensor bs = bias.contiguous(); // empty when the conv has no bias
        torch::Tensor z = torch::empty({n, cOut, y.size(2), y.size(3)}, y.options());
        const float* yp = y.data_ptr<float>();
        float* zp = z.data_ptr<float>();
        const float* csp = cs.numel() ? cs.data_ptr<float>() : nullptr;
        const float* pcp = pc.numel() ? pc.data_ptr<float>() : nullptr;
        const float* bp = bs.numel() ? bs.data_ptr<float>() : nullptr;
        at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
            for (int64_t s = begin; s < end; ++s)
                for (int64_t i = 0; i < cOut; ++i) {
                    const MixEntry& e = table[size_t(i)];
                    float* o = zp + (s * cOut + i) * hw;
                    const float* a = yp + (s * r + e.first) * hw;
                    const float c = bp ? bp[i] : 0.0f;
                    if (e.second < 0)
                        copyForward(o, a, csp[e.slot], c, hw);
                    else
                        pairForward(o, a, yp + (s * r + e.second) * hw, pcp[2 * e.slot], pcp[2 * e.slot + 1], c, hw);
                }
        });
        ctx->save_for_backward({y, cs, pc, copyPlan, pairPlan});
        ctx->saved_data["has_bias"] = bias.numel() > 0;
        ctx->saved_data["c_out"] = cOut;
        return z;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list gradOutputs)
    {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor &y = saved[0], &cs = saved[1], &pc = saved[2];
        const int64_t cOut = ctx->saved_data["c_out"].toInt();
        const bool hasBias = ctx->saved_data["has_bias"].toBool();
        const torch::Tensor g = gradOutputs[0].contiguous();
        const int64_t n = y.size(0), r = y.size(1), hw = y.size(2) * y.size(3);
        const auto table = mixTable(saved[3], saved[4], cOut);
        const int64_t copies = cs.numel(), pairs = pc.numel() / 2;

        torch::Tensor gy = torch::zeros_like(y);
        std::vector<double> coefGrad(size_t(copies + 2 * pairs + cOut), 0.0); // copies | pairs | bias
        std::mutex merge;
        const float* yp = y.data_ptr<float>();
        const float* gp = g.data_ptr<float>();
        float* gyp = gy.data_ptr<float>();
        const float* csp = copies ? cs.data_ptr<float>() : nullptr;
        const float* pcp = pairs ? pc.data_ptr<float>() : nullptr;
        at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
            std::vector<double> local(coefGrad.size(), 0.0);
            double* copyAcc = local.data();
            double* pairAcc = copyAcc + copies;
            double* biasAcc = pairAcc + 2 * pairs;
            for (int64_t s = begin; s < end; ++s)
                for (int64_t i = 0; i < cOut; ++i) {
                    const MixEntry& e = table[size_t(i)];
                    const float* go = gp + (s * cOut + i) * hw;
                    const int64_t fa = (s * r + e.first) * hw;
                    if (e.second < 0) {
                        copyBackward(gyp + fa, go, yp + fa, csp[e.slot], hw, copyAcc + e.slot, biasAcc + i);
                    } else {
                        const int64_t fb = (s * r + e.second) * hw;
                        pairBackward(gyp + fa, gyp + fb, go, yp + fa, yp + fb, pcp[2 * e.slot], pcp[2 * e.slot + 1], hw,
                                     pairAcc + 2 * e.slot, pairAcc + 2 * e.slot + 1, biasAcc + i);
                    }
                }
            std::lock_guard<std::mutex> lock(merge);
            for (size_t k = 0; k < local.size(); ++k)
                coefGrad[k] += local[k];
        });
        const torch::Tensor all = torch::tensor(coefGrad, torch::kDouble).to(y.scalar_type());
        return {gy,
                all.slice(0, 0, copies),
                all.slice(0, copies, copies + 2 * pairs).view({pairs, 2}),
                hasBias ? all.slice(0, copies + 2 * pairs) : torch::Tensor(),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor()};
    }
};

torch::Tensor indexColumn(const torch::Tensor& plan, int64_t column)
{
    return plan.select(1, column);
}

} // namespace

// ---- the copy/pair rule -------------------------------------------------------------------------------

PairFit fitPairPlan(const torch::Tensor& weight2d, const torch::Tensor& basis2d, int64_t pairs)
{
    const Eigen::MatrixXd wt = transposeOf(weight2d), bt = transposeOf(basis2d);
    const GramFitter fit(wt, bt);
    const Eigen::Index cOut = fit.outputs(), r = fit.basisCount();
    if (pairs < 0 || pairs > cOut || (pairs > 0 && r < 2))
        throw Error("the copy/pair rule needs 0 ≤ pairs ≤ C_out and two basis filters for any pair.");

    // 1. best one-term and two-term fit of every output filter.
    const size_t outputs = size_t(cOut), maps = size_t(r);
    std::vector<Eigen::Index> bestSingle(outputs, 0);
    std::vector<std::array<Eigen::Index, 2>> bestPair(outputs, {0, 1});
    std::vector<double> e1(outputs), e2(outputs), gain(outputs, 0.0);
    for (Eigen::Index i = 0; i < cOut; ++i) {
        double best = std::numeric_limits<double>::infinity();
        for (Eigen::Index j = 0; j < r; ++j) {
            const double e = fit.single(i, j).error;
            if (e < best) {
                best = e;
                bestSingle[size_t(i)] = j;
            }
        }
        e1[size_t(i)] = best;
        if (pairs == 0)
            continue;
        double bestTwo = std::numeric_limits<double>::infinity();
        for (Eigen::Index j = 0; j < r; ++j)
            for (Eigen::Index k = j + 1; k < r; ++k) {
                const double e = fit.pair(i, j, k).error;
                if (e < bestTwo) {
                    bestTwo = e;
                    bestPair[size_t(i)] = {j, k};
                }
            }
        e2[size_t(i)] = bestTwo;
        gain[size_t(i)] = std::max(0.0, best - bestTwo);
    }

    // 2. the `pairs` outputs with the largest gain are pairs (stable: lower index first among equals).
    std::vector<Eigen::Index> order(outputs);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return gain[size_t(a)] > gain[size_t(b)]; });
    std::vector<bool> isPair(outputs, false);
    for (int64_t k = 0; k < pairs; ++k)
        isPair[size_t(order[size_t(k)])] = true;

    // refs[i] = basis maps output i uses (second = -1 for a copy); err[i] its current squared error.
    std::vector<std::array<Eigen::Index, 2>> refs(outputs);
    std::vector<double> err(outputs);
    std::vector<int> use(maps, 0);
    for (Eigen::Index i = 0; i < cOut; ++i) {
        if (isPair[size_t(i)]) {
            refs[size_t(i)] = bestPair[size_t(i)];
            err[size_t(i)] = e2[size_t(i)];
            ++use[size_t(refs[size_t(i)][1])];
        } else {
            refs[size_t(i)] = {bestSingle[size_t(i)], -1};
            err[size_t(i)] = e1[size_t(i)];
        }
        ++use[size_t(refs[size_t(i)][0])];
    }

    // 3. coverage: swap every unused map into the reference whose error grows least.
    for (Eigen::Index j = 0; j < r; ++j) {
        if (use[size_t(j)] > 0)
            continue;
        double bestIncrease = std::numeric_limits<double>::infinity();
        Eigen::Index bestOutput = -1;
        int bestSlot = 0;
        for (Eigen::Index i = 0; i < cOut; ++i) {
            const auto& ref = refs[size_t(i)];
            for (int slot = 0; slot < (ref[1] < 0 ? 1 : 2); ++slot) {
                if (use[size_t(ref[size_t(slot)])] < 2)
                    continue;
                const double e = ref[1] < 0 ? fit.single(i, j).error
                                 : slot == 0 ? fit.pair(i, j, ref[1]).error
                                             : fit.pair(i, ref[0], j).error;
                if (e - err[size_t(i)] < bestIncrease) {
                    bestIncrease = e - err[size_t(i)];
                    bestOutput = i;
                    bestSlot = slot;
                }
            }
        }
        if (bestOutput < 0) // cannot happen: copies + 2·pairs ≥ C_out ≥ C'_out
            throw Error("the copy/pair rule could not use every basis filter.");
        auto& ref = refs[size_t(bestOutput)];
        --use[size_t(ref[size_t(bestSlot)])];
        ref[size_t(bestSlot)] = j;
        ++use[size_t(j)];
        err[size_t(bestOutput)] += bestIncrease;
    }

    // 4. least-squares coefficients of the final assignment.
    PairFit result;
    for (Eigen::Index i = 0; i < cOut; ++i) {
        const auto& ref = refs[size_t(i)];
        if (ref[1] < 0) {
            result.plan.copyOutput.push_back(i);
            result.plan.copyBasis.push_back(ref[0]);
            result.copyScale.push_back(fit.single(i, ref[0]).first);
        } else {
            const Fit f = fit.pair(i, ref[0], ref[1]);
            result.plan.pairOutput.push_back(i);
            result.plan.pairFirst.push_back(ref[0]);
            result.plan.pairSecond.push_back(ref[1]);
            result.pairCoef.push_back({f.first, f.second});
        }
    }
    return result;
}

PairPlan roundRobinPairPlan(int64_t cOut, int64_t basisCount, int64_t pairs)
{
    PairPlan plan;
    int64_t next = 0;
    for (int64_t i = 0; i < cOut; ++i) {
        if (i < cOut - pairs) {
            plan.copyOutput.push_back(i);
            plan.copyBasis.push_back(next++ % basisCount);
        } else {
            plan.pairOutput.push_back(i);
            plan.pairFirst.push_back(next++ % basisCount);
            plan.pairSecond.push_back(next++ % basisCount);
        }
    }
    return plan;
}

// ---- BasisConv2d --------------------------------------------------------------------------------------

BasisConv2d::BasisConv2d(const nn::Conv2d& conv, const BasisSpec& spec, const std::string& layerName)
    : Layer("BasisConv2d"), options_(conv.options()), spec_(spec)
{
    const QString name = QString::fromStdString(layerName);
    if (options_.groups != 1)
        throw Error(QStringLiteral("%1 is a grouped convolution (groups = %2); basis convolutions need groups = 1.")
                        .arg(name.isEmpty() ? QStringLiteral("the layer") : QStringLiteral("layer ") + name)
                        .arg(options_.groups));
    const int64_t cOut = options_.outChannels, cIn = options_.inChannels, k = options_.kernel, d = cIn * k * k;
    basisCount_ = basis::basisCount(spec, cOut, name); // validates
    const int64_t r = basisCount_;
    const int64_t pairs = basis::pairCount(spec, cOut);
    const auto device = conv.weight.device();
    const auto dtype = conv.weight.scalar_type();
    const double randomStd = std::sqrt(2.0 / double(cOut * k * k)); // kaiming normal, fan-out, ReLU gain

    torch::NoGradGuard noGrad;
    const torch::Tensor w = conv.weight.detach().to(torch::kCPU, torch::kDouble).reshape({cOut, d}).contiguous();
    torch::Tensor b2d, coef2d; // double, CPU: C' × D and C_out × C'
    switch (spec.init) {
    case BasisInit::Random:
        b2d = torch::randn({r, d}, torch::kDouble) * randomStd;
        coef2d = torch::randn({cOut, r}, torch::kDouble) / std::sqrt(double(r));
        break;
    case BasisInit::Qr: {
        const Eigen::MatrixXd wt = transposeOf(w);
        const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(wt);
        const auto& pivots = qr.colsPermutation().indices();
        Eigen::MatrixXd bt(d, r);
        for (int64_t j = 0; j < r; ++j)
            bt.col(j) = wt.col(pivots(j));
        const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(bt);
        b2d = tensorFromTranspose(bt);
        coef2d = tensorFromTranspose(cod.solve(wt)); // min-norm least squares of Wᵀ ≈ Bᵀ·Coefᵀ
        break;
    }
    case BasisInit::Svd: {
        const Eigen::MatrixXd wt = transposeOf(w);
        const Eigen::BDCSVD<Eigen::MatrixXd> svd(wt, Eigen::ComputeThinU | Eigen::ComputeThinV);
        // Wᵀ = U S Vᵀ  ⇒  W = V S Uᵀ: Coef = V_r, B = S_r U_rᵀ.
        const int64_t kept = std::min<int64_t>(r, svd.singularValues().size());
        Eigen::MatrixXd bt = Eigen::MatrixXd::Zero(d, r), coefT = Eigen::MatrixXd::Zero(r, cOut);
        bt.leftCols(kept) = svd.matrixU().leftCols(kept) * svd.singularValues().head(kept).asDiagonal();
        coefT.topRows(kept) = svd.matrixV().leftCols(kept).transpose();
        b2d = tensorFromTranspose(bt);
        coef2d = tensorFromTranspose(coefT);
        if (kept < r) // beyond the rank bound: random filters with zero coefficients, free to learn
            b2d.slice(0, kept) = torch::randn({r - kept, d}, torch::kDouble) * randomStd;
        break;
    }
    }

    const auto floatOptions = torch::TensorOptions().device(device).dtype(dtype);
    basis = register_parameter("basis", b2d.view({r, cIn, k, k}).to(floatOptions));
    if (spec.form == BasisForm::Pair) {
        PairFit fit;
        if (spec.init == BasisInit::Random) {
            fit.plan = roundRobinPairPlan(cOut, r, pairs);
            fit.copyScale.assign(fit.plan.copyOutput.size(), 1.0);
            fit.pairCoef.assign(fit.plan.pairOutput.size(), {M_SQRT1_2, M_SQRT1_2});
        } else {
            fit = fitPairPlan(w, b2d, pairs);
        }
        const auto& plan = fit.plan;
        const int64_t copies = int64_t(plan.copyOutput.size());
        std::vector<int64_t> cp, pp;
        std::vector<double> pc;
        for (int64_t i = 0; i < copies; ++i)
            cp.insert(cp.end(), {plan.copyOutput[size_t(i)], plan.copyBasis[size_t(i)]});
        for (size_t i = 0; i < plan.pairOutput.size(); ++i) {
            pp.insert(pp.end(), {plan.pairOutput[i], plan.pairFirst[i], plan.pairSecond[i]});
            pc.insert(pc.end(), {fit.pairCoef[i][0], fit.pairCoef[i][1]});
        }
        const auto longOptions = torch::TensorOptions().device(device).dtype(torch::kLong);
        copyScale = torch::tensor(fit.copyScale, torch::kDouble).view({copies}).to(floatOptions);
        pairCoef = torch::tensor(pc, torch::kDouble).view({pairs, 2}).to(floatOptions);
        copyPlan = torch::tensor(cp, torch::kLong).view({copies, 2}).to(longOptions);
        pairPlan = torch::tensor(pp, torch::kLong).view({pairs, 3}).to(longOptions);
        if (copies > 0) {
            copyScale = register_parameter("copy_scale", copyScale);
            copyPlan = register_buffer("copy_plan", copyPlan);
        }
        if (pairs > 0) {
            pairCoef = register_parameter("pair_coef", pairCoef);
            pairPlan = register_buffer("pair_plan", pairPlan);
        }
    } else {
        coef = register_parameter("coef", coef2d.to(floatOptions));
    }
    if (conv.bias.defined())
        bias = register_parameter("bias", conv.bias.detach().clone());

    if (spec.init != BasisInit::Random) {
        const double norm = w.norm().item<double>();
        const torch::Tensor composed = composedWeight().detach().to(torch::kCPU, torch::kDouble).reshape({cOut, d});
        reconstructionError_ = norm > 0 ? (w - composed).norm().item<double>() / norm : 0.0;
    }
    train(conv.is_training());
}

PairPlan BasisConv2d::plan() const
{
    PairPlan plan;
    if (spec_.form != BasisForm::Pair)
        return plan;
    const torch::Tensor cp = copyPlan.to(torch::kCPU).contiguous(), pp = pairPlan.to(torch::kCPU).contiguous();
    for (int64_t k = 0; k < cp.size(0); ++k) {
        plan.copyOutput.push_back(cp[k][0].item<int64_t>());
        plan.copyBasis.push_back(cp[k][1].item<int64_t>());
    }
    for (int64_t k = 0; k < pp.size(0); ++k) {
        plan.pairOutput.push_back(pp[k][0].item<int64_t>());
        plan.pairFirst.push_back(pp[k][1].item<int64_t>());
        plan.pairSecond.push_back(pp[k][2].item<int64_t>());
    }
    return plan;
}

namespace {
// The dense C_out × C' matrix holding `copyValues` at (copy output, copy map) and `pairValues` at (pair
// output, first / second map).
torch::Tensor expandPlan(const torch::Tensor& copyPlan, const torch::Tensor& pairPlan, const torch::Tensor& copyValues,
                         const torch::Tensor& pairValues, int64_t cOut, int64_t r, const torch::TensorOptions& options)
{
    // Empty plans and coefficients are not registered with the module, so they may sit on another device.
    const torch::Tensor cp = copyPlan.to(options.device()), pp = pairPlan.to(options.device());
    const torch::Tensor cv = copyValues.to(options), pv = pairValues.to(options);
    const torch::Tensor rows = torch::cat({indexColumn(cp, 0), indexColumn(pp, 0), indexColumn(pp, 0)});
    const torch::Tensor cols = torch::cat({indexColumn(cp, 1), indexColumn(pp, 1), indexColumn(pp, 2)});
    const torch::Tensor values = torch::cat({cv, pv.select(1, 0), pv.select(1, 1)});
    return torch::zeros({cOut, r}, options).index_put({rows, cols}, values);
}
} // namespace

torch::Tensor BasisConv2d::coefficientMatrix() const
{
    if (spec_.form != BasisForm::Pair)
        return coef;
    return expandPlan(copyPlan, pairPlan, copyScale, pairCoef, options_.outChannels, basisCount_, basis.options());
}

torch::Tensor BasisConv2d::composedWeight() const
{
    const auto& o = options_;
    return torch::mm(coefficientMatrix(), basis.view({basisCount_, -1})).view({o.outChannels, o.inChannels, o.kernel, o.kernel});
}

std::shared_ptr<nn::Conv2d> BasisConv2d::composeBack() const
{
    auto conv = std::make_shared<nn::Conv2d>(options_);
    conv->to(basis.device(), basis.scalar_type());
    torch::NoGradGuard noGrad;
    conv->weight.copy_(composedWeight());
    if (bias.defined())
        conv->bias.copy_(bias);
    conv->train(is_training());
    return conv;
}

std::unordered_map<std::string, torch::Tensor>
BasisConv2d::composeVelocity(const std::unordered_map<std::string, torch::Tensor>& velocities) const
{
    torch::NoGradGuard noGrad;
    auto velocityOf = [&](const std::string& name, const torch::Tensor& param) {
        const auto it = velocities.find(name);
        return it != velocities.end() && it->second.defined() ? it->second.to(param.options()) : torch::zeros_like(param);
    };
    const torch::Tensor b = basis.detach().view({basisCount_, -1});
    const torch::Tensor dB = velocityOf("basis", basis).view({basisCount_, -1});
    torch::Tensor dCoef;
    if (spec_.form == BasisForm::Pair)
        dCoef = expandPlan(copyPlan, pairPlan, velocityOf("copy_scale", copyScale), velocityOf("pair_coef", pairCoef),
                           options_.outChannels, basisCount_, basis.options());
    else
        dCoef = velocityOf("coef", coef);
    const torch::Tensor dW = torch::mm(dCoef, b) + torch::mm(coefficientMatrix().detach(), dB);
    std::unordered_map<std::string, torch::Tensor> result;
    result["weight"] = dW.view({options_.outChannels, options_.inChannels, options_.kernel, options_.kernel}).clone();
    if (bias.defined())
        result["bias"] = velocityOf("bias", bias).clone();
    return result;
}

torch::Tensor BasisConv2d::mixPairs(const torch::Tensor& y) const
{
    const int64_t cOut = options_.outChannels;
    if (pairKernel_ == PairKernel::Dense)
        return nn::convolve(y, coefficientMatrix().view({cOut, basisCount_, 1, 1}), bias, 1, 0);
    if (pairKernel_ == PairKernel::Fused && y.device().is_cpu() && y.scalar_type() == torch::kFloat)
        // Undefined tensors cannot enter a custom autograd function: an absent bias travels as an empty one.
        return PairMixFunction::apply(y, copyScale, pairCoef, bias.defined() ? bias : torch::empty({0}, y.options()),
                                      copyPlan, pairPlan, cOut);
    // Gather: stock ops, any device and dtype.
    std::vector<torch::Tensor> parts;
    if (copyScale.numel())
        parts.push_back(y.index_select(1, indexColumn(copyPlan, 1)) * copyScale.view({1, -1, 1, 1}));
    if (pairCoef.numel())
        parts.push_back(y.index_select(1, indexColumn(pairPlan, 1)) * pairCoef.select(1, 0).view({1, -1, 1, 1})
                        + y.index_select(1, indexColumn(pairPlan, 2)) * pairCoef.select(1, 1).view({1, -1, 1, 1}));
    const torch::Tensor order = torch::cat({indexColumn(copyPlan, 0).to(y.device()), indexColumn(pairPlan, 0).to(y.device())});
    torch::Tensor z = torch::cat(parts, 1).index_select(1, torch::argsort(order));
    return bias.defined() ? z + bias.view({1, -1, 1, 1}) : z;
}

torch::Tensor BasisConv2d::convolve(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& convBias) const
{
    // The kernel choice is nn::convolve's, the same for the plain convs this one is compared with.
    const auto& o = options_;
    return nn::convolve(x, weight, convBias, o.stride, o.padding, o.dilation);
}

torch::Tensor BasisConv2d::forward(const torch::Tensor& x)
{
    const auto& o = options_;
    torch::Tensor y;
    switch (spec_.form) {
    case BasisForm::Weight:
        y = convolve(x, composedWeight(), bias);
        break;
    case BasisForm::Output:
        y = nn::convolve(convolve(x, basis, {}), coef.view({o.outChannels, basisCount_, 1, 1}), bias, 1, 0);
        break;
    case BasisForm::Pair:
        y = mixPairs(convolve(x, basis, {}));
        break;
    }
    if (auto* recorder = nn::ForwardRecorder::active())
        recorder->record(this, x, y);
    return y;
}

int64_t BasisConv2d::forwardFlops(const std::vector<int64_t>&, const std::vector<int64_t>& outShape) const
{
    const int64_t cOut = options_.outChannels, r = basisCount_;
    const int64_t kkc = options_.kernel * options_.kernel * options_.inChannels;
    const int64_t hw = outShape.at(1) * outShape.at(2);
    const int64_t biasAdds = bias.defined() ? cOut * hw : 0;
    switch (spec_.form) {
    case BasisForm::Weight: return 2 * cOut * r * kkc + 2 * kkc * cOut * hw + biasAdds;
    case BasisForm::Output: return 2 * kkc * r * hw + 2 * cOut * r * hw + biasAdds;
    case BasisForm::Pair: return 2 * kkc * r * hw + copyCount() * hw + 3 * pairCount() * hw + biasAdds;
    }
    return 0;
}

} // namespace ranklab::basis

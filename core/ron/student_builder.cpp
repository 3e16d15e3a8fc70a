#include "core/ron/student_builder.h"

#include <cmath>

#include "core/error.h"

namespace ranklab::ron {

namespace {
/// The ops of a plain unit after its main layer.
struct UnitPlan {
    const nn::BatchNorm* bn = nullptr;
    bool relu = false;
    bool pool = false;
};

UnitPlan planUnit(const TeacherChain& chain, int unit)
{
    const ChainUnit& u = chain.units().at(size_t(unit));
    UnitPlan plan;
    for (int i = u.firstOp + 1; i <= u.lastOp; ++i) {
        const ChainOp& op = chain.ops()[size_t(i)];
        switch (op.kind) {
        case ChainOp::Kind::BatchNorm:
            if (i != u.firstOp + 1)
                throw Error("RON cannot fold " + op.name + " into " + u.name + ": the BatchNorm does not follow it directly.");
            plan.bn = static_cast<const nn::BatchNorm*>(op.layer.get());
            break;
        case ChainOp::Kind::ReLU:
            if (plan.relu)
                throw Error("unit " + u.name + " applies ReLU twice, which RON does not expect.");
            plan.relu = true;
            break;
        case ChainOp::Kind::MaxPool: {
            const auto* pool = static_cast<const nn::MaxPool2d*>(op.layer.get());
            if (pool->kernel() != 2 || pool->stride() != 2 || pool->padding() != 0 || plan.pool)
                throw Error("RON handles 2×2 stride-2 max-pools only, not " + op.name + " after " + u.name + ".");
            plan.pool = true;
            break;
        }
        case ChainOp::Kind::Dropout:
        case ChainOp::Kind::Flatten:
            break;
        case ChainOp::Kind::ReLU6:
            throw Error("RON's students apply ReLU, not the ReLU6 (" + op.name + ") of unit " + u.name
                        + "; choose a range without ReLU6 units (in MobileNetV2: the classifier).");
        default:
            throw Error("RON cannot carry " + op.name + " of unit " + u.name + " into a student.");
        }
    }
    return plan;
}

torch::Tensor toTensor(const Eigen::MatrixXd& m)
{
    RowMatrixXd r = m;
    return torch::from_blob(r.data(), {r.rows(), r.cols()}, torch::kDouble).to(torch::kFloat).clone();
}

torch::Tensor toTensor(const Eigen::VectorXd& v)
{
    Eigen::VectorXd c = v;
    return torch::from_blob(c.data(), {c.size()}, torch::kDouble).to(torch::kFloat).clone();
}

void setLinear(nn::Linear& linear, const Eigen::MatrixXd& W, const Eigen::VectorXd* b)
{
    torch::NoGradGuard noGrad;
    linear.weight.copy_(toTensor(W));
    if (b)
        linear.bias.copy_(toTensor(*b));
}

std::shared_ptr<nn::Layer> child(const nn::Layer& parent, const std::string& name)
{
    auto c = parent.child(name);
    if (!c)
        throw Error("the residual block has no " + name + ".");
    return c;
}

const nn::Conv2d& asConv(const std::shared_ptr<nn::Layer>& layer, const std::string& what)
{
    const auto* c = dynamic_cast<const nn::Conv2d*>(layer.get());
    if (!c)
        throw Error("RON expects " + what + " to be a convolution.");
    return *c;
}

const nn::BatchNorm& asBn(const std::shared_ptr<nn::Layer>& layer, const std::string& what)
{
    const auto* b = dynamic_cast<const nn::BatchNorm*>(layer.get());
    if (!b)
        throw Error("RON expects " + what + " to be a BatchNorm.");
    return *b;
}

void foldBatchNorm(DenseRows& d, const std::vector<int64_t>& channels, const nn::BatchNorm* bn)
{
    if (!bn)
        return;
    const auto gamma = bn->weight.detach().to(torch::kDouble).contiguous();
    const auto beta = bn->bias.detach().to(torch::kDouble).contiguous();
    const auto mean = bn->running_mean.detach().to(torch::kDouble).contiguous();
    const auto var = bn->running_var.detach().to(torch::kDouble).contiguous();
    for (size_t r = 0; r < channels.size(); ++r) {
        const int64_t c = channels[r];
        const double scale = gamma[c].item<double>() / std::sqrt(var[c].item<double>() + bn->eps());
        d.W.row(Eigen::Index(r)) *= scale;
        d.b(Eigen::Index(r)) = (d.b(Eigen::Index(r)) - mean[c].item<double>()) * scale + beta[c].item<double>();
    }
}
} // namespace

DenseRows convRows(const nn::Conv2d& conv, const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape,
                   const std::vector<int64_t>& rows, const nn::BatchNorm* bn)
{
    const auto& o = conv.options();
    const int64_t Cin = inShape.at(0), H = inShape.at(1), W = inShape.at(2);
    const int64_t Cout = outShape.at(0), Ho = outShape.at(1), Wo = outShape.at(2);
    const int64_t cinPerGroup = Cin / o.groups, coutPerGroup = Cout / o.groups, K = o.kernel;
    const auto weight = conv.weight.detach().to(torch::kDouble).contiguous();
    const double* w = weight.data_ptr<double>();
    const auto bias = conv.bias.defined() ? conv.bias.detach().to(torch::kDouble).contiguous() : torch::Tensor();
    DenseRows d{Eigen::MatrixXd::Zero(Eigen::Index(rows.size()), Cin * H * W), Eigen::VectorXd::Zero(Eigen::Index(rows.size()))};
    std::vector<int64_t> channels(rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
        const int64_t q = rows[r];
        if (q < 0 || q >= Cout * Ho * Wo)
            throw Error("a sampled row lies outside the convolution's output.");
        const int64_t co = q / (Ho * Wo), oy = (q / Wo) % Ho, ox = q % Wo;
        const int64_t group = co / coutPerGroup;
        channels[r] = co;
        for (int64_t cl = 0; cl < cinPerGroup; ++cl) {
            const int64_t ci = group * cinPerGroup + cl;
            for (int64_t ky = 0; ky < K; ++ky) {
                const int64_t iy = oy * o.stride - o.padding + ky * o.dilation;
                if (iy < 0 || iy >= H)
                    continue;
                for (int64_t kx = 0; kx < K; ++kx) {
                    const int64_t ix = ox * o.stride - o.padding + kx * o.dilation;
                    if (ix < 0 || ix >= W)
                        continue;
                    d.W(Eigen::Index(r), ci * H * W + iy * W + ix) += w[((co * cinPerGroup + cl) * K + ky) * K + kx];
                }
            }
        }
        if (bias.defined())
            d.b(Eigen::Index(r)) = bias.data_ptr<double>()[co];
    }
    foldBatchNorm(d, channels, bn);
    return d;
}

DenseRows linearRows(const nn::Linear& linear, const std::vector<int64_t>& rows, const nn::BatchNorm* bn)
{
    const auto weight = linear.weight.detach().to(torch::kDouble).contiguous();
    const int64_t in = linear.inFeatures();
    DenseRows d{Eigen::MatrixXd(Eigen::Index(rows.size()), in), Eigen::VectorXd::Zero(Eigen::Index(rows.size()))};
    const double* w = weight.data_ptr<double>();
    for (size_t r = 0; r < rows.size(); ++r) {
        if (rows[r] < 0 || rows[r] >= linear.outFeatures())
            throw Error("a sampled row lies outside the linear layer's output.");
        d.W.row(Eigen::Index(r)) = Eigen::Map<const Eigen::RowVectorXd>(w + rows[r] * in, in);
        if (linear.bias.defined())
            d.b(Eigen::Index(r)) = linear.bias[rows[r]].item<double>();
    }
    foldBatchNorm(d, rows, bn);
    return d;
}

std::vector<int64_t> poolSourceRows(const std::vector<int64_t>& rows, const std::vector<int64_t>& pooledShape,
                                    const std::vector<int64_t>& preShape)
{
    const int64_t Hp = pooledShape.at(1), Wp = pooledShape.at(2), H = preShape.at(1), W = preShape.at(2);
    std::vector<int64_t> out;
    out.reserve(rows.size() * 4);
    for (int64_t q : rows) {
        const int64_t c = q / (Hp * Wp), y = (q / Wp) % Hp, x = q % Wp;
        for (int64_t dy = 0; dy < 2; ++dy)
            for (int64_t dx = 0; dx < 2; ++dx)
                out.push_back(c * H * W + (2 * y + dy) * W + (2 * x + dx));
    }
    return out;
}

void chainShapes(const TeacherChain& chain, std::vector<std::vector<int64_t>>& outShapes,
                 std::vector<std::vector<int64_t>>& innerShapes)
{
    const ModelSpec& spec = chain.info().spec;
    outShapes.assign(chain.ops().size(), {});
    innerShapes.assign(chain.ops().size(), {});
    torch::NoGradGuard noGrad;
    const bool wasTraining = chain.model()->is_training();
    chain.model()->eval();
    auto drop = [](const torch::Tensor& t) {
        auto s = t.sizes().vec();
        s.erase(s.begin());
        return s;
    };
    chain.run(torch::zeros({1, spec.inChannels, spec.inputSize, spec.inputSize}), 0, int(chain.ops().size()),
              [&](int op, const torch::Tensor& y) { outShapes[size_t(op)] = drop(y); },
              [&](int op, const torch::Tensor& h) { innerShapes[size_t(op)] = drop(h); });
    chain.model()->train(wasTraining);
}

void checkUnitReducible(const TeacherChain& chain, int unit)
{
    const ChainUnit& u = chain.units().at(size_t(unit));
    if (u.opaque)
        throw Error("RON reduces conv, linear and BasicBlock units, not " + u.name + " (" + chain.ops()[size_t(u.firstOp)].layer->name()
                    + "); choose a range without it (its output spectrum can still be computed).");
    if (!u.block) {
        planUnit(chain, unit);
        return;
    }
    const nn::Layer& block = *chain.ops()[size_t(u.firstOp)].layer;
    asConv(child(block, "conv1"), u.name + ".conv1");
    asConv(child(block, "conv2"), u.name + ".conv2");
    asBn(child(block, "bn1"), u.name + ".bn1");
    asBn(child(block, "bn2"), u.name + ".bn2");
    if (auto down = block.child("downsample")) {
        asConv(child(*down, "0"), u.name + ".downsample.0");
        asBn(child(*down, "1"), u.name + ".downsample.1");
    }
}

std::shared_ptr<RonStudent> buildStudent(const std::shared_ptr<TeacherChain>& chain, int firstUnit, int lastUnit,
                                         const std::vector<SampledBasis>& outer, const std::vector<SampledBasis>& inner,
                                         std::vector<StageConfig>* configsOut)
{
    std::vector<std::vector<int64_t>> outShapes, innerShapes;
    chainShapes(*chain, outShapes, innerShapes);
    const ModelSpec& spec = chain->info().spec;
    auto inputShapeOf = [&](int op) {
        return op == 0 ? std::vector<int64_t>{spec.inChannels, spec.inputSize, spec.inputSize} : outShapes[size_t(op - 1)];
    };

    struct StageWeights {
        Eigen::MatrixXd W, W2, Wsc;
        Eigen::VectorXd b, b2;
    };
    std::vector<StageConfig> configs;
    std::vector<StageWeights> weights;
    const Eigen::MatrixXd* previousC = nullptr;
    // The first stage reads the teacher's full activation (W̃_0 = S_1 W_1); later ones read s_{k−1}
    // through C_{k−1} = V_{k−1}(S_{k−1}V_{k−1})^+ (eq. 14).
    auto compose = [&previousC](const Eigen::MatrixXd& rowsW) -> Eigen::MatrixXd {
        return previousC ? Eigen::MatrixXd(rowsW * *previousC) : rowsW;
    };
    for (int unit = firstUnit; unit <= lastUnit; ++unit) {
        const size_t k = size_t(unit - firstUnit);
        const ChainUnit& u = chain->units().at(size_t(unit));
        const ChainOp& main = chain->ops()[size_t(u.firstOp)];
        const std::vector<int64_t> inShape = inputShapeOf(u.firstOp);
        const int64_t inDim = previousC ? previousC->cols() : shapeNumel(inShape);
        const SampledBasis& basis = outer.at(k);
        StageConfig config;
        config.name = u.name;
        config.in = inDim;
        config.out = int64_t(basis.rows.size());
        config.rows = basis.rows;
        StageWeights sw;
        if (!u.block) {
            const UnitPlan plan = planUnit(*chain, unit);
            const std::vector<int64_t>& mainOut = outShapes[size_t(u.firstOp)];
            std::vector<int64_t> rows = basis.rows;
            if (plan.pool) {
                // The pooled shape is the output of the pool op: the unit's last 3-d output.
                std::vector<int64_t> pooled;
                for (int i = u.firstOp; i <= u.lastOp; ++i)
                    if (chain->ops()[size_t(i)].kind == ChainOp::Kind::MaxPool)
                        pooled = outShapes[size_t(i)];
                rows = poolSourceRows(rows, pooled, mainOut);
                config.group = 4;
            }
            const DenseRows d = main.kind == ChainOp::Kind::Conv
                                    ? convRows(static_cast<const nn::Conv2d&>(*main.layer), inShape, mainOut, rows, plan.bn)
                                    : linearRows(static_cast<const nn::Linear&>(*main.layer), rows, plan.bn);
            config.relu = plan.relu;
            sw.W = compose(d.W);
            sw.b = d.b;
        } else {
            const nn::Layer& block = *main.layer;
            const SampledBasis& in = inner.at(k);
            const std::vector<int64_t>& hShape = innerShapes[size_t(u.firstOp)];
            const std::vector<int64_t>& outShape = outShapes[size_t(u.firstOp)];
            config.residual = true;
            config.hidden = int64_t(in.rows.size());
            config.innerRows = in.rows;
            const DenseRows d1 = convRows(asConv(child(block, "conv1"), "conv1"), inShape, hShape, in.rows,
                                          &asBn(child(block, "bn1"), "bn1"));
            const DenseRows d2 = convRows(asConv(child(block, "conv2"), "conv2"), hShape, outShape, basis.rows,
                                          &asBn(child(block, "bn2"), "bn2"));
            sw.W = compose(d1.W);
            sw.b = d1.b;
            sw.W2 = d2.W * in.C; // S W_2 V_h (S_h V_h)^+
            sw.b2 = d2.b;
            if (auto down = block.child("downsample")) {
                const DenseRows dd = convRows(asConv(child(*down, "0"), "downsample.0"), inShape, outShape, basis.rows,
                                              &asBn(child(*down, "1"), "downsample.1"));
                sw.Wsc = compose(dd.W);
                sw.b2 += dd.b;
            } else if (previousC) {
                sw.Wsc = Eigen::MatrixXd(Eigen::Index(basis.rows.size()), previousC->cols());
                for (size_t r = 0; r < basis.rows.size(); ++r)
                    sw.Wsc.row(Eigen::Index(r)) = previousC->row(Eigen::Index(basis.rows[r]));
            } else {
                sw.Wsc = Eigen::MatrixXd::Zero(Eigen::Index(basis.rows.size()), inDim);
                for (size_t r = 0; r < basis.rows.size(); ++r)
                    sw.Wsc(Eigen::Index(r), Eigen::Index(basis.rows[r])) = 1;
            }
        }
        configs.push_back(config);
        weights.push_back(std::move(sw));
        previousC = &basis.C;
    }
    const ChainUnit& lastU = chain->units().at(size_t(lastUnit));
    auto reduced = std::make_shared<RonReduced>(configs, outShapes[size_t(lastU.lastOp)]);
    for (size_t k = 0; k < configs.size(); ++k) {
        RonStage& stage = *reduced->stages[k];
        if (!configs[k].residual) {
            setLinear(*stage.fc, weights[k].W, &weights[k].b);
        } else {
            setLinear(*stage.fc1, weights[k].W, &weights[k].b);
            setLinear(*stage.fc2, weights[k].W2, &weights[k].b2);
            setLinear(*stage.shortcut, weights[k].Wsc, nullptr);
        }
    }
    setLinear(*reduced->restore, outer.back().C, nullptr);
    if (configsOut)
        *configsOut = configs;
    return std::make_shared<RonStudent>(chain, firstUnit, lastUnit, reduced);
}

} // namespace ranklab::ron

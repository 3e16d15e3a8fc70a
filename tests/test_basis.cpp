// Basis convolutions (paper A §3.1): the three forms, initialisation, compose-back, the copy/pair rule,
// surgery on zoo models and the cost model.
#include <cmath>
#include <set>

#include <QtTest>

#include "core/basis/basis_conv.h"
#include "core/basis/basis_spec.h"
#include "core/basis/basis_surgery.h"
#include "core/basis/cost_model.h"
#include "core/error.h"
#include "core/models/registry.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"

using namespace ranklab;
using namespace ranklab::basis;

Q_DECLARE_METATYPE(ranklab::basis::BasisForm)
Q_DECLARE_METATYPE(ranklab::basis::BasisInit)
Q_DECLARE_METATYPE(ranklab::basis::PairKernel)

namespace {

nn::ConvOptions convOptions(int64_t cIn, int64_t cOut, int64_t k, int64_t stride, int64_t padding, int64_t dilation, bool bias)
{
    nn::ConvOptions o;
    o.inChannels = cIn;
    o.outChannels = cOut;
    o.kernel = k;
    o.stride = stride;
    o.padding = padding;
    o.dilation = dilation;
    o.bias = bias;
    return o;
}

BasisSpec makeSpec(double size, double beta, BasisForm form, BasisInit init)
{
    BasisSpec s;
    s.size = size;
    s.beta = beta;
    s.form = form;
    s.init = init;
    return s;
}

double maxAbs(const torch::Tensor& t)
{
    return t.abs().max().item<double>();
}

// The error message of `f`, or an empty string when it throws nothing (or something else).
template <typename F>
QString errorOf(F&& f)
{
    try {
        f();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

// One clear sentence: non-empty, a single line, ending with a full stop.
bool isOneSentence(const QString& message)
{
    return !message.isEmpty() && !message.contains(QLatin1Char('\n')) && message.endsWith(QLatin1Char('.'));
}

void addFormInitRows()
{
    QTest::addColumn<BasisForm>("form");
    QTest::addColumn<BasisInit>("init");
    for (BasisForm form : {BasisForm::Weight, BasisForm::Output, BasisForm::Pair})
        for (BasisInit init : {BasisInit::Random, BasisInit::Qr, BasisInit::Svd})
            QTest::newRow(qPrintable(formName(form) + QLatin1Char('/') + initName(init))) << form << init;
}

std::set<std::string> parameterNames(const torch::nn::Module& m)
{
    std::set<std::string> names;
    for (const auto& p : m.named_parameters(/*recurse=*/false))
        names.insert(p.key());
    return names;
}

} // namespace

class TestBasis final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void specParsingAndSizeRule();
    void eachFormKeepsShapeAndTrains_data();
    void eachFormKeepsShapeAndTrains();
    void composeBackIsExact_data();
    void composeBackIsExact();
    void pairKernelsAgree();
    void plainAndBasisConvsRunOneKernelPath_data();
    void plainAndBasisConvsRunOneKernelPath();
    void qrAndSvdReproduceExactRankWeight_data();
    void qrAndSvdReproduceExactRankWeight();
    void pairRuleFindsPlantedCopiesAndPairs();
    void pairRuleRanksByGainAndCoversBasis();
    void composeVelocityIsTheDifferential();
    void surgeryOnAllCifarResnet18Convs_data();
    void surgeryOnAllCifarResnet18Convs();
    void surgeryOnOtherZooModels_data();
    void surgeryOnOtherZooModels();
    void costFormulasForLayer2_0_conv1();
    void accelerationConditionMatchesSpeedup();
    void measuredCostModel();
    void badInputGivesOneSentence();
};

void TestBasis::initTestCase()
{
    torch::manual_seed(7);
    torch::set_num_threads(1);
}

void TestBasis::specParsingAndSizeRule()
{
    QCOMPARE(parseForm(QStringLiteral("Pair")), BasisForm::Pair);
    QCOMPARE(parseForm(QStringLiteral("weight")), BasisForm::Weight);
    QCOMPARE(parseInit(QStringLiteral("SVD")), BasisInit::Svd);
    QCOMPARE(parseSize(QStringLiteral("0.5")), 0.5);
    QCOMPARE(parseSize(QStringLiteral("16")), 16.0);
    // The paper's "Size": 1 is one filter, 0.1 and 0.5 fractions of C_out (rounded, at least 1).
    QCOMPARE(basisCount(makeSpec(1, 0, BasisForm::Weight, BasisInit::Qr), 64), qint64(1));
    QCOMPARE(basisCount(makeSpec(0.1, 0, BasisForm::Weight, BasisInit::Qr), 64), qint64(6)); // round(6.4)
    QCOMPARE(basisCount(makeSpec(0.5, 0, BasisForm::Weight, BasisInit::Qr), 64), qint64(32));
    QCOMPARE(basisCount(makeSpec(0.01, 0, BasisForm::Weight, BasisInit::Qr), 16), qint64(1)); // max(1, round(0.16))
    QCOMPARE(basisCount(makeSpec(64, 0, BasisForm::Weight, BasisInit::Qr), 64), qint64(64));
    QCOMPARE(pairCount(makeSpec(0.5, 0.3, BasisForm::Pair, BasisInit::Qr), 128), qint64(38)); // round(38.4)
    QCOMPARE(pairCount(makeSpec(0.5, 0.3, BasisForm::Output, BasisInit::Qr), 128), qint64(0));
    const BasisSpec back = basisSpecFromJson(toJson(makeSpec(0.25, 0.3, BasisForm::Output, BasisInit::Svd)));
    QCOMPARE(back.size, 0.25);
    QCOMPARE(back.beta, 0.3);
    QCOMPARE(back.form, BasisForm::Output);
    QCOMPARE(back.init, BasisInit::Svd);
}

void TestBasis::eachFormKeepsShapeAndTrains_data()
{
    addFormInitRows();
}

void TestBasis::eachFormKeepsShapeAndTrains()
{
    QFETCH(BasisForm, form);
    QFETCH(BasisInit, init);
    // Stride, padding, dilation and bias must all carry over.
    nn::Conv2d conv(convOptions(6, 12, 3, 2, 2, 2, true));
    BasisConv2d layer(conv, makeSpec(0.5, 0.3, form, init), "test");
    QCOMPARE(layer.basisCount(), int64_t(6));
    QCOMPARE(layer.basis.sizes().vec(), (std::vector<int64_t>{6, 6, 3, 3}));

    const torch::Tensor x = torch::randn({2, 6, 11, 9});
    const torch::Tensor y = layer.forward(x);
    QCOMPARE(y.sizes().vec(), conv.forward(x).sizes().vec());

    (y * torch::randn_like(y)).sum().backward();
    QVERIFY(layer.basis.grad().defined() && maxAbs(layer.basis.grad()) > 0);
    QVERIFY(layer.bias.grad().defined() && maxAbs(layer.bias.grad()) > 0);
    const std::set<std::string> names = parameterNames(layer);
    if (form == BasisForm::Pair) {
        QCOMPARE(names, (std::set<std::string>{"basis", "copy_scale", "pair_coef", "bias"}));
        QCOMPARE(layer.pairCount(), int64_t(4)); // round(0.3 · 12)
        QCOMPARE(layer.copyCount(), int64_t(8));
        QVERIFY(maxAbs(layer.copyScale.grad()) > 0);
        QVERIFY(maxAbs(layer.pairCoef.grad()) > 0);
    } else {
        QCOMPARE(names, (std::set<std::string>{"basis", "coef", "bias"}));
        QCOMPARE(layer.coef.sizes().vec(), (std::vector<int64_t>{12, 6}));
        QVERIFY(maxAbs(layer.coef.grad()) > 0);
    }
    if (init == BasisInit::Random)
        QCOMPARE(layer.reconstructionError(), 0.0);
    else
        QVERIFY(layer.reconstructionError() > 0 && layer.reconstructionError() < 1);
}

void TestBasis::composeBackIsExact_data()
{
    QTest::addColumn<BasisForm>("form");
    QTest::addColumn<BasisInit>("init");
    QTest::addColumn<PairKernel>("kernel");
    QTest::addColumn<bool>("bias");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("stride");
    // 16 → 32 channels, basis 8: 3×3 stride 1 takes the channels-last path for the basis conv, 1×1 stride 2 THNN.
    QTest::newRow("weight/qr") << BasisForm::Weight << BasisInit::Qr << PairKernel::Fused << true << 3 << 1;
    QTest::newRow("weight/random") << BasisForm::Weight << BasisInit::Random << PairKernel::Fused << false << 3 << 1;
    QTest::newRow("weight/svd 1x1 s2") << BasisForm::Weight << BasisInit::Svd << PairKernel::Fused << true << 1 << 2;
    QTest::newRow("output/svd") << BasisForm::Output << BasisInit::Svd << PairKernel::Fused << true << 3 << 1;
    QTest::newRow("output/random") << BasisForm::Output << BasisInit::Random << PairKernel::Fused << false << 3 << 1;
    QTest::newRow("output/qr 3x3 s2") << BasisForm::Output << BasisInit::Qr << PairKernel::Fused << false << 3 << 2;
    QTest::newRow("pair/qr/fused") << BasisForm::Pair << BasisInit::Qr << PairKernel::Fused << true << 3 << 1;
    QTest::newRow("pair/svd/gather") << BasisForm::Pair << BasisInit::Svd << PairKernel::Gather << false << 3 << 1;
    QTest::newRow("pair/random/dense") << BasisForm::Pair << BasisInit::Random << PairKernel::Dense << true << 3 << 1;
    QTest::newRow("pair/random/fused") << BasisForm::Pair << BasisInit::Random << PairKernel::Fused << false << 3 << 1;
    QTest::newRow("pair/qr/fused 1x1 s2") << BasisForm::Pair << BasisInit::Qr << PairKernel::Fused << true << 1 << 2;
}

void TestBasis::composeBackIsExact()
{
    QFETCH(BasisForm, form);
    QFETCH(BasisInit, init);
    QFETCH(PairKernel, kernel);
    QFETCH(bool, bias);
    QFETCH(int, k);
    QFETCH(int, stride);
    nn::Conv2d conv(convOptions(16, 32, k, stride, k / 2, 1, bias));
    BasisConv2d layer(conv, makeSpec(0.25, 0.3, form, init), "test");
    layer.setPairKernel(kernel);
    // Train a little so the coefficients are no longer their initial values.
    for (int step = 0; step < 3; ++step) {
        const torch::Tensor y = layer.forward(torch::randn({2, 16, 8, 8}));
        (y * y).mean().backward();
        torch::NoGradGuard noGrad;
        for (auto& p : layer.parameters()) {
            p.sub_(0.1 * p.grad());
            p.mutable_grad().reset();
        }
    }
    const auto composed = layer.composeBack();
    QCOMPARE(composed->weight.sizes().vec(), conv.weight.sizes().vec());
    QCOMPARE(composed->bias.defined(), bias);
    QCOMPARE(composed->options().padding, conv.options().padding);
    QCOMPARE(composed->options().stride, conv.options().stride);
    torch::NoGradGuard noGrad;
    const torch::Tensor x = torch::randn({4, 16, 10, 10});
    const torch::Tensor expected = layer.forward(x);
    const torch::Tensor got = composed->forward(x);
    QCOMPARE(got.sizes().vec(), expected.sizes().vec());
    QVERIFY2(maxAbs(got - expected) < 1e-5 * std::max(1.0, maxAbs(expected)),
             qPrintable(QStringLiteral("max difference %1").arg(maxAbs(got - expected))));
}

void TestBasis::plainAndBasisConvsRunOneKernelPath_data()
{
    QTest::addColumn<int>("cin");
    QTest::addColumn<int>("cout");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("stride");
    QTest::addColumn<QString>("path");
    QTest::newRow("small 3x3") << 16 << 16 << 3 << 1 << QStringLiteral("channels-last");
    QTest::newRow("strided 1x1 shortcut") << 16 << 32 << 1 << 2 << QStringLiteral("thnn");
    QTest::newRow("wide 3x3") << 32 << 32 << 3 << 1 << QStringLiteral("default");
    QTest::newRow("strided 3x3") << 16 << 16 << 3 << 2 << QStringLiteral("default");
}

void TestBasis::plainAndBasisConvsRunOneKernelPath()
{
    // Issue 13: a basis conv used to pick faster kernels than the plain Conv2d it was timed against. Now both
    // go through nn::convolve: the weight form (basis composed into a full weight) and the Conv2d composed back
    // from it run the same kernel on the same weight, so their outputs agree bit for bit — and both agree with
    // torch's reference convolution to float rounding.
    QFETCH(int, cin);
    QFETCH(int, cout);
    QFETCH(int, k);
    QFETCH(int, stride);
    QFETCH(QString, path);
    QCOMPARE(QString::fromLatin1(nn::convPathName(nn::chooseConvPath(true, k, stride, 1, 1, cin, cout))), path);
    QCOMPARE(nn::chooseConvPath(false, k, stride, 1, 1, cin, cout), nn::ConvPath::Default); // other devices / dtypes
    nn::Conv2d conv(convOptions(cin, cout, k, stride, k / 2, 1, true));
    BasisConv2d layer(conv, makeSpec(0.5, 0, BasisForm::Weight, BasisInit::Qr), "test");
    const auto composed = layer.composeBack();
    torch::NoGradGuard noGrad;
    const torch::Tensor x = torch::randn({8, cin, 12, 12});
    const torch::Tensor viaBasis = layer.forward(x), viaPlain = composed->forward(x);
    QVERIFY2(torch::equal(viaBasis, viaPlain), qPrintable(QStringLiteral("max difference %1").arg(maxAbs(viaBasis - viaPlain))));
    const torch::Tensor reference = torch::conv2d(x, composed->weight, composed->bias, stride, k / 2);
    QVERIFY(maxAbs(viaPlain - reference) < 1e-5 * std::max(1.0, maxAbs(reference)));
}

void TestBasis::pairKernelsAgree()
{
    // Fused (custom autograd op), Gather (stock ops) and Dense (1×1 conv) compute the same function and
    // the same gradients, for copies, pairs and bias.
    nn::Conv2d conv(convOptions(8, 24, 3, 1, 1, 1, true));
    BasisConv2d layer(conv, makeSpec(0.25, 0.5, BasisForm::Pair, BasisInit::Svd), "test");
    const torch::Tensor x0 = torch::randn({3, 8, 7, 9});
    const torch::Tensor gradOut = torch::randn({3, 24, 7, 9});
    std::vector<std::vector<torch::Tensor>> results;
    for (PairKernel kernel : {PairKernel::Fused, PairKernel::Gather, PairKernel::Dense}) {
        layer.setPairKernel(kernel);
        layer.zero_grad();
        const torch::Tensor x = x0.clone().requires_grad_(true);
        const torch::Tensor y = layer.forward(x);
        y.backward(gradOut);
        results.push_back({y.detach(), x.grad(), layer.basis.grad().clone(), layer.copyScale.grad().clone(),
                           layer.pairCoef.grad().clone(), layer.bias.grad().clone()});
    }
    for (size_t k = 1; k < results.size(); ++k)
        for (size_t t = 0; t < results[0].size(); ++t) {
            const double scale = std::max(1.0, maxAbs(results[0][t]));
            QVERIFY2(maxAbs(results[k][t] - results[0][t]) < 1e-4 * scale,
                     qPrintable(QStringLiteral("kernel %1, tensor %2 differs by %3").arg(k).arg(t).arg(maxAbs(results[k][t] - results[0][t]))));
        }

    // Double precision takes the stock-op path whatever the kernel setting; it equals the composed conv.
    nn::Conv2d convD(convOptions(8, 24, 3, 1, 1, 1, true));
    convD.to(torch::kDouble);
    BasisConv2d layerD(convD, makeSpec(0.25, 0.5, BasisForm::Pair, BasisInit::Qr), "test");
    const torch::Tensor xd = torch::randn({2, 8, 5, 6}, torch::kDouble);
    QVERIFY(maxAbs(layerD.forward(xd) - layerD.composeBack()->forward(xd)) < 1e-10);
}

void TestBasis::qrAndSvdReproduceExactRankWeight_data()
{
    QTest::addColumn<BasisForm>("form");
    QTest::addColumn<BasisInit>("init");
    for (BasisInit init : {BasisInit::Qr, BasisInit::Svd})
        for (BasisForm form : {BasisForm::Weight, BasisForm::Output})
            QTest::newRow(qPrintable(initName(init) + QLatin1Char('/') + formName(form))) << form << init;
}

void TestBasis::qrAndSvdReproduceExactRankWeight()
{
    QFETCH(BasisForm, form);
    QFETCH(BasisInit, init);
    const int64_t cOut = 40, cIn = 12, k = 3, rank = 10;
    nn::Conv2d conv(convOptions(cIn, cOut, k, 1, 1, 1, false));
    {
        torch::NoGradGuard noGrad;
        conv.weight.copy_(torch::mm(torch::randn({cOut, rank}), torch::randn({rank, cIn * k * k})).view({cOut, cIn, k, k}));
    }
    BasisConv2d layer(conv, makeSpec(double(rank), 0, form, init), "test");
    QVERIFY2(layer.reconstructionError() < 1e-5, qPrintable(QString::number(layer.reconstructionError())));
    QVERIFY(maxAbs(layer.composedWeight() - conv.weight) < 1e-4 * maxAbs(conv.weight));
    if (init == BasisInit::Qr) { // the basis filters are real filters of W
        const torch::Tensor w = conv.weight.view({cOut, -1}), b = layer.basis.view({rank, -1});
        for (int64_t j = 0; j < rank; ++j)
            QCOMPARE((w - b[j]).abs().sum(1).min().item<double>(), 0.0);
    }
    // One basis filter short of the rank: no longer exact.
    BasisConv2d smaller(conv, makeSpec(double(rank - 1), 0, form, init), "test");
    QVERIFY(smaller.reconstructionError() > 1e-3);
}

void TestBasis::pairRuleFindsPlantedCopiesAndPairs()
{
    // W = 8 orthonormal filters b_j, 16 scaled copies s·b_j (0.3 ≤ s ≤ 0.8) and 8 two-term outputs
    // a·b_j + c·b_k (0.3 ≤ a, c ≤ 0.5), rows shuffled. QR picks the b_j (the largest residuals); the rule
    // must then find every planted pair and reproduce W exactly.
    const int64_t r = 8, cIn = 16, k = 3, d = cIn * k * k, cOut = 32, pairs = 8;
    const torch::Tensor q = std::get<0>(torch::linalg_qr(torch::randn({d, r}, torch::kDouble))).t(); // r × d
    std::vector<torch::Tensor> rows;
    std::vector<bool> planted;
    for (int64_t j = 0; j < r; ++j) {
        rows.push_back(q[j]);
        planted.push_back(false);
    }
    for (int64_t i = 0; i < 16; ++i) {
        rows.push_back((0.3 + 0.5 * double(i) / 15) * q[(i * 3) % r]);
        planted.push_back(false);
    }
    for (int64_t i = 0; i < pairs; ++i) {
        rows.push_back((0.3 + 0.025 * double(i)) * q[i % r] + (0.5 - 0.02 * double(i)) * q[(i + 3) % r]);
        planted.push_back(true);
    }
    const torch::Tensor perm = torch::randperm(cOut, torch::kLong);
    std::vector<torch::Tensor> shuffled;
    std::set<int64_t> plantedPairs;
    for (int64_t i = 0; i < cOut; ++i) {
        const int64_t from = perm[i].item<int64_t>();
        shuffled.push_back(rows[size_t(from)]);
        if (planted[size_t(from)])
            plantedPairs.insert(i);
    }
    nn::Conv2d conv(convOptions(cIn, cOut, k, 1, 1, 1, false));
    {
        torch::NoGradGuard noGrad;
        conv.weight.copy_(torch::stack(shuffled).view({cOut, cIn, k, k}));
    }
    BasisConv2d layer(conv, makeSpec(double(r), double(pairs) / double(cOut), BasisForm::Pair, BasisInit::Qr), "test");
    const PairPlan plan = layer.plan();
    QCOMPARE(std::set<int64_t>(plan.pairOutput.begin(), plan.pairOutput.end()), plantedPairs);
    QVERIFY2(layer.reconstructionError() < 1e-5, qPrintable(QString::number(layer.reconstructionError())));
    // The basis filters' own outputs are copies with scale 1 (Fig. 4: basis outputs pass unchanged).
    const torch::Tensor b = layer.basis.view({r, -1}), w = conv.weight.view({cOut, -1});
    int unchanged = 0;
    for (size_t c = 0; c < plan.copyOutput.size(); ++c)
        if (maxAbs(w[plan.copyOutput[c]] - b[plan.copyBasis[c]]) < 1e-6) {
            QVERIFY(std::abs(layer.copyScale[int64_t(c)].item<double>() - 1) < 1e-5);
            ++unchanged;
        }
    QCOMPARE(unchanged, int(r));
}

void TestBasis::pairRuleRanksByGainAndCoversBasis()
{
    // Hand-made: basis e1, e2, e3 in R³ (as 3 filters of 1×1×3). Outputs: w0 = e1 (exact copy, gain 0),
    // w1 = e1 + 0.1·e2 (small gain 0.01), w2 = e2 + e3 (gain 1), w3 = 2·e3 (exact copy).
    // With one pair, the rule picks w2; e2 is then used by w2; all maps are covered.
    const torch::Tensor basis2d = torch::eye(3, torch::kDouble);
    const torch::Tensor w = torch::tensor({1.0, 0.0, 0.0, 1.0, 0.1, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 2.0}, torch::kDouble).view({4, 3});
    const PairFit fit = fitPairPlan(w, basis2d, 1);
    QCOMPARE(fit.plan.pairOutput, (std::vector<int64_t>{2}));
    QCOMPARE(fit.plan.copyOutput, (std::vector<int64_t>{0, 1, 3}));
    QCOMPARE(fit.plan.copyBasis, (std::vector<int64_t>{0, 0, 2}));
    QCOMPARE(fit.copyScale[2], 2.0);
    QCOMPARE(std::set<int64_t>({fit.plan.pairFirst[0], fit.plan.pairSecond[0]}), (std::set<int64_t>{1, 2}));

    // Copies only, w2 = 0.5·e2 + e3: the best copies are w0, w1 → e1 and w2, w3 → e3, leaving e2 unused.
    // Coverage moves the reference whose error grows least to e2: w2 (+0.75; w1 would cost +0.99, w0 +1).
    const torch::Tensor w2 = torch::tensor({1.0, 0.0, 0.0, 1.0, 0.1, 0.0, 0.0, 0.5, 1.0, 0.0, 0.0, 2.0}, torch::kDouble).view({4, 3});
    const PairFit copies = fitPairPlan(w2, basis2d, 0);
    const std::set<int64_t> used(copies.plan.copyBasis.begin(), copies.plan.copyBasis.end());
    QCOMPARE(used, (std::set<int64_t>{0, 1, 2}));
    QCOMPARE(copies.plan.copyBasis[2], int64_t(1));

    // Every basis map is used, for SVD and random plans alike.
    for (BasisInit init : {BasisInit::Svd, BasisInit::Random}) {
        nn::Conv2d conv(convOptions(8, 64, 3, 1, 1, 1, false));
        BasisConv2d layer(conv, makeSpec(0.5, 0.2, BasisForm::Pair, init), "test");
        const PairPlan plan = layer.plan();
        std::set<int64_t> maps(plan.copyBasis.begin(), plan.copyBasis.end());
        maps.insert(plan.pairFirst.begin(), plan.pairFirst.end());
        maps.insert(plan.pairSecond.begin(), plan.pairSecond.end());
        QCOMPARE(int64_t(maps.size()), layer.basisCount());
        std::set<int64_t> outputs(plan.copyOutput.begin(), plan.copyOutput.end());
        outputs.insert(plan.pairOutput.begin(), plan.pairOutput.end());
        QCOMPARE(outputs.size(), size_t(64));
        for (size_t p = 0; p < plan.pairFirst.size(); ++p)
            QVERIFY(plan.pairFirst[p] != plan.pairSecond[p]);
    }
    // The random plan is deterministic round-robin.
    const PairPlan rr = roundRobinPairPlan(6, 4, 2);
    QCOMPARE(rr.copyBasis, (std::vector<int64_t>{0, 1, 2, 3}));
    QCOMPARE(rr.pairFirst, (std::vector<int64_t>{0, 2}));
    QCOMPARE(rr.pairSecond, (std::vector<int64_t>{1, 3}));
}

void TestBasis::composeVelocityIsTheDifferential()
{
    // dW = dCoef·B + Coef·dB is the derivative of W = Coef·B along the velocity: check by finite differences.
    for (BasisForm form : {BasisForm::Weight, BasisForm::Pair}) {
        nn::Conv2d conv(convOptions(4, 10, 3, 1, 1, 1, true));
        conv.to(torch::kDouble);
        BasisConv2d layer(conv, makeSpec(0.5, 0.4, form, BasisInit::Svd), "test");
        std::unordered_map<std::string, torch::Tensor> v;
        for (const auto& p : layer.named_parameters())
            v[p.key()] = torch::randn_like(p.value());
        const auto mapped = layer.composeVelocity(v);
        QCOMPARE(mapped.at("bias").sizes().vec(), std::vector<int64_t>{10});
        const double eps = 1e-6;
        const torch::Tensor w0 = layer.composedWeight().detach().clone();
        {
            torch::NoGradGuard noGrad;
            for (auto& p : layer.named_parameters())
                p.value().add_(eps * v[p.key()]);
        }
        const torch::Tensor fd = (layer.composedWeight().detach() - w0) / eps;
        QVERIFY2(maxAbs(fd - mapped.at("weight")) < 1e-4 * maxAbs(fd), qPrintable(formName(form)));
    }
}

void TestBasis::surgeryOnAllCifarResnet18Convs_data()
{
    QTest::addColumn<BasisForm>("form");
    QTest::addColumn<BasisInit>("init");
    QTest::newRow("weight/qr") << BasisForm::Weight << BasisInit::Qr;
    QTest::newRow("output/svd") << BasisForm::Output << BasisInit::Svd;
    QTest::newRow("pair/qr") << BasisForm::Pair << BasisInit::Qr;
    QTest::newRow("pair/random") << BasisForm::Pair << BasisInit::Random;
}

void TestBasis::surgeryOnAllCifarResnet18Convs()
{
    QFETCH(BasisForm, form);
    QFETCH(BasisInit, init);
    const ModelSpec spec{QStringLiteral("cifar_resnet18"), 10, 3, 32, 0.25};
    const BasisSpec basisSpec = makeSpec(0.5, 0.3, form, init);
    auto model = models::createModel(spec);
    const ModelInfo before = models::describeModule(*model, spec);
    std::vector<const torch::nn::Module*> norms;
    for (const auto& m : model->modules(false))
        if (dynamic_cast<nn::BatchNorm*>(m.get()) || dynamic_cast<nn::ReLU*>(m.get()))
            norms.push_back(m.get());

    QVector<int> all;
    for (int i = 1; i <= 20; ++i)
        all << i;
    const QVector<BasisLayerReport> reports = insertBasisConvs(*model, before, all, basisSpec);
    QCOMPARE(reports.size(), 20);
    QCOMPARE(reports[5].name, QStringLiteral("layer2.0.conv1"));
    QCOMPARE(reports[5].basisCount, qint64(16)); // 0.5 · 32
    for (const BasisLayerReport& r : reports)
        QVERIFY(init == BasisInit::Random ? r.reconstructionError == 0 : r.reconstructionError > 0 && r.reconstructionError < 1);

    // The registry still lists every layer at its index, now as BasisConv2d, with the cost model's figures.
    const ModelInfo after = models::describeModule(*model, spec);
    QCOMPARE(after.layers.size(), before.layers.size());
    const QVector<LayerCost> costs = basisCostModel(spec, basisSpec.size, basisSpec.beta, false);
    QCOMPARE(costs.size(), 20);
    qint64 expectedParams = before.totalParams;
    for (int i = 0; i < 20; ++i) {
        QCOMPARE(after.layers[i].name, before.layers[i].name);
        QCOMPARE(after.layers[i].type, QStringLiteral("BasisConv2d"));
        QCOMPARE(after.layers[i].outShape, before.layers[i].outShape);
        const LayerCost& c = costs[i];
        QCOMPARE(c.name, before.layers[i].name);
        QCOMPARE(c.paramsFull, before.layers[i].params);
        const qint64 params = form == BasisForm::Weight ? c.paramsWeight : form == BasisForm::Output ? c.paramsOutput : c.paramsPair;
        const double flops = form == BasisForm::Weight ? c.flopsWeight : form == BasisForm::Output ? c.flopsOutput : c.flopsPair;
        QCOMPARE(after.layers[i].params, params);
        QCOMPARE(double(after.layers[i].flops), flops);
        expectedParams += params - c.paramsFull;
    }
    QCOMPARE(after.totalParams, expectedParams);
    // BatchNorm and ReLU modules are the very same objects.
    std::vector<const torch::nn::Module*> normsAfter;
    for (const auto& m : model->modules(false))
        if (dynamic_cast<nn::BatchNorm*>(m.get()) || dynamic_cast<nn::ReLU*>(m.get()))
            normsAfter.push_back(m.get());
    QCOMPARE(normsAfter, norms);

    // Training forward + backward works, then compose back: same outputs, original parameter count.
    model->train();
    const torch::Tensor logits = model->forward(torch::randn({4, 3, 32, 32}));
    QCOMPARE(logits.sizes().vec(), (std::vector<int64_t>{4, 10}));
    logits.sum().backward();
    std::unordered_map<std::string, torch::Tensor> momentum;
    for (const auto& p : model->named_parameters())
        momentum[p.key()] = p.value().grad().clone();
    model->eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor x = torch::randn({2, 3, 32, 32});
    const torch::Tensor expected = model->forward(x);
    const ComposeBackResult composed = composeBackAll(*model, momentum);
    QCOMPARE(composed.layers.size(), 20);
    QVERIFY(composed.momentum.count("layer2.0.conv1.weight"));
    QCOMPARE(composed.momentum.at("layer2.0.conv1.weight").sizes().vec(), (std::vector<int64_t>{32, 16, 3, 3}));
    const torch::Tensor got = model->forward(x);
    QVERIFY2(maxAbs(got - expected) < 1e-4 * std::max(1.0, maxAbs(expected)), qPrintable(QString::number(maxAbs(got - expected))));
    const ModelInfo restored = models::describeModule(*model, spec);
    QCOMPARE(restored.totalParams, before.totalParams);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(restored.layers[i].type, QStringLiteral("Conv2d"));
}

void TestBasis::surgeryOnOtherZooModels_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("inChannels");
    QTest::addColumn<int>("size");
    QTest::addColumn<double>("width");
    QTest::newRow("lenet5 (5×5 convs with bias)") << "lenet5" << 1 << 28 << 1.0;
    QTest::newRow("cifar_vgg11") << "cifar_vgg11" << 3 << 32 << 0.25;
    QTest::newRow("resnet18 (7×7 stride-2 stem)") << "resnet18" << 3 << 32 << 0.25;
}

void TestBasis::surgeryOnOtherZooModels()
{
    QFETCH(QString, name);
    QFETCH(int, inChannels);
    QFETCH(int, size);
    QFETCH(double, width);
    const ModelSpec spec{name, 10, inChannels, size, width};
    auto model = models::createModel(spec);
    const ModelInfo before = models::describeModule(*model, spec);
    const auto reports = insertBasisConvs(*model, before, QStringLiteral("all"), makeSpec(0.5, 0.3, BasisForm::Pair, BasisInit::Qr));
    int convs = 0;
    for (const LayerInfo& l : before.layers)
        convs += l.type == QLatin1String("Conv2d") ? 1 : 0;
    QCOMPARE(reports.size(), convs);
    model->eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor x = torch::randn({2, inChannels, size, size});
    const torch::Tensor expected = model->forward(x);
    QCOMPARE(expected.sizes().vec(), (std::vector<int64_t>{2, 10}));
    QCOMPARE(composeBackAll(*model).layers.size(), convs);
    QVERIFY(maxAbs(model->forward(x) - expected) < 1e-4 * std::max(1.0, maxAbs(expected)));
    QCOMPARE(models::describeModule(*model, spec).totalParams, before.totalParams);
}

void TestBasis::costFormulasForLayer2_0_conv1()
{
    // cifar_resnet18 layer 6 = layer2.0.conv1: C_in 64, C_out 128, K 3, stride 2, output 16×16.
    // Size 0.5 → C' = 64; β = 0.3 → pairs = round(38.4) = 38, copies = 90. K²C = 576, WH = 256.
    const QVector<LayerCost> costs = basisCostModel({QStringLiteral("cifar_resnet18"), 10, 3, 32, 1.0}, 0.5, 0.3, false);
    const LayerCost& c = costs[5];
    QCOMPARE(c.index, 6);
    QCOMPARE(c.name, QStringLiteral("layer2.0.conv1"));
    QCOMPARE(c.cIn, qint64(64));
    QCOMPARE(c.cOut, qint64(128));
    QCOMPARE(c.outH, qint64(16));
    QCOMPARE(c.basisCount, qint64(64));
    QCOMPARE(c.pairs, qint64(38));
    QCOMPARE(c.copies, qint64(90));
    QCOMPARE(c.n0f, 18874368.0);                  // 576 · 256 · 128
    QCOMPARE(c.n0b, 18874368.0);
    QCOMPARE(c.n1f, 23592960.0);                  // 128 · 64 · 576 + 18874368
    QCOMPARE(c.n2f, 11534336.0);                  // 576 · 256 · 64 + 128 · 64 · 256
    QCOMPARE(c.n2b, 1207959552.0);                // 256 · 128 · 64 · 576
    QCOMPARE(c.n3f, 9479680.0);                   // 9437184 + 90 · 256 + 2 · 38 · 256
    QCOMPARE(c.n3b, 24477696.0);                  // 256 · 90 · 576 + 256 · 38 · 2 · 576
    QVERIFY(std::abs(c.predictedSpeedup - 37748736.0 / 33957376.0) < 1e-12);
    QVERIFY(std::abs(c.alpha - 0.5) < 1e-15);
    QVERIFY(std::abs(c.beta - 38.0 / 128.0) < 1e-15);
    QVERIFY(std::abs(c.conditionLhs - (38.0 / 128.0 * (1 + 1.0 / 576) + 0.5)) < 1e-12);
    QVERIFY(std::abs(c.conditionRhs - (1 - 1.0 / 576)) < 1e-12);
    QVERIFY(c.accelerates);
    QCOMPARE(c.paramsFull, qint64(73728));        // 128 · 576, no bias
    QCOMPARE(c.paramsWeight, qint64(45056));      // 64 · 576 + 64 · 128
    QCOMPARE(c.paramsOutput, qint64(45056));
    QCOMPARE(c.paramsPair, qint64(37030));        // 36864 + 90 + 2 · 38
    QCOMPARE(c.flopsConv, 37748736.0);            // 2 · N0f
    QCOMPARE(c.flopsWeight, 47185920.0);          // 2 · N'f
    QCOMPARE(c.flopsOutput, 23068672.0);          // 2 · N''f
    QCOMPARE(c.flopsPair, 18926592.0);            // 2 · 9437184 + 90 · 256 + 3 · 38 · 256
    QCOMPARE(c.secondsPair, -1.0);
    const QJsonObject json = toJson(c);
    QCOMPARE(json.value(QStringLiteral("n3b")).toDouble(), 24477696.0);
    QCOMPARE(json.value(QStringLiteral("name")).toString(), QStringLiteral("layer2.0.conv1"));
    // The paper's Δ'' form for the output composition: N''_f + N''_b − 2·N0 = N0·(C' + C'/C_out + C'/K²C − 2).
    QVERIFY(std::abs((c.n2f + c.n2b - 2 * c.n0f) - c.n0f * (64 + 64.0 / 128 + 64.0 / 576 - 2)) < 1e-3);
}

void TestBasis::accelerationConditionMatchesSpeedup()
{
    // Δ''' < 0 ⇔ β(1 + 1/K²C) + α < 1 − 1/K²C ⇔ predicted speed-up > 1, for every realisable (α, β).
    for (qint64 cIn : {3, 16, 64})
        for (qint64 k : {1, 3})
            for (double size : {0.1, 0.25, 0.5, 0.75, 1.0 - 1e-9})
                for (double beta : {0.0, 0.1, 0.3, 0.5, 0.9, 1.0}) {
                    const LayerCost c = predictLayerCost(cIn, 64, k, 8, 8, false, makeSpec(size, beta, BasisForm::Pair, BasisInit::Qr));
                    QCOMPARE(c.accelerates, c.predictedSpeedup > 1);
                }
}

void TestBasis::measuredCostModel()
{
    const QVector<LayerCost> costs = basisCostModel({QStringLiteral("cifar_resnet18"), 10, 1, 16, 0.125}, 0.25, 0.0, true, 4, 1);
    QCOMPARE(costs.size(), 20);
    for (const LayerCost& c : costs) {
        QVERIFY(c.secondsConv > 0 && c.secondsWeight > 0 && c.secondsOutput > 0 && c.secondsPair > 0);
        QVERIFY(std::abs(c.measuredOverPredicted - c.secondsConv / c.secondsPair / c.predictedSpeedup) < 1e-9);
    }
}

void TestBasis::badInputGivesOneSentence()
{
    const ModelSpec spec{QStringLiteral("cifar_resnet18"), 10, 3, 32, 0.25};
    auto model = models::createModel(spec);
    const ModelInfo info = models::describeModule(*model, spec);
    nn::Conv2d conv(convOptions(8, 16, 3, 1, 1, 1, false));
    auto basisError = [&](double size, double beta, BasisForm form) {
        return errorOf([&] { BasisConv2d layer(conv, makeSpec(size, beta, form, BasisInit::Qr), "layer1.0.conv1"); });
    };
    const QString sizeZero = basisError(0, 0, BasisForm::Weight);
    const QString sizeNegative = basisError(-0.5, 0, BasisForm::Output);
    const QString sizeTooLarge = basisError(17, 0, BasisForm::Weight);
    const QString sizeNotWhole = basisError(2.5, 0, BasisForm::Weight);
    const QString betaNegative = basisError(0.5, -0.1, BasisForm::Pair);
    const QString betaAboveOne = basisError(0.5, 1.5, BasisForm::Pair);
    const QString pairNeedsTwo = basisError(1, 0.3, BasisForm::Pair);
    QVERIFY(sizeZero.contains(QStringLiteral("basis size")));
    QVERIFY(sizeNegative.contains(QStringLiteral("basis size")));
    QVERIFY(sizeTooLarge.contains(QStringLiteral("larger than the 16 output channels of layer layer1.0.conv1")));
    QVERIFY(sizeNotWhole.contains(QStringLiteral("whole number")));
    QVERIFY(betaNegative.contains(QStringLiteral("[0, 1]")));
    QVERIFY(betaAboveOne.contains(QStringLiteral("[0, 1]")));
    QVERIFY(pairNeedsTwo.contains(QStringLiteral("a pair needs two")));
    QVERIFY(basisError(1, 0.0, BasisForm::Pair).isEmpty()); // one filter, only copies: realisable
    QVERIFY(basisError(1, 0.3, BasisForm::Weight).isEmpty()); // β does not concern the weight form
    QVERIFY(basisError(16, 1.0, BasisForm::Pair).isEmpty());  // α + β = 2: no speed-up, but realisable

    const BasisSpec ok = makeSpec(0.5, 0.3, BasisForm::Pair, BasisInit::Qr);
    const QString noLayer = errorOf([&] { insertBasisConvs(*model, info, QVector<int>{25}, ok); });
    const QString notConv = errorOf([&] { insertBasisConvs(*model, info, QVector<int>{3, 21}, ok); });
    const QString noName = errorOf([&] { insertBasisConvs(*model, info, QStringLiteral("layer9.0.conv1"), ok); });
    const QString linearByName = errorOf([&] { insertBasisConvs(*model, info, QStringLiteral("fc"), ok); });
    const QString badSpec = errorOf([&] { insertBasisConvs(*model, info, QStringLiteral("1-3"), makeSpec(0.5, 2, BasisForm::Pair, BasisInit::Qr)); });
    QVERIFY(noLayer.contains(QStringLiteral("no layer 25")));
    QVERIFY(notConv.contains(QStringLiteral("layer 21 (fc) is a Linear, not a Conv2d")));
    QVERIFY(noName.contains(QStringLiteral("layer9.0.conv1")));
    QVERIFY(linearByName.contains(QStringLiteral("not a Conv2d")));
    QVERIFY(badSpec.contains(QStringLiteral("[0, 1]")));
    // A failed call leaves the model untouched (layer 3 was valid but is not replaced).
    QCOMPARE(models::describeModule(*model, spec).layers[2].type, QStringLiteral("Conv2d"));
    insertBasisConvs(*model, info, QStringLiteral("layer1.0.conv1"), ok);
    const QString twice = errorOf([&] { insertBasisConvs(*model, info, QVector<int>{2}, ok); });
    QVERIFY(twice.contains(QStringLiteral("already a basis convolution")));

    const QString badForm = errorOf([] { parseForm(QStringLiteral("sparse")); });
    const QString badInit = errorOf([] { parseInit(QStringLiteral("pca")); });
    const QString badSize = errorOf([] { parseSize(QStringLiteral("half")); });
    const QString costError = errorOf([] { basisCostModel({QStringLiteral("cifar_resnet18"), 10, 3, 32, 0.25}, 32, 0, false); });
    QVERIFY(badForm.contains(QStringLiteral("weight, output, pair")));
    QVERIFY(badInit.contains(QStringLiteral("random, qr, svd")));
    QVERIFY(costError.contains(QStringLiteral("larger than the 16 output channels of layer conv1")));
    for (const QString& m : {sizeZero, sizeNegative, sizeTooLarge, sizeNotWhole, betaNegative, betaAboveOne, pairNeedsTwo, noLayer,
                             notConv, noName, linearByName, badSpec, twice, badForm, badInit, badSize, costError})
        QVERIFY2(isOneSentence(m), qPrintable(QStringLiteral("not one sentence: '%1'").arg(m)));
}

QTEST_GUILESS_MAIN(TestBasis)
#include "test_basis.moc"

// Tests of the RON student (paper B Algorithm 1, eqs. 14–16): conv rows, BatchNorm folding, the max-pool and
// residual paths, streaming statistics, save/load, and the range checks.
#include <cmath>

#if __has_include(<Eigen/Dense>)
#include <Eigen/Dense>
#else
#include <eigen3/Eigen/Dense>
#endif

#include <QTemporaryDir>
#include <QtTest>

#include "core/error.h"
#include "core/io/weights.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/ron/activation_stream.h"
#include "core/ron/rect_maxvol.h"
#include "core/ron/student_builder.h"

using namespace ranklab;
using namespace ranklab::ron;

namespace {

struct Built {
    std::shared_ptr<TeacherChain> chain;
    std::shared_ptr<RonStudent> student;
    std::vector<StageConfig> configs;
    int first = 0, last = 0;
};

data::TensorDataset randomImages(int64_t n, int channels, int size, uint64_t seed)
{
    torch::manual_seed(seed);
    data::TensorDataset d;
    d.images = torch::randint(0, 256, {n, channels, size, size}, torch::kLong).to(torch::kUInt8).contiguous();
    d.labels = torch::zeros({n}, torch::kLong);
    for (int c = 0; c < 10; ++c)
        d.classNames << QString::number(c);
    return d;
}

Normalization unitNorm(int channels)
{
    return {QVector<double>(channels, 0.5), QVector<double>(channels, 0.25)};
}

/// Non-trivial BatchNorm statistics and affine parameters (eval mode), so that folding is really exercised.
void randomizeBatchNorm(nn::BatchNorm& bn)
{
    torch::NoGradGuard noGrad;
    bn.running_mean.uniform_(-1, 1);
    bn.running_var.uniform_(0.3, 3);
    bn.weight.uniform_(-2, 2);
    bn.bias.uniform_(-1, 1);
    bn.eval();
}

/// A zoo model scaled down for the tests: `inputSize`² single-channel input, width multiplier `width`.
ModelSpec smallSpec(const char* name, int inputSize, double width)
{
    ModelSpec spec = defaultModelSpec(QString::fromLatin1(name));
    spec.inChannels = 1;
    spec.inputSize = inputSize;
    spec.width = width;
    return spec;
}

std::shared_ptr<TeacherChain> chainOf(const ModelSpec& spec, uint64_t seed)
{
    torch::manual_seed(seed);
    auto model = models::createModel(spec);
    model->eval();
    {
        // Non-trivial BatchNorm statistics so that folding is really exercised.
        torch::NoGradGuard noGrad;
        for (auto& m : model->modules(false))
            if (auto* bn = dynamic_cast<nn::BatchNorm*>(m.get())) {
                bn->running_mean.uniform_(-0.2, 0.2);
                bn->running_var.uniform_(0.5, 2.0);
                bn->weight.uniform_(0.5, 1.5);
                bn->bias.uniform_(-0.1, 0.1);
            }
    }
    return std::make_shared<TeacherChain>(model, models::describeModule(*model, spec));
}

/// Streams N samples, takes V of numerical rank (σ > 1e-5 σ_1, or a forced rank), rect_maxvol rows with
/// P = 1.5R, and builds the student of `range`.
Built buildFor(const std::shared_ptr<TeacherChain>& chain, const QString& range, int64_t N, bool fullRank)
{
    Built b;
    b.chain = chain;
    std::tie(b.first, b.last) = chain->resolveUnitRange(range);
    std::vector<std::pair<int, bool>> wanted;
    for (int u = b.first; u <= b.last; ++u) {
        if (chain->units()[size_t(u)].block)
            wanted.emplace_back(u, true);
        wanted.emplace_back(u, false);
    }
    const auto points = makeCapturePoints(*chain, wanted);
    const ModelSpec& spec = chain->info().spec;
    const data::TensorDataset images = randomImages(N, spec.inChannels, spec.inputSize, 7);
    StreamOptions options;
    options.method = SketchMethod::Gram;
    options.samples = N;
    options.batchSize = 64;
    const auto streamed = streamActivations(*chain, points, images, unitNorm(spec.inChannels), spec.inChannels, options, {}, nullptr);
    std::vector<SampledBasis> outer, inner;
    for (int u = b.first; u <= b.last; ++u) {
        inner.emplace_back();
        for (size_t i = 0; i < points.size(); ++i) {
            if (points[i].unit != u)
                continue;
            const Eigen::VectorXd& s = streamed[i].spectrum.singularValues;
            Eigen::Index R = 0;
            while (R < s.size() && s(R) > 1e-5 * s(0))
                ++R;
            if (fullRank)
                R = points[i].dim;
            SampledBasis basis;
            basis.V = streamed[i].spectrum.V.leftCols(R);
            const RectMaxvolResult mv = rectMaxvolForRatio(basis.V, 1.5);
            basis.rows.assign(mv.rows.begin(), mv.rows.end());
            basis.C = mv.C;
            (points[i].inner ? inner.back() : (outer.emplace_back(), outer.back())) = basis;
        }
    }
    b.student = buildStudent(chain, b.first, b.last, outer, inner, &b.configs);
    return b;
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>();
}

} // namespace

class TestRonStudent final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void convRowsEqualConvOutputs_data()
    {
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("padding");
        QTest::addColumn<int>("groups");
        QTest::addColumn<bool>("withBn");
        QTest::newRow("3x3 pad 1") << 1 << 1 << 1 << false;
        QTest::newRow("3x3 stride 2 + BN") << 2 << 1 << 1 << true;
        QTest::newRow("valid, 2 groups + BN") << 1 << 0 << 2 << true;
    }
    void convRowsEqualConvOutputs()
    {
        QFETCH(int, stride);
        QFETCH(int, padding);
        QFETCH(int, groups);
        QFETCH(bool, withBn);
        torch::manual_seed(3);
        nn::Conv2d conv({4, 6, 3, stride, padding, 1, groups, true});
        nn::BatchNorm bn(6);
        randomizeBatchNorm(bn);
        const auto x = torch::randn({1, 4, 7, 7});
        torch::NoGradGuard noGrad;
        auto y = conv.forward(x);
        if (withBn)
            y = bn.forward(y);
        const std::vector<int64_t> outShape(y.sizes().begin() + 1, y.sizes().end());
        const std::vector<int64_t> rows{0, 5, int64_t(y.numel() / 2), y.numel() - 1, 17};
        const DenseRows d = convRows(conv, {4, 7, 7}, outShape, rows, withBn ? &bn : nullptr);
        QCOMPARE(d.W.cols(), Eigen::Index(4 * 7 * 7));
        const auto xf = x.flatten().to(torch::kDouble).contiguous();
        const Eigen::Map<const Eigen::VectorXd> xv(xf.data_ptr<double>(), xf.numel());
        const Eigen::VectorXd got = d.W * xv + d.b;
        const auto yf = y.flatten();
        for (size_t r = 0; r < rows.size(); ++r)
            QVERIFY2(std::abs(got(Eigen::Index(r)) - yf[rows[r]].item<double>()) < 1e-4,
                     qPrintable(QStringLiteral("row %1: %2 vs %3").arg(rows[r]).arg(got(Eigen::Index(r))).arg(yf[rows[r]].item<double>())));
    }

    void batchNormFoldingIsExactForLinear()
    {
        torch::manual_seed(4);
        nn::Linear fc(5, 8);
        nn::BatchNorm bn(8, false);
        randomizeBatchNorm(bn);
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({1, 5});
        const auto y = bn.forward(fc.forward(x)).flatten();
        const DenseRows d = linearRows(fc, {7, 2, 0}, &bn);
        const auto xd = x.flatten().to(torch::kDouble).contiguous();
        const Eigen::VectorXd got = d.W * Eigen::Map<const Eigen::VectorXd>(xd.data_ptr<double>(), 5) + d.b;
        QVERIFY(std::abs(got(0) - y[7].item<double>()) < 1e-5);
        QVERIFY(std::abs(got(1) - y[2].item<double>()) < 1e-5);
        QVERIFY(std::abs(got(2) - y[0].item<double>()) < 1e-5);
    }

    void mlpWithLowRankActivationsIsReproduced()
    {
        // LeNet-300-100 (scaled) whose hidden layers repeat 4 distinct neurons: the activations of fc1 and
        // fc2 are exactly of rank 4 for every input, so the student of fc1..fc2 must equal the teacher.
        const ModelSpec spec = smallSpec("lenet300", 8, 0.2); // 60 and 20 hidden units
        auto chain = chainOf(spec, 11);
        {
            torch::NoGradGuard noGrad;
            for (const char* name : {"fc1", "fc2"}) {
                auto& fc = static_cast<nn::Linear&>(*models::findLayer(*chain->model(), name));
                for (int64_t i = 4; i < fc.outFeatures(); ++i) {
                    fc.weight[i].copy_(fc.weight[i % 4]);
                    fc.bias[i].copy_(fc.bias[i % 4]);
                }
            }
        }
        const Built b = buildFor(chain, QStringLiteral("1-2"), 200, false);
        QCOMPARE(b.configs.size(), size_t(2));
        QCOMPARE(b.configs[0].out, int64_t(6)); // R = 4 found from the spectrum, P = 1.5 R
        QCOMPARE(b.configs[1].out, int64_t(6));
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({32, 1, 8, 8});
        const auto teacher = chain->model()->forward(x);
        const auto student = b.student->forward(x);
        QVERIFY2(maxAbsDiff(teacher, student) < 1e-4, qPrintable(QString::number(maxAbsDiff(teacher, student))));
        // The student really is smaller: its first layer reads 64 inputs into 6 rows instead of 60.
        QCOMPARE(b.student->reduced()->stages[0]->fc->weight.size(0), int64_t(6));
    }

    void maxPoolPathIsExactForLowRankActivations()
    {
        // LeNet5 (scaled) on 12×12: conv1 → ReLU → 2×2 pool, conv2 → ReLU → pool. conv1's three filters are
        // equal, so its pooled output (3 × 6 × 6) has rank 36 of 108; the student samples 4× rows and pools
        // after sampling (paper B §4.2).
        const ModelSpec spec = smallSpec("lenet5", 12, 0.5); // 3 and 8 channels
        auto chain = chainOf(spec, 12);
        {
            torch::NoGradGuard noGrad;
            auto& conv1 = static_cast<nn::Conv2d&>(*models::findLayer(*chain->model(), "conv1"));
            for (int c : {1, 2}) {
                conv1.weight[c].copy_(conv1.weight[0]);
                conv1.bias[c].copy_(conv1.bias[0]);
            }
        }
        const Built b = buildFor(chain, QStringLiteral("conv1-conv2"), 400, false);
        QCOMPARE(b.configs[0].group, 4);
        QCOMPARE(b.configs[0].out, int64_t(54)); // R = 36 of D = 108, P = 1.5 R
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({16, 1, 12, 12});
        const auto teacher = chain->model()->forward(x);
        const auto student = b.student->forward(x);
        QVERIFY2(maxAbsDiff(teacher, student) < 1e-4, qPrintable(QString::number(maxAbsDiff(teacher, student))));
    }

    void residualBlocksFollowEquations15And16()
    {
        // cifar_resnet18 at width 1/16 on 8×8: layer3.1 (identity shortcut, first unit: sampled input),
        // layer4.0 (downsample shortcut), layer4.1. With full-rank bases the student must equal the teacher.
        const ModelSpec spec = smallSpec("cifar_resnet18", 8, 0.0625);
        auto chain = chainOf(spec, 13);
        const Built b = buildFor(chain, QStringLiteral("layer3.1-layer4.1"), 300, true);
        QCOMPARE(b.configs.size(), size_t(3));
        QVERIFY(b.configs[0].residual && b.configs[1].residual && b.configs[2].residual);
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({8, 1, 8, 8});
        const auto teacher = chain->model()->forward(x);
        const auto student = b.student->forward(x);
        // Measured ≈ 1e-7 (float32 rounding of the composed maps); 1e-4 leaves room for other BLAS kernels.
        QVERIFY2(maxAbsDiff(teacher, student) < 1e-4 * std::max(1.0, teacher.abs().max().item<double>()),
                 qPrintable(QString::number(maxAbsDiff(teacher, student))));
    }

    void rangesThatCutBlocksOrAreNotContiguousAreRefused()
    {
        const ModelSpec spec = smallSpec("cifar_resnet18", 8, 0.0625);
        auto chain = chainOf(spec, 14);
        // Registry: 1 conv1, 2-3 layer1.0, 4-5 layer1.1, 6-8 layer2.0 (conv1, conv2, downsample), ...
        QVERIFY(chain->resolveUnitRange(QStringLiteral("6-8")) == std::make_pair(3, 3));
        try {
            chain->resolveUnitRange(QStringLiteral("7-8"));
            QFAIL("a range starting at a block's conv2 was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("cuts the residual block layer2.0")), e.what());
        }
        QVERIFY_EXCEPTION_THROWN(chain->resolveUnitRange(QStringLiteral("6-7")), Error);
        QVERIFY_EXCEPTION_THROWN(chain->resolveUnitRange(QStringLiteral("2,4")), Error);
        QVERIFY_EXCEPTION_THROWN(chain->resolveUnitRange(QStringLiteral("8-6")), Error);
    }

    void streamingEqualsTheGramOfTheExplicitMatrix()
    {
        const ModelSpec spec = smallSpec("lenet300", 8, 0.1); // 30 hidden units
        auto chain = chainOf(spec, 15);
        const auto points = makeCapturePoints(*chain, {{0, false}});
        QCOMPARE(points[0].dim, int64_t(30));
        const data::TensorDataset images = randomImages(50, 1, 8, 16);
        StreamOptions options;
        options.method = SketchMethod::Gram;
        options.samples = 50;
        options.batchSize = 16; // 4 batches, the last one short
        const auto streamed = streamActivations(*chain, points, images, unitNorm(1), 1, options, {}, nullptr);
        // The explicit 50 × 30 matrix, in the stream's sample order (irrelevant for Z^T Z).
        torch::NoGradGuard noGrad;
        data::BatchLoader all(images, unitNorm(1), 1, 50, false, false, 0, 0);
        torch::Tensor x, y;
        QVERIFY(all.next(x, y));
        const auto z = chain->run(x, 0, chain->units()[0].lastOp + 1).to(torch::kDouble).contiguous();
        const Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>> Z(z.data_ptr<double>(), 50, 30);
        const Eigen::JacobiSVD<Eigen::MatrixXd> svd(Z);
        const Eigen::VectorXd& s = streamed[0].spectrum.singularValues;
        for (int i = 0; i < 30; ++i)
            QVERIFY2(std::abs(s(i) - svd.singularValues()(i)) < 1e-4 * svd.singularValues()(0),
                     qPrintable(QStringLiteral("σ_%1 %2 vs %3").arg(i).arg(s(i)).arg(svd.singularValues()(i))));
        QVERIFY(std::abs(streamed[0].frobenius2 - Z.squaredNorm()) < 1e-6 * Z.squaredNorm());
        QCOMPARE(streamed[0].spectrum.samples, int64_t(50));
    }

    void nanActivationsAreReportedByLayer()
    {
        const ModelSpec spec = smallSpec("lenet300", 8, 0.1);
        auto chain = chainOf(spec, 17);
        {
            torch::NoGradGuard noGrad;
            static_cast<nn::Linear&>(*models::findLayer(*chain->model(), "fc2")).weight[0][0] = NAN;
        }
        const auto points = makeCapturePoints(*chain, {{1, false}});
        const data::TensorDataset images = randomImages(20, 1, 8, 18);
        StreamOptions options;
        options.samples = 20;
        try {
            streamActivations(*chain, points, images, unitNorm(1), 1, options, {}, nullptr);
            QFAIL("NaN activations were accepted");
        } catch (const Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("fc2")) && QString::fromUtf8(e.what()).contains(QStringLiteral("NaN")), e.what());
        }
    }

    void studentSavesAndLoadsLikeAModel()
    {
        const ModelSpec spec = smallSpec("lenet5", 12, 0.5);
        auto chain = chainOf(spec, 19);
        const Built b = buildFor(chain, QStringLiteral("2-3"), 200, false);
        const QJsonObject structure = studentStructureJson(spec, 2, 3, b.configs, b.student->reduced()->outShape());
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("student.rlk"));
        saveStudent(*b.student, structure, path);
        auto loaded = createModelForWeights(spec, path);
        QVERIFY(dynamic_cast<RonStudent*>(loaded.get()));
        io::loadWeights(*loaded, path);
        loaded->eval();
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({4, 1, 12, 12});
        QCOMPARE(maxAbsDiff(loaded->forward(x), b.student->forward(x)), 0.0);
        // The parameters outside the range keep the teacher's names.
        bool hasConv1 = false;
        for (const auto& p : loaded->named_parameters())
            hasConv1 = hasConv1 || p.key() == "conv1.weight";
        QVERIFY(hasConv1);
        // A different architecture is refused by name.
        ModelSpec other = spec;
        other.width = 1;
        QVERIFY_EXCEPTION_THROWN(createModelForWeights(other, path), Error);
    }
};

QTEST_GUILESS_MAIN(TestRonStudent)
#include "test_ron_student.moc"

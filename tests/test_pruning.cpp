// L1-norm filter pruning (Li et al. 2016), the channel-pruning baseline of paper B Table 4, and the channel
// plan that lets pruned weights load like any other.
#include <QtTest>

#include <QTemporaryDir>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/weights.h"
#include "core/models/channel_plan.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/prune/pruning.h"
#include "core/train/evaluate.h"
#include "core/train/trainer.h"

using namespace ranklab;

namespace {
ModelSpec smallSpec(const char* name, double width)
{
    ModelSpec spec = defaultModelSpec(QString::fromLatin1(name));
    spec.width = width;
    spec.inChannels = 1;
    spec.inputSize = name[0] == 'l' ? 28 : 32;
    spec.numClasses = 10;
    return spec;
}

/// Gives BatchNorms non-trivial statistics so that equivalence checks are not vacuous.
void randomiseNorms(nn::Layer& model)
{
    torch::NoGradGuard noGrad;
    for (const auto& m : model.modules(false))
        if (auto* bn = dynamic_cast<nn::BatchNorm*>(m.get())) {
            bn->weight.uniform_(0.5, 1.5);
            bn->bias.uniform_(-0.2, 0.2);
            bn->running_mean.uniform_(-0.1, 0.1);
            bn->running_var.uniform_(0.5, 2);
        }
}
} // namespace

class TestPruning final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void prunableConvsFollowLiEtAl();
    void removingSilentFiltersKeepsTheOutput_data();
    void removingSilentFiltersKeepsTheOutput();
    void channelPlanRebuildsThePrunedShape();
    void pruneTrainedLeNet5EndToEnd();
    void badInputWritesNothing();
};

void TestPruning::prunableConvsFollowLiEtAl()
{
    auto resnet = models::createModel(smallSpec("cifar_resnet18", 0.125));
    const auto r = models::prunableConvs(*resnet);
    QCOMPARE(int(r.size()), 8); // the first conv of each of the 8 basic blocks; never one feeding a sum
    for (const auto& p : r) {
        QVERIFY(QString::fromStdString(p.conv).endsWith(".conv1"));
        QVERIFY(QString::fromStdString(p.consumer).endsWith(".conv2"));
    }
    auto vgg = models::createModel(smallSpec("cifar_vgg11", 0.125));
    const auto v = models::prunableConvs(*vgg);
    QCOMPARE(int(v.size()), 8); // every conv of VGG-11
    QCOMPARE(QString::fromStdString(v.back().consumer), QStringLiteral("classifier"));
    QVERIFY(v.back().consumerIsLinear);
    QVERIFY(!v.front().batchNorm.empty());
    auto mlp = models::createModel(smallSpec("lenet300", 1));
    QVERIFY(models::prunableConvs(*mlp).empty());
    // MobileNetV2: only the last 1×1 conv (into the classifier through the pool); the others say why not.
    auto mobile = models::createModel(smallSpec("mobilenet_v2", 0.25));
    const auto m = models::prunableConvs(*mobile);
    QCOMPARE(int(m.size()), 1);
    QCOMPARE(QString::fromStdString(m[0].conv), QStringLiteral("features.18.0"));
    QCOMPARE(QString::fromStdString(m[0].consumer), QStringLiteral("classifier.1"));
    QVERIFY(models::notPrunableReason(*mobile, "features.2.conv.1.0").contains("depthwise convolution (groups = 48)"));
    QVERIFY(models::notPrunableReason(*mobile, "features.2.conv.0.0").contains("feeds a depthwise convolution"));
    QVERIFY(models::notPrunableReason(*resnet, "layer1.0.conv2").contains("residual sum"));
}

void TestPruning::removingSilentFiltersKeepsTheOutput_data()
{
    QTest::addColumn<QString>("model");
    QTest::newRow("cifar_vgg11 (BN, flatten into the classifier)") << "cifar_vgg11";
    QTest::newRow("vgg11 (torchvision head)") << "vgg11";
    QTest::newRow("lenet5") << "lenet5";
    QTest::newRow("cifar_resnet18 (block-internal convs)") << "cifar_resnet18";
    QTest::newRow("mobilenet_v2 (last 1×1 conv into the classifier)") << "mobilenet_v2";
}

void TestPruning::removingSilentFiltersKeepsTheOutput()
{
    // A filter whose output is exactly zero after its BatchNorm and ReLU contributes nothing downstream:
    // removing it (and the consumer's matching inputs) must leave the network's output unchanged.
    QFETCH(QString, model);
    torch::manual_seed(7);
    ModelSpec spec = smallSpec(model.toLatin1().constData(), model == "lenet5" ? 1 : 0.125);
    if (model == "vgg11")
        spec.inputSize = 32;
    auto net = models::createModel(spec);
    randomiseNorms(*net);
    net->eval();
    const auto prunable = models::prunableConvs(*net);
    QVERIFY(!prunable.empty());
    std::vector<torch::Tensor> keeps;
    {
        torch::NoGradGuard noGrad;
        for (const auto& p : prunable) {
            auto conv = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*net, p.conv));
            const int64_t c = conv->options().outChannels;
            const auto silent = torch::arange(0, c, 3, torch::kLong); // every third filter falls silent
            conv->weight.index_fill_(0, silent, 0);
            if (conv->bias.defined())
                conv->bias.index_fill_(0, silent, 0);
            if (!p.batchNorm.empty()) {
                auto bn = std::dynamic_pointer_cast<nn::BatchNorm>(models::findLayer(*net, p.batchNorm));
                bn->weight.index_fill_(0, silent, 0);
                bn->bias.index_fill_(0, silent, 0);
            }
            std::vector<int64_t> keep;
            for (int64_t i = 0; i < c; ++i)
                if (i % 3 != 0)
                    keep.push_back(i);
            keeps.push_back(torch::tensor(keep, torch::kLong));
        }
    }
    const auto x = torch::randn({4, spec.inChannels, spec.inputSize, spec.inputSize});
    torch::Tensor before, after;
    {
        torch::NoGradGuard noGrad;
        before = net->forward(x);
    }
    int64_t paramsBefore = 0, paramsAfter = 0;
    for (const auto& p : net->parameters())
        paramsBefore += p.numel();
    for (size_t i = 0; i < prunable.size(); ++i)
        models::keepOutputChannels(*net, prunable[i], keeps[i]);
    for (const auto& p : net->parameters())
        paramsAfter += p.numel();
    {
        torch::NoGradGuard noGrad;
        after = net->forward(x);
    }
    QVERIFY(paramsAfter < paramsBefore);
    const double diff = (after - before).abs().max().item<double>();
    QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("max |difference| %1").arg(diff)));
}

void TestPruning::channelPlanRebuildsThePrunedShape()
{
    ModelSpec spec = smallSpec("cifar_vgg11", 0.25);
    auto net = models::createModel(spec);
    const auto reference = models::createArchitecture(spec);
    const auto prunable = models::prunableConvs(*net);
    models::keepOutputChannels(*net, prunable[1], torch::tensor(std::vector<int64_t>{0, 5, 9}, torch::kLong));
    models::keepOutputChannels(*net, prunable.back(), torch::arange(7, torch::kLong));
    const QString plan = models::channelPlanOf(*net, *reference);
    QCOMPARE(plan, QStringLiteral("features.4=3,features.25=7"));
    spec.channels = plan;
    auto rebuilt = models::createModel(spec);
    // The rebuilt model takes the pruned weights strictly (every name and shape equal).
    io::loadStateDict(*rebuilt, io::moduleStateDict(*net), QStringLiteral("pruned"));
    const auto x = torch::randn({2, 1, 32, 32});
    net->eval();
    rebuilt->eval();
    torch::NoGradGuard noGrad;
    QVERIFY(torch::allclose(net->forward(x), rebuilt->forward(x)));
    // Bad plans: one sentence each.
    ModelSpec bad = smallSpec("cifar_vgg11", 0.25);
    bad.channels = QStringLiteral("features.1=3"); // a BatchNorm, not a prunable conv
    QVERIFY_THROWS_EXCEPTION(Error, models::createModel(bad));
    bad.channels = QStringLiteral("features.4=9999");
    QVERIFY_THROWS_EXCEPTION(Error, models::createModel(bad));
    bad.channels = QStringLiteral("features.4");
    QVERIFY_THROWS_EXCEPTION(Error, models::createModel(bad));
}

void TestPruning::pruneTrainedLeNet5EndToEnd()
{
    QTemporaryDir dir;
    TrainParams train;
    train.model = defaultModelSpec(QStringLiteral("lenet5"));
    train.model.inChannels = 0;
    train.model.inputSize = 0;
    train.data.subset = 600;
    train.data.testSubset = 300;
    train.epochs = 2;
    train.lr = 0.05;
    train.threads = 1;
    const TrainSummary trained = runTraining(train, dir.filePath("trained"), false);
    QCOMPARE(trained.status, QStringLiteral("completed"));

    prune::PruneParams p;
    p.train = train;
    p.train.initWeights = trained.weightsPath;
    p.train.lr = 0.01;
    p.ratio = 0.5;
    p.finetuneEpochs = 1;
    const prune::PruneReport report = prune::runPrune(p, dir.filePath("pruned"), false);
    QCOMPARE(report.status, QStringLiteral("completed"));
    QCOMPARE(report.channels, QStringLiteral("conv1=3,conv2=8"));
    QVERIFY(report.paramsAfter < report.paramsBefore);
    QVERIFY(report.flopsAfter < 0.6 * report.flopsBefore);
    QVERIFY(qAbs(report.top1Before - trained.finalTestTop1) < 1e-9);
    // report.json reads back as the report that was returned.
    const prune::PruneReport stored = prune::pruneReportFromJson(io::readJsonObject(dir.filePath("pruned/report.json")));
    QCOMPARE(stored.channels, report.channels);
    QCOMPARE(stored.layers.size(), report.layers.size());
    QCOMPARE(stored.layers.first().after, report.layers.first().after);
    QCOMPARE(stored.top1Finetuned, report.top1Finetuned);

    // The kept filters are the ones with the largest L1 norms of the trained conv1.
    auto original = models::createModel(smallSpec("lenet5", 1));
    io::loadWeights(*original, trained.weightsPath);
    const auto norms = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*original, "conv1"))->weight.abs().sum({1, 2, 3});
    const auto largest = std::get<0>(std::get<1>(norms.topk(3)).sort());
    auto pruned = models::createModel(smallSpec("lenet5", 1)); // unpruned spec: the file's plan narrows it
    io::loadWeights(*pruned, dir.filePath("pruned/pruned.rlk"));
    const auto kept = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*pruned, "conv1"))->weight;
    const auto expected = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*original, "conv1"))->weight.index_select(0, largest);
    QVERIFY(torch::equal(kept, expected));

    // The fine-tuned weights are what the report names, and `eval` of them gives the reported accuracy.
    EvalParams eval;
    eval.model = train.model;
    eval.data = train.data;
    eval.threads = 1;
    eval.weights = report.weights;
    QVERIFY(eval.weights.endsWith("finetune/model.rlk"));
    QVERIFY(qAbs(evaluateWeights(eval).top1 - report.top1Finetuned) < 1e-9);
    // Re-running without --resume is refused; with it, nothing is redone and the report comes back.
    QVERIFY_THROWS_EXCEPTION(Error, prune::runPrune(p, dir.filePath("pruned"), false));
    QCOMPARE(prune::runPrune(p, dir.filePath("pruned"), true).top1Finetuned, report.top1Finetuned);
}

void TestPruning::badInputWritesNothing()
{
    QTemporaryDir dir;
    auto message = [&dir](const prune::PruneParams& p) {
        try {
            prune::runPrune(p, dir.filePath("out"), false);
        } catch (const Error& e) {
            return QString::fromUtf8(e.what());
        }
        return QString();
    };
    prune::PruneParams p;
    p.train.model = smallSpec("cifar_resnet18", 0.125);
    p.train.data.subset = 100;
    p.train.data.testSubset = 100;
    p.train.initWeights = dir.filePath("missing.rlk");
    QVERIFY(message(p).contains("missing.rlk"));
    // Weights of another width: the strict loader names the mismatch.
    auto other = models::createModel(smallSpec("cifar_resnet18", 0.25));
    io::exportStateDict(*other, dir.filePath("wide.pth"));
    p.train.initWeights = dir.filePath("wide.pth");
    QVERIFY(message(p).contains("does not fit"));
    auto right = models::createModel(p.train.model);
    io::exportStateDict(*right, dir.filePath("right.pth"));
    p.train.initWeights = dir.filePath("right.pth");
    p.layers = QStringLiteral("layer1.0.conv2"); // feeds the residual sum
    QVERIFY(message(p).contains("residual"));
    p.layers = QStringLiteral("all");
    p.ratio = 1;
    QVERIFY(message(p).contains("ratio"));
    QVERIFY(!QFile::exists(dir.filePath("out")));
}

QTEST_GUILESS_MAIN(TestPruning)
#include "test_pruning.moc"

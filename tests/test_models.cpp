// The model zoo, the layer registry and module surgery.
#include <QtTest>

#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include "core/error.h"
#include "core/io/weights.h"
#include "core/models/layers.h"
#include "core/models/registry.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"

using namespace ranklab;

class TestModels final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cifarResnet18RegistryIsPaperAAppendixB();
    void parameterCountsEqualTorchvision_data();
    void parameterCountsEqualTorchvision();
    void registryShapesAndFlops();
    void everyZooModelRunsForward_data();
    void everyZooModelRunsForward();
    void widthMultiplierScalesChannels();
    void badOptionsGiveClearErrors();
    void inputSizeLimitsFollowTheArchitecture_data();
    void inputSizeLimitsFollowTheArchitecture();
    void footprintEstimateCountsEveryParameter_data();
    void footprintEstimateCountsEveryParameter();
    void modelTooLargeForMemoryIsRefusedBeforeAllocating();
    void surgeryReplacesAndRestores();
    void layerSelection();
    void batchNormCumulativeAverage();
    void resnet50IsTorchvisions();
    void mobilenetV2RegistryMarksDepthwiseConvs();
    void stateDictsFromTorchvisionGiveItsLogits();
};

void TestModels::cifarResnet18RegistryIsPaperAAppendixB()
{
    const QStringList expected = {"conv1",           "layer1.0.conv1", "layer1.0.conv2",        "layer1.1.conv1",
                                  "layer1.1.conv2",  "layer2.0.conv1", "layer2.0.conv2",        "layer2.0.downsample.0",
                                  "layer2.1.conv1",  "layer2.1.conv2", "layer3.0.conv1",        "layer3.0.conv2",
                                  "layer3.0.downsample.0", "layer3.1.conv1", "layer3.1.conv2", "layer4.0.conv1",
                                  "layer4.0.conv2",  "layer4.0.downsample.0", "layer4.1.conv1", "layer4.1.conv2"};
    const ModelInfo info = describeModel({QStringLiteral("cifar_resnet18"), 10, 3, 32, 1.0});
    QStringList convs;
    for (const LayerInfo& l : info.layers)
        if (l.type == QLatin1String("Conv2d")) {
            convs << l.name;
            QCOMPARE(l.index, int(convs.size())); // convs come first, numbered 1..20
        }
    QCOMPARE(convs, expected);
    QCOMPARE(info.layers.size(), 21);
    QCOMPARE(info.layers.last().name, QStringLiteral("fc"));
}

void TestModels::parameterCountsEqualTorchvision_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("classes");
    QTest::addColumn<int>("size");
    QTest::addColumn<qint64>("params");
    // Counted with torchvision 0.14 (weights=None); cifar_resnet18 = resnet18 with a 3×3 stem, 10 classes.
    QTest::newRow("resnet18") << "resnet18" << 1000 << 224 << qint64(11689512);
    QTest::newRow("resnet34") << "resnet34" << 1000 << 224 << qint64(21797672);
    QTest::newRow("resnet50") << "resnet50" << 1000 << 224 << qint64(25557032);
    QTest::newRow("mobilenet_v2") << "mobilenet_v2" << 1000 << 224 << qint64(3504872);
    QTest::newRow("vgg11") << "vgg11" << 1000 << 224 << qint64(132863336);
    QTest::newRow("vgg11_bn") << "vgg11_bn" << 1000 << 224 << qint64(132868840);
    QTest::newRow("vgg16") << "vgg16" << 1000 << 224 << qint64(138357544);
    QTest::newRow("vgg19_bn") << "vgg19_bn" << 1000 << 224 << qint64(143678248);
    QTest::newRow("cifar_resnet18") << "cifar_resnet18" << 10 << 32 << qint64(11173962);
    QTest::newRow("lenet300") << "lenet300" << 10 << 28 << qint64(784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
}

void TestModels::parameterCountsEqualTorchvision()
{
    QFETCH(QString, name);
    QFETCH(int, classes);
    QFETCH(int, size);
    QFETCH(qint64, params);
    auto model = models::createModel({name, classes, name == "lenet300" ? 1 : 3, size, 1.0});
    qint64 count = 0;
    for (const auto& p : model->parameters())
        count += p.numel();
    QCOMPARE(count, params);
}

void TestModels::registryShapesAndFlops()
{
    const ModelInfo info = describeModel({QStringLiteral("cifar_resnet18"), 10, 3, 32, 1.0});
    const LayerInfo& l8 = info.layers[7]; // layer2.0.downsample.0: 1×1, 64 → 128, stride 2
    QCOMPARE(l8.weightShape, (QVector<qint64>{128, 64, 1, 1}));
    QCOMPARE(l8.inShape, (QVector<qint64>{64, 32, 32}));
    QCOMPARE(l8.outShape, (QVector<qint64>{128, 16, 16}));
    QCOMPARE(l8.params, qint64(128 * 64));
    QCOMPARE(l8.flops, qint64(2) * 64 * 128 * 16 * 16);
    const LayerInfo& fc = info.layers.last();
    QCOMPARE(fc.inShape, (QVector<qint64>{512}));
    QCOMPARE(fc.flops, qint64(2 * 512 * 10 + 10));
    qint64 sum = 0;
    for (const LayerInfo& l : info.layers)
        sum += l.flops;
    QCOMPARE(info.totalFlops, sum);
    // A well-known figure: resnet18 at 224 is about 1.82 GMACs, i.e. ~3.64 GFLOPs.
    const ModelInfo r18 = describeModel({QStringLiteral("resnet18"), 1000, 3, 224, 1.0});
    QVERIFY(r18.totalFlops > 3.6e9 && r18.totalFlops < 3.7e9);
    const QJsonObject json = modelInfoToJson(info);
    QCOMPARE(json.value("layers").toArray().size(), 21);
    QCOMPARE(json.value("total_params").toDouble(), 11173962.0);
}

void TestModels::everyZooModelRunsForward_data()
{
    QTest::addColumn<QString>("name");
    for (const QString& name : zooModelNames())
        QTest::newRow(qPrintable(name)) << name;
}

void TestModels::everyZooModelRunsForward()
{
    QFETCH(QString, name);
    const bool lenet = name.startsWith("lenet");
    const ModelSpec spec{name, 7, lenet ? 1 : 3, lenet ? 28 : 32, 0.125};
    auto model = models::createModel(spec);
    model->eval();
    torch::NoGradGuard noGrad;
    const auto y = model->forward(torch::randn({2, spec.inChannels, spec.inputSize, spec.inputSize}));
    QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{2, 7}));
    QVERIFY(!describeModel(spec).layers.isEmpty());
}

void TestModels::widthMultiplierScalesChannels()
{
    const ModelInfo info = describeModel({QStringLiteral("cifar_resnet18"), 10, 1, 28, 0.25});
    QCOMPARE(info.layers.first().weightShape, (QVector<qint64>{16, 1, 3, 3}));
    QCOMPARE(info.layers[19].weightShape, (QVector<qint64>{128, 128, 3, 3}));
    QCOMPARE(info.layers.last().outShape, (QVector<qint64>{10}));
}

void TestModels::badOptionsGiveClearErrors()
{
    auto message = [](const ModelSpec& spec) {
        try {
            describeModel(spec);
        } catch (const Error& e) {
            return QString::fromUtf8(e.what());
        }
        return QString();
    };
    QVERIFY(message({QStringLiteral("resnet9000"), 10, 3, 32, 1.0}).contains("unknown model 'resnet9000'"));
    QVERIFY(message({QStringLiteral("vgg11"), 10, 3, 28, 1.0}).contains("too small"));
    QVERIFY(message({QStringLiteral("lenet300"), 0, 1, 28, 1.0}).contains("classes"));
    QVERIFY(message({QStringLiteral("lenet300"), 10, 1, 28, -1.0}).contains("width"));
}

void TestModels::inputSizeLimitsFollowTheArchitecture_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("size");     // runs
    QTest::addColumn<int>("smallest"); // the smallest size that runs; one below is refused
    // The sizes PyTorch runs these architectures at (test_interop compares them with torchvision's): the adaptive
    // average pool takes any size, so every stage only needs to keep a pixel.
    QTest::newRow("resnet18 at 1") << "resnet18" << 3 << 1 << 1;
    QTest::newRow("resnet18 at Fashion-MNIST's 28") << "resnet18" << 3 << 28 << 1;
    QTest::newRow("resnet34 at 1") << "resnet34" << 3 << 1 << 1;
    QTest::newRow("cifar_resnet18 at 1") << "cifar_resnet18" << 3 << 1 << 1;
    QTest::newRow("vgg11 at 32") << "vgg11" << 3 << 32 << 32;
    QTest::newRow("vgg16_bn at 32") << "vgg16_bn" << 3 << 32 << 32;
    QTest::newRow("cifar_vgg11 at 32") << "cifar_vgg11" << 3 << 32 << 32;
    QTest::newRow("cifar_vgg11 at 45") << "cifar_vgg11" << 3 << 45 << 32;
    QTest::newRow("lenet5 at 12") << "lenet5" << 1 << 12 << 12;
    QTest::newRow("lenet5 at 13") << "lenet5" << 1 << 13 << 12;
}

void TestModels::inputSizeLimitsFollowTheArchitecture()
{
    QFETCH(QString, name);
    QFETCH(int, channels);
    QFETCH(int, size);
    QFETCH(int, smallest);
    auto model = models::createModel({name, 10, channels, size, 0.125});
    model->eval();
    torch::NoGradGuard noGrad;
    QCOMPARE(model->forward(torch::randn({2, channels, size, size})).sizes().vec(), (std::vector<int64_t>{2, 10}));
    if (smallest == 1)
        return;
    QString message;
    try {
        models::createModel({name, 10, channels, smallest - 1, 0.125});
    } catch (const Error& e) {
        message = QString::fromUtf8(e.what());
    }
    QCOMPARE(message, QStringLiteral("input size %1 is too small for %2: it needs at least %3, the smallest size at which every "
                                     "stage keeps at least one pixel.")
                          .arg(smallest - 1)
                          .arg(name)
                          .arg(smallest));
}

void TestModels::surgeryReplacesAndRestores()
{
    auto model = models::createModel({QStringLiteral("cifar_resnet18"), 10, 3, 32, 0.25});
    model->eval();
    torch::NoGradGuard noGrad;
    const auto x = torch::randn({2, 3, 32, 32});
    const auto before = model->forward(x);

    // Replace layer2.0.downsample.0 by a conv that outputs zeros: the output must change.
    auto zero = std::make_shared<nn::Conv2d>(nn::ConvOptions{16, 32, 1, 2, 0, 1, 1, false});
    zero->weight.zero_();
    auto original = models::replaceLayer(*model, "layer2.0.downsample.0", zero);
    QCOMPARE(models::findLayer(*model, "layer2.0.downsample.0").get(), zero.get());
    QVERIFY(model->named_parameters().find("layer2.0.downsample.0.weight")->data_ptr() == zero->weight.data_ptr());
    QVERIFY(!torch::allclose(model->forward(x), before));

    // Put the original back: identical outputs again.
    models::replaceLayer(*model, "layer2.0.downsample.0", original);
    QVERIFY(torch::equal(model->forward(x), before));

    QVERIFY_THROWS_EXCEPTION(Error, models::findLayer(*model, "layer9.0.conv1"));
    QVERIFY_THROWS_EXCEPTION(Error, models::replaceLayer(*model, "layer1.0.nothing", zero));
}

void TestModels::footprintEstimateCountsEveryParameter_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("width");
    for (const QString& name : zooModelNames())
        for (const double width : {0.25, 1.0})
            QTest::newRow(qPrintable(QStringLiteral("%1 ×%2").arg(name).arg(width))) << name << width;
}

// The memory check before building a model rests on this arithmetic: it must count exactly the
// parameters the built model has, at any width.
void TestModels::footprintEstimateCountsEveryParameter()
{
    QFETCH(QString, name);
    QFETCH(double, width);
    ModelSpec spec = defaultModelSpec(name);
    spec.width = width;
    spec.numClasses = 7;
    auto model = models::createModel(spec);
    int64_t actual = 0;
    for (const auto& p : model->parameters())
        actual += p.numel();
    const models::ModelFootprint f = models::estimateFootprint(spec);
    QCOMPARE(qint64(f.parameters), qint64(actual));
    QVERIFY(f.largestActivation >= double(spec.inChannels) * spec.inputSize * spec.inputSize);
}

// resnet34 at width 64 and input 4096 needs hundreds of GB; before the check it grew until the kernel's OOM
// killer stopped it. Now the registry refuses it in one sentence, at once and without allocating.
void TestModels::modelTooLargeForMemoryIsRefusedBeforeAllocating()
{
    if (models::availableMemoryBytes() <= 0)
        QSKIP("this machine reports no available memory (/proc/meminfo and cgroup unreadable)");
    QElapsedTimer timer;
    timer.start();
    QString message;
    try {
        describeModel({QStringLiteral("resnet34"), 1000, 3, 4096, 64.0});
    } catch (const Error& e) {
        message = QString::fromUtf8(e.what());
    }
    QVERIFY2(message.contains(QStringLiteral("more than the")) && message.contains(QStringLiteral("memory available"))
                 && message.endsWith(QLatin1Char('.')),
             qPrintable(message));
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
    // A model that fits is still built.
    QVERIFY(describeModel({QStringLiteral("resnet34"), 1000, 3, 64, 0.25}).totalParams > 0);
}

void TestModels::layerSelection()
{
    const ModelInfo info = describeModel({QStringLiteral("cifar_resnet18"), 10, 3, 32, 0.25});
    QCOMPARE(resolveLayerSelection(info, "4,15"), (QVector<int>{4, 15}));
    QCOMPARE(resolveLayerSelection(info, "16-20,layer1.0.conv1"), (QVector<int>{2, 16, 17, 18, 19, 20}));
    QCOMPARE(resolveLayerSelection(info, "all", "Conv2d").size(), 20);
    QCOMPARE(resolveLayerSelection(info, "all").size(), 21);
    QVERIFY_THROWS_EXCEPTION(Error, resolveLayerSelection(info, "22"));
    QVERIFY_THROWS_EXCEPTION(Error, resolveLayerSelection(info, "layer5.conv"));
    QVERIFY_THROWS_EXCEPTION(Error, resolveLayerSelection(info, ""));
    // Option mistakes found once the model is known are OptionErrors (the CLI's exit 2) naming the mistake.
    QVERIFY_THROWS_EXCEPTION(OptionError, resolveLayerSelection(info, "99"));
    QVERIFY_THROWS_EXCEPTION(OptionError, resolveLayerSelection(info, "fc2"));
    try {
        resolveLayerSelection(info, "5-3");
        QFAIL("5-3 was accepted");
    } catch (const OptionError& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("reversed; write it low to high (3-5)")), e.what());
    }
}

void TestModels::batchNormCumulativeAverage()
{
    // The proxy's recalibration: with the cumulative average (torch's momentum=None), the running mean after
    // three training batches is the mean of their three batch means, whatever the statistics were before.
    nn::BatchNorm bn(2);
    bn.train(true);
    bn.running_mean.fill_(5);
    bn.num_batches_tracked.zero_();
    bn.setCumulative(true);
    const std::vector<double> means{1.0, 2.0, 6.0};
    for (double m : means)
        bn.forward(torch::full({4, 2, 3, 3}, m));
    QVERIFY(torch::allclose(bn.running_mean, torch::full({2}, 3.0)));
    // Back to torch's default momentum 0.1: one batch of mean 13 moves the mean a tenth of the way.
    bn.setCumulative(false);
    bn.forward(torch::full({4, 2, 3, 3}, 13.0));
    QVERIFY(torch::allclose(bn.running_mean, torch::full({2}, 4.0)));
}

void TestModels::resnet50IsTorchvisions()
{
    // 53 convolutions in torchvision's order (the L > 24 case of the Pareto search).
    const ModelInfo info = describeModel({QStringLiteral("resnet50"), 10, 3, 64, 1.0});
    QStringList convs;
    for (const LayerInfo& l : info.layers)
        if (l.type == QLatin1String("Conv2d"))
            convs << l.name;
    QCOMPARE(convs.size(), 53);
    QCOMPARE(convs.mid(0, 5), (QStringList{"conv1", "layer1.0.conv1", "layer1.0.conv2", "layer1.0.conv3", "layer1.0.downsample.0"}));
    QCOMPARE(convs.last(), QStringLiteral("layer4.2.conv3"));
}

void TestModels::mobilenetV2RegistryMarksDepthwiseConvs()
{
    // torchvision's order: features.0.0, block 1 (depthwise, project), blocks 2–17 (expand, depthwise, project),
    // features.18.0, classifier.1 — 52 convs, 17 of them depthwise (groups = channels), and the Linear.
    const ModelInfo info = describeModel({QStringLiteral("mobilenet_v2"), 10, 3, 64, 1.0});
    QCOMPARE(info.layers.size(), 53);
    QCOMPARE(info.layers[0].name, QStringLiteral("features.0.0"));
    QCOMPARE(info.layers[1].name, QStringLiteral("features.1.conv.0.0"));
    QCOMPARE(info.layers[2].name, QStringLiteral("features.1.conv.1"));
    QCOMPARE(info.layers[3].name, QStringLiteral("features.2.conv.0.0"));
    QCOMPARE(info.layers[51].name, QStringLiteral("features.18.0"));
    QCOMPARE(info.layers[52].name, QStringLiteral("classifier.1"));
    int depthwise = 0;
    for (const LayerInfo& l : info.layers)
        if (l.groups != 1) {
            ++depthwise;
            QCOMPARE(l.groups, l.inShape.value(0));
            QCOMPARE(groupedConvKind(l), QStringLiteral("depthwise"));
            QCOMPARE(l.weightShape.value(1), qint64(1));
        }
    QCOMPARE(depthwise, 17);
    QCOMPARE(info.layers[1].groups, qint64(32));
    QVERIFY(groupedConvKind(info.layers[0]).isEmpty());
    QCOMPARE(modelInfoToJson(info).value("layers").toArray().at(1).toObject().value("groups").toInt(), 32);
}

// A state dict saved by PyTorch gives torchvision's logits and parameter count (tests/interop/make_zoo_fixtures.py,
// Debian's python3-torchvision): resnet50, mobilenet_v2 and mobilenet_v2 at width 0.35 (widths by _make_divisible).
void TestModels::stateDictsFromTorchvisionGiveItsLogits()
{
    QTemporaryDir dir;
    QProcess python;
    python.setProcessChannelMode(QProcess::MergedChannels);
    python.start(QStringLiteral(RANKLAB_PYTHON), {QStringLiteral(RANKLAB_SOURCE_DIR "/tests/interop/make_zoo_fixtures.py"), dir.path()});
    QVERIFY(python.waitForFinished(300000));
    QVERIFY2(python.exitCode() == 0, python.readAll().constData());
    const auto readFloats = [&dir](const QString& name, std::vector<int64_t> shape) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::ReadOnly))
            return torch::Tensor();
        const QByteArray bytes = f.readAll();
        return torch::from_blob(const_cast<char*>(bytes.constData()), shape, torch::kFloat32).clone();
    };
    const struct {
        const char* tag;
        const char* model;
        double width;
    } cases[] = {{"resnet50", "resnet50", 1.0}, {"mobilenet_v2", "mobilenet_v2", 1.0}, {"mobilenet_v2_w0.35", "mobilenet_v2", 0.35}};
    for (const auto& c : cases) {
        const QString tag = QString::fromLatin1(c.tag);
        auto model = models::createModel({QString::fromLatin1(c.model), 10, 3, 64, c.width});
        io::loadWeights(*model, dir.filePath(tag + QStringLiteral(".pth")), QString::fromLatin1(c.model));
        model->eval();
        const torch::Tensor x = readFloats(tag + QStringLiteral("_x.bin"), {2, 3, 64, 64});
        const torch::Tensor expected = readFloats(tag + QStringLiteral("_y.bin"), {2, 10});
        QVERIFY2(x.defined() && expected.defined(), c.tag);
        torch::NoGradGuard noGrad;
        const torch::Tensor y = model->forward(x);
        const double diff = (y - expected).abs().max().item<double>();
        QVERIFY2(diff <= 1e-4 * std::max(1.0, expected.abs().max().item<double>()),
                 qPrintable(QStringLiteral("%1: max |Δ logit| %2").arg(tag).arg(diff)));
        int64_t params = 0;
        for (const auto& p : model->parameters())
            params += p.numel();
        QFile count(dir.filePath(tag + QStringLiteral("_params.txt")));
        QVERIFY(count.open(QIODevice::ReadOnly));
        QCOMPARE(params, count.readAll().trimmed().toLongLong());
    }
}

QTEST_GUILESS_MAIN(TestModels)
#include "test_models.moc"

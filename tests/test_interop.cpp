// Interop with real PyTorch: torchvision resnet18 and vgg11_bn saved by Debian's python3-torch/torchvision
// (tests/interop/make_fixtures.py) as default state dicts and TorchScript load into RankLab's zoo models with
// the same logits, and RankLab's export loads back into torchvision with strict=True. Input sizes: RankLab
// accepts exactly the sizes PyTorch runs each architecture at; a torchvision resnet18 trained on 28×28
// Fashion-MNIST gives PyTorch's predictions through `ranklab-cli eval`. Whole pickled torchvision models are
// refused naming the --model options of their state dict. `export --format torchscript` of every kind of model
// RankLab holds (zoo, pruned, basis convolutions in each form, composed, RON students) runs in Python's
// torch.jit.load and C++'s torch::jit::load with RankLab's logits on real Fashion-MNIST test images.

#include <algorithm>
#include <cmath>
#include <functional>

#include <torch/script.h>
#include <torch/torch.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "core/data/idx_reader.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/export.h"
#include "core/io/weights.h"
#include "core/jobs/job_kind.h"
#include "core/models/structured_model.h"
#include "core/models/zoo.h"
#include "tests/cli_process.h"

using ranklab::Error;
using namespace ranklab::io;

namespace {

constexpr double kTolerance = 1e-4;

std::shared_ptr<ranklab::nn::Layer> makeModel(const QString& arch, int numClasses = 1000)
{
    ranklab::ModelSpec spec;
    spec.name = arch;
    spec.numClasses = numClasses;
    spec.inChannels = 3;
    spec.inputSize = 224;
    spec.width = 1.0;
    auto model = ranklab::models::createModel(spec);
    model->eval();
    return model;
}

const torch::Tensor& entry(const StateDict& sd, const std::string& name)
{
    for (const auto& [n, t] : sd)
        if (n == name)
            return t;
    throw std::runtime_error("no entry " + name);
}

QString errorOf(const std::function<void()>& body)
{
    try {
        body();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    } catch (const std::exception& e) {
        return QStringLiteral("<non-ranklab exception: %1>").arg(QString::fromUtf8(e.what()));
    }
    return QStringLiteral("<no exception>");
}

struct PythonRun {
    bool ok = false;
    QString stdoutText, stderrText;
};

PythonRun runPython(const QStringList& args, int timeoutMs)
{
    QProcess python;
    python.start(QStringLiteral(RANKLAB_PYTHON), QStringList{QStringLiteral(RANKLAB_SOURCE_DIR "/tests/interop/make_fixtures.py")} + args);
    PythonRun run;
    const bool finished = python.waitForFinished(timeoutMs);
    run.stdoutText = QString::fromUtf8(python.readAllStandardOutput()).trimmed();
    run.stderrText = QString::fromUtf8(python.readAllStandardError()).trimmed();
    if (!finished)
        run.stderrText += QStringLiteral(" (timed out)");
    run.ok = finished && python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0;
    return run;
}

} // namespace

class TestInterop final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void torchvisionFilesGiveTheSameLogits_data();
    void torchvisionFilesGiveTheSameLogits();
    void exportLoadsIntoTorchvisionStrictly_data();
    void exportLoadsIntoTorchvisionStrictly();
    void anotherArchitectureIsRefusedClearly();
    void resnet18LoadTimes();
    void smallestInputSizesAreTorchs();
    void fashionResnet18FromPyTorchEvaluatesAt28();
    void wholeTorchvisionModelsNameTheirOptions();
    void torchScriptExportRunsInPyTorch_data();
    void torchScriptExportRunsInPyTorch();
    void torchScriptExportRefusesClearly();

private:
    QString fixture(const QString& name) const { return QDir(m_dir.path()).filePath(name); }
    /// Runs each ranklab-cli command ("{dir}" = the fixture folder) whose --out folder does not exist yet.
    void makeWithCli(const QStringList& commands);
    QTemporaryDir m_dir;
};

void TestInterop::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QProcess probe;
    probe.start(QStringLiteral(RANKLAB_PYTHON), {QStringLiteral("-c"), QStringLiteral("import torch, torchvision")});
    if (!probe.waitForFinished(120000) || probe.exitStatus() != QProcess::NormalExit || probe.exitCode() != 0)
        QSKIP(RANKLAB_PYTHON " cannot import torch and torchvision (install python3-torch and python3-torchvision); "
                             "interop with real PyTorch is not tested.");
    QElapsedTimer timer;
    timer.start();
    const PythonRun run = runPython({QStringLiteral("make"), m_dir.path()}, 300000);
    QVERIFY2(run.ok, qPrintable(QStringLiteral("make_fixtures.py make failed: ") + run.stderrText.right(800)));
    qInfo("python fixtures in %.1f s: %s", timer.elapsed() / 1000.0, qPrintable(QString(run.stdoutText).replace(QLatin1Char('\n'), QStringLiteral("; "))));
}

void TestInterop::torchvisionFilesGiveTheSameLogits_data()
{
    QTest::addColumn<QString>("arch");
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("format"); // WeightsFormat
    for (const char* arch : {"resnet18", "vgg11_bn"}) {
        QTest::addRow("%s state dict", arch) << arch << QStringLiteral("%1.pth").arg(QLatin1String(arch))
                                             << int(WeightsFormat::PyTorchZip);
        QTest::addRow("%s TorchScript", arch) << arch << QStringLiteral("%1.pt").arg(QLatin1String(arch))
                                              << int(WeightsFormat::TorchScript);
    }
}

void TestInterop::torchvisionFilesGiveTheSameLogits()
{
    QFETCH(QString, arch);
    QFETCH(QString, file);
    QFETCH(int, format);
    const StateDict io = readStateDict(fixture(arch + QStringLiteral("_io.pth")));
    auto model = makeModel(arch);

    QElapsedTimer timer;
    timer.start();
    WeightsFormat detected{};
    const StateDict sd = readStateDict(fixture(file), &detected);
    const qint64 readMs = timer.restart();
    loadStateDict(*model, sd, file, arch);
    const qint64 loadMs = timer.elapsed();
    QCOMPARE(int(detected), format);

    torch::NoGradGuard noGrad;
    const torch::Tensor logits = model->forward(entry(io, "input"));
    const torch::Tensor expected = entry(io, "logits");
    QCOMPARE(logits.sizes().vec(), expected.sizes().vec());
    const double diff = (logits - expected).abs().max().item<double>();
    qInfo("%s: read %lld ms, load %lld ms, %zu tensors, max |logit diff| %.3g", qPrintable(file), readMs, loadMs,
          sd.size(), diff);
    QVERIFY2(diff <= kTolerance, qPrintable(QStringLiteral("max |logit diff| %1 > %2").arg(diff).arg(kTolerance)));
}

void TestInterop::exportLoadsIntoTorchvisionStrictly_data()
{
    QTest::addColumn<QString>("arch");
    QTest::addColumn<QString>("source"); // the file RankLab loads before exporting
    QTest::newRow("resnet18 from state dict") << "resnet18" << "resnet18.pth";
    QTest::newRow("vgg11_bn from TorchScript") << "vgg11_bn" << "vgg11_bn.pt";
}

void TestInterop::exportLoadsIntoTorchvisionStrictly()
{
    QFETCH(QString, arch);
    QFETCH(QString, source);
    auto model = makeModel(arch);
    loadWeights(*model, fixture(source), arch);
    const QString exported = fixture(arch + QStringLiteral("_ranklab_export.pth"));
    exportStateDict(*model, exported);

    // RankLab's own logits, for Python to compare with.
    const StateDict io = readStateDict(fixture(arch + QStringLiteral("_io.pth")));
    torch::Tensor logits;
    {
        torch::NoGradGuard noGrad;
        logits = model->forward(entry(io, "input"));
    }
    c10::Dict<std::string, at::Tensor> dict;
    dict.insert("logits", logits);
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
    const QString logitsPath = fixture(arch + QStringLiteral("_ranklab_logits.pth"));
    writeFileAtomic(logitsPath, QByteArray(bytes.data(), qsizetype(bytes.size())));

    const PythonRun run = runPython({QStringLiteral("verify"), arch, exported, fixture(arch + QStringLiteral("_io.pth")), logitsPath},
                                    300000);
    QVERIFY2(run.ok, qPrintable(QStringLiteral("torchvision refused RankLab's export: ") + run.stderrText.right(800)));
    const QJsonObject result = QJsonDocument::fromJson(run.stdoutText.section(QLatin1Char('\n'), -1).toUtf8()).object();
    qInfo("verify: %s", qPrintable(run.stdoutText));
    QVERIFY(result.value(QStringLiteral("strict")).toBool());
    QVERIFY(result.contains(QStringLiteral("max_abs_diff_python")));
    QVERIFY(result.value(QStringLiteral("max_abs_diff_python")).toDouble(1.0) <= kTolerance);
    QVERIFY(result.value(QStringLiteral("max_abs_diff_ranklab")).toDouble(1.0) <= kTolerance);

    // And RankLab reads its own export back to the same tensors.
    const StateDict back = readStateDict(exported);
    const StateDict original = moduleStateDict(*model);
    QCOMPARE(back.size(), original.size());
    for (std::size_t i = 0; i < back.size(); ++i) {
        QCOMPARE(back[i].first, original[i].first);
        QVERIFY(torch::equal(back[i].second, original[i].second));
    }
}

void TestInterop::anotherArchitectureIsRefusedClearly()
{
    auto vgg = makeModel(QStringLiteral("vgg11_bn"));
    const StateDict before = moduleStateDict(*vgg);
    std::vector<torch::Tensor> copies;
    for (const auto& [name, t] : before)
        copies.push_back(t.clone());
    const QString message = errorOf([&] { loadWeights(*vgg, fixture(QStringLiteral("resnet18.pth")), QStringLiteral("vgg11_bn")); });
    QVERIFY2(message.startsWith(QStringLiteral("resnet18.pth does not fit vgg11_bn: missing features.0.weight; unexpected conv1.weight; ")),
             qPrintable(message));
    QVERIFY2(message.endsWith(QStringLiteral("more differences).")) && !message.contains(QLatin1Char('\n')), qPrintable(message));
    const StateDict after = moduleStateDict(*vgg);
    for (std::size_t i = 0; i < after.size(); ++i)
        QVERIFY(torch::equal(after[i].second, copies[i]));

    auto resnet10 = makeModel(QStringLiteral("resnet18"), 10);
    const QString classes = errorOf([&] { loadWeights(*resnet10, fixture(QStringLiteral("resnet18.pt")), QStringLiteral("resnet18")); });
    QCOMPARE(classes, QStringLiteral("resnet18.pt does not fit resnet18: shape of fc.weight is [1000,512] in the file but "
                                     "[10,512] in the model; shape of fc.bias is [1000] in the file but [10] in the model."));
}

void TestInterop::resnet18LoadTimes()
{
    auto model = makeModel(QStringLiteral("resnet18"));
    for (const char* file : {"resnet18.pth", "resnet18.pt"}) {
        qint64 best = std::numeric_limits<qint64>::max();
        for (int i = 0; i < 3; ++i) {
            QElapsedTimer timer;
            timer.start();
            loadWeights(*model, fixture(QString::fromLatin1(file)));
            best = std::min(best, timer.nsecsElapsed() / 1000);
        }
        qInfo("resnet18 %s: readStateDict + loadStateDict best of 3: %.1f ms", file, best / 1000.0);
    }
}

void TestInterop::smallestInputSizesAreTorchs()
{
    const PythonRun run = runPython({QStringLiteral("min-sizes")}, 300000);
    QVERIFY2(run.ok, qPrintable(QStringLiteral("make_fixtures.py min-sizes failed: ") + run.stderrText.right(800)));
    const QJsonObject sizes = QJsonDocument::fromJson(run.stdoutText.section(QLatin1Char('\n'), -1).toUtf8()).object();
    qInfo("smallest sizes PyTorch runs: %s", qPrintable(run.stdoutText));
    QCOMPARE(sizes.size(), 10);
    for (auto it = sizes.begin(); it != sizes.end(); ++it) {
        const QString arch = it.key();
        const int smallest = it.value().toInt();
        QVERIFY2(smallest >= 1, qPrintable(arch));
        // The limits follow from kernels, strides and paddings, not widths: a narrow model keeps the test quick.
        ranklab::ModelSpec spec{arch, 10, arch == QLatin1String("lenet5") ? 1 : 3, smallest, 0.25};
        auto model = ranklab::models::createModel(spec);
        model->eval();
        torch::NoGradGuard noGrad;
        const torch::Tensor y = model->forward(torch::randn({1, spec.inChannels, smallest, smallest}));
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{1, 10}));
        if (smallest == 1)
            continue; // 0 is no size at all ("the input size must be at least 1 pixel")
        spec.inputSize = smallest - 1;
        const QString message = errorOf([&] { ranklab::models::createModel(spec); });
        QCOMPARE(message, QStringLiteral("input size %1 is too small for %2: it needs at least %3, the smallest size at which "
                                         "every stage keeps at least one pixel.")
                              .arg(smallest - 1)
                              .arg(arch)
                              .arg(smallest));
    }
}

void TestInterop::fashionResnet18FromPyTorchEvaluatesAt28()
{
    const QString data = QStringLiteral("/usr/share/datasets/fashion-mnist");
    if (!QFileInfo(data).isDir())
        QSKIP("Fashion-MNIST is not installed (Debian's dataset-fashion-mnist).");
    const PythonRun run = runPython({QStringLiteral("fashion"), m_dir.path(), data}, 300000);
    QVERIFY2(run.ok, qPrintable(QStringLiteral("make_fixtures.py fashion failed: ") + run.stderrText.right(800)));
    qInfo("%s", qPrintable(run.stdoutText));

    // The case: a torchvision resnet18 (3 channels, 10 classes) on 28×28 Fashion-MNIST.
    const QString csvPath = fixture(QStringLiteral("fashion_predictions.csv"));
    QProcess cli;
    cli.start(QStringLiteral(RANKLAB_CLI),
              {QStringLiteral("eval"), QStringLiteral("--model"), QStringLiteral("resnet18"), QStringLiteral("--in-channels"),
               QStringLiteral("3"), QStringLiteral("--weights"), fixture(QStringLiteral("fashion_resnet18.pth")),
               QStringLiteral("--dataset"), QStringLiteral("fashion-mnist"), QStringLiteral("--data-dir"), data,
               QStringLiteral("--mean"), QStringLiteral("0.5"), QStringLiteral("--std"), QStringLiteral("0.25"),
               QStringLiteral("--predictions"), csvPath, QStringLiteral("--json")});
    QVERIFY(cli.waitForFinished(300000));
    const QString err = QString::fromUtf8(cli.readAllStandardError());
    QVERIFY2(cli.exitStatus() == QProcess::NormalExit && cli.exitCode() == 0, qPrintable(err));

    const StateDict io = readStateDict(fixture(QStringLiteral("fashion_resnet18_io.pth")));
    const torch::Tensor logits = entry(io, "logits");
    const torch::Tensor labels = entry(io, "labels");
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
    QCOMPARE(lines.size() - 1, int(logits.size(0)));
    const auto expected = logits.accessor<float, 2>();
    const torch::Tensor torchPredicted = logits.argmax(1);
    double worst = 0;
    int agree = 0, correct = 0;
    for (int i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> cells = lines[i].split(',');
        QCOMPARE(cells.size(), 3 + 10);
        const int64_t n = i - 1;
        QCOMPARE(cells[0].toLongLong(), n);
        QCOMPARE(cells[1].toLongLong(), labels[n].item<int64_t>());
        const int64_t predicted = cells[2].toLongLong();
        agree += predicted == torchPredicted[n].item<int64_t>();
        correct += predicted == labels[n].item<int64_t>();
        for (int c = 0; c < 10; ++c) {
            const double want = expected[n][c];
            worst = std::max(worst, std::abs(cells[3 + c].toDouble() - want) / (1.0 + std::abs(want)));
        }
    }
    qInfo("ranklab-cli eval: %d of %lld predictions as PyTorch's, top-1 %.2f%%, max relative logit diff %.3g", agree,
          static_cast<long long>(logits.size(0)), 100.0 * correct / double(logits.size(0)), worst);
    QCOMPARE(agree, int(logits.size(0)));
    QVERIFY2(worst <= kTolerance, qPrintable(QStringLiteral("max relative logit diff %1").arg(worst)));
    const double top1 = QJsonDocument::fromJson(cli.readAllStandardOutput().trimmed().split('\n').last())
                            .object()
                            .value(QStringLiteral("top1"))
                            .toDouble(-1);
    QCOMPARE(top1, correct / double(logits.size(0)));
}

void TestInterop::wholeTorchvisionModelsNameTheirOptions()
{
    const PythonRun run = runPython({QStringLiteral("whole"), m_dir.path()}, 300000);
    QVERIFY2(run.ok, qPrintable(QStringLiteral("make_fixtures.py whole failed: ") + run.stderrText.right(800)));
    auto model = makeModel(QStringLiteral("resnet18"), 10);
    const QString save = QStringLiteral("save the weights with torch.save(model.state_dict(), path)");
    QCOMPARE(errorOf([&] { loadWeights(*model, fixture(QStringLiteral("whole_resnet18.pth"))); }),
             QStringLiteral("whole_resnet18.pth holds a pickled Python object (torchvision.models.resnet.ResNet) rather than a state "
                            "dict; %1 and load them with --model resnet18 --num-classes 10.")
                 .arg(save));
    QCOMPARE(errorOf([&] { loadWeights(*model, fixture(QStringLiteral("whole_vgg11_bn.pth"))); }),
             QStringLiteral("whole_vgg11_bn.pth holds a pickled Python object (torchvision.models.vgg.VGG) rather than a state "
                            "dict; %1 and load them with --model vgg11_bn --num-classes 7 --in-channels 1.")
                 .arg(save));
    const QString resnet50 = errorOf([&] { loadWeights(*model, fixture(QStringLiteral("whole_resnet50.pth"))); });
    QVERIFY2(resnet50.startsWith(QStringLiteral("whole_resnet50.pth holds a pickled Python object (torchvision.models.resnet.ResNet) "
                                                "rather than a state dict; %1")
                                     .arg(save))
                 && resnet50.endsWith(QLatin1Char('.')) && resnet50.contains(QStringLiteral("resnet50")),
             qPrintable(resnet50));
}

QTEST_GUILESS_MAIN(TestInterop)
namespace {
const QString kFashion = QStringLiteral("/usr/share/datasets/fashion-mnist");
const QString kTiny = QStringLiteral(" --subset 300 --test-subset 200 --threads 2 --quiet");
} // namespace

void TestInterop::makeWithCli(const QStringList& commands)
{
    for (const QString& command : commands) {
        QStringList args = QString(command).replace(QStringLiteral("{dir}"), m_dir.path()).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        const qsizetype out = args.indexOf(QStringLiteral("--out"));
        if (out >= 0 && QFileInfo::exists(args.at(out + 1)))
            continue; // made by an earlier row
        const ranklab::testing::CliResult r = ranklab::testing::runCli(args, 600000);
        QVERIFY2(r.code == 0, qPrintable(command + QStringLiteral(": ") + QString::fromUtf8(r.err.right(800))));
    }
}

void TestInterop::torchScriptExportRunsInPyTorch_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("width");
    QTest::addColumn<QStringList>("make");   // ranklab-cli commands that make the weights
    QTest::addColumn<QString>("weights");    // relative to the fixture folder
    QTest::addColumn<QStringList>("names");  // parameters the TorchScript module must have
    const QString lenet5 = QStringLiteral("train --model lenet5 --epochs 1 --lr 0.05 --out {dir}/lenet5") + kTiny;
    const QString resnet = QStringLiteral("train --model cifar_resnet18 --width 0.25 --epochs 1 --lr 0.05 --out {dir}/resnet") + kTiny;
    const QString lenet300 = QStringLiteral("train --model lenet300 --epochs 1 --lr 0.05 --out {dir}/lenet300") + kTiny;
    QTest::newRow("zoo lenet5") << "lenet5" << "1" << QStringList{lenet5} << "lenet5/model.rlk"
                                << QStringList{"conv1.weight", "fc3.bias"};
    QTest::newRow("zoo cifar_resnet18 width 0.25") << "cifar_resnet18" << "0.25" << QStringList{resnet} << "resnet/model.rlk"
                                                   << QStringList{"layer2.0.downsample.0.weight", "layer4.1.bn2.running_var", "fc.weight"};
    QTest::newRow("zoo cifar_resnet50 width 0.125 (Bottleneck blocks)")
        << "cifar_resnet50" << "0.125"
        << QStringList{QStringLiteral("train --model cifar_resnet50 --width 0.125 --epochs 1 --lr 0.05 --out {dir}/resnet50") + kTiny}
        << "resnet50/model.rlk" << QStringList{"layer1.0.conv3.weight", "layer1.0.downsample.0.weight", "layer4.2.bn3.running_mean"};
    QTest::newRow("zoo mobilenet_v2 width 0.25 (depthwise convs, ReLU6, inverted residuals)")
        << "mobilenet_v2" << "0.25"
        << QStringList{QStringLiteral("train --model mobilenet_v2 --width 0.25 --epochs 1 --lr 0.05 --out {dir}/mobilenet") + kTiny}
        << "mobilenet/model.rlk" << QStringList{"features.0.0.weight", "features.1.conv.0.0.weight", "features.2.conv.3.running_var",
                                                 "features.18.1.weight", "classifier.1.bias"};
    QTest::newRow("pruned lenet5")
        << "lenet5" << "1"
        << QStringList{lenet5, "prune --model lenet5 --weights {dir}/lenet5/model.rlk --ratio 0.5 --finetune-epochs 0 --out {dir}/pruned" + kTiny}
        << "pruned/pruned.rlk" << QStringList{"conv1.weight"};
    QTest::newRow("basis convs on a pruned lenet5 (basis-train from pruned.rlk)")
        << "lenet5" << "1"
        << QStringList{lenet5, "prune --model lenet5 --weights {dir}/lenet5/model.rlk --ratio 0.5 --finetune-epochs 0 --out {dir}/pruned" + kTiny,
                       "basis-train --model lenet5 --layers all --size 0.5 --form pair --beta 0.3 --skip 1 --epochs 1 --lr 0.01 "
                       "--init-from {dir}/pruned/pruned.rlk --out {dir}/basis-pruned" + kTiny}
        << "basis-pruned/model.rlk" << QStringList{"conv1.basis", "conv2.pair_coef", "fc1.weight"};
    QTest::newRow("pruned cifar_resnet18")
        << "cifar_resnet18" << "0.25"
        << QStringList{resnet, "prune --model cifar_resnet18 --width 0.25 --weights {dir}/resnet/model.rlk --ratio 0.5 "
                               "--finetune-epochs 0 --out {dir}/pruned-resnet" + kTiny}
        << "pruned-resnet/pruned.rlk" << QStringList{"layer1.0.conv1.weight"};
    for (const QString form : {QStringLiteral("weight"), QStringLiteral("output"), QStringLiteral("pair")})
        QTest::addRow("basis convs, %s form", qPrintable(form))
            << "cifar_resnet18" << "0.25"
            << QStringList{resnet, QStringLiteral("basis-train --model cifar_resnet18 --width 0.25 --layers all --size 0.5 --beta 0.3 "
                                                  "--form %1 --skip 1 --epochs 1 --lr 0.01 --init-from {dir}/resnet/model.rlk "
                                                  "--out {dir}/basis-%1").arg(form) + kTiny}
            << "basis-" + form + "/model.rlk"
            << (form == QLatin1String("pair") ? QStringList{"layer1.0.conv1.basis", "layer1.0.conv1.copy_scale", "layer1.0.conv1.pair_coef"}
                                              : QStringList{"layer1.0.conv1.basis", "layer1.0.conv1.coef"});
    QTest::newRow("composed after basis training")
        << "lenet5" << "1"
        << QStringList{lenet5, "basis-train --model lenet5 --layers all --size 0.5 --form pair --beta 0.3 --skip 1 --epochs 2 "
                               "--lr 0.01 --init-from {dir}/lenet5/model.rlk --out {dir}/composed" + kTiny}
        << "composed/model.rlk" << QStringList{"conv2.weight"};
    QTest::newRow("RON student, MLP rows")
        << "lenet300" << "1"
        << QStringList{lenet300, "ron --model lenet300 --weights {dir}/lenet300/model.rlk --layers 1-2 --rank factor:2 --samples 300 "
                                 "--held-out 100 --latency-repeats 0 --out {dir}/ron-mlp" + kTiny}
        << "ron-mlp/student.rlk" << QStringList{"ron.0.fc.weight", "ron.restore.weight", "fc3.weight"};
    QTest::newRow("RON student, conv rows and max-pool")
        << "lenet5" << "1"
        << QStringList{lenet5, "ron --model lenet5 --weights {dir}/lenet5/model.rlk --layers conv1-conv2 --rank factor:8 --samples 300 "
                               "--held-out 100 --latency-repeats 0 --out {dir}/ron-conv" + kTiny}
        << "ron-conv/student.rlk" << QStringList{"ron.0.fc.weight", "ron.1.fc.weight", "fc1.weight"};
    QTest::newRow("RON student, residual block")
        << "cifar_resnet18" << "0.25"
        << QStringList{resnet, "ron --model cifar_resnet18 --width 0.25 --weights {dir}/resnet/model.rlk --layers 19-20 --rank factor:8 "
                               "--samples 300 --held-out 100 --latency-repeats 0 --out {dir}/ron-res" + kTiny}
        << "ron-res/student.rlk" << QStringList{"ron.0.fc1.weight", "ron.0.shortcut.weight", "conv1.weight", "fc.weight"};
}

void TestInterop::torchScriptExportRunsInPyTorch()
{
    QFETCH(QString, model);
    QFETCH(QString, width);
    QFETCH(QStringList, make);
    QFETCH(QString, weights);
    QFETCH(QStringList, names);
    if (!QFileInfo(kFashion).isDir())
        QSKIP("Fashion-MNIST is not installed (Debian's dataset-fashion-mnist).");
    makeWithCli(make);
    if (QTest::currentTestFailed())
        return;
    const QString weightsPath = fixture(weights);
    const QString pt = fixture(QString(weights).replace(QLatin1Char('/'), QLatin1Char('_')) + QStringLiteral(".pt"));
    const ranklab::testing::CliResult x = ranklab::testing::runCli(
        {QStringLiteral("export"), QStringLiteral("--model"), model, QStringLiteral("--width"), width, QStringLiteral("--num-classes"), QStringLiteral("10"), QStringLiteral("--in-channels"),
         QStringLiteral("1"), QStringLiteral("--input-size"), QStringLiteral("28"), QStringLiteral("--weights"), weightsPath, QStringLiteral("--format"), QStringLiteral("torchscript"), QStringLiteral("--out"), pt});
    QVERIFY2(x.code == 0, x.err.constData());

    // RankLab's logits on 256 real Fashion-MNIST test images (normalised with the data set's mean and std).
    const torch::Tensor images = ranklab::data::readIdxImages(ranklab::data::findIdxFile(kFashion, QStringLiteral("t10k-images-idx3-ubyte")));
    const torch::Tensor input = ((images.slice(0, 0, 256).to(torch::kFloat) / 255.0 - 0.2860) / 0.3530).contiguous();
    static const bool registered = (ranklab::registerBuiltinKinds(), true); // RON students and basis-conv networks
    Q_UNUSED(registered);
    ranklab::ModelSpec spec;
    spec.name = model;
    spec.numClasses = 10;
    spec.inChannels = 1;
    spec.inputSize = 28;
    spec.width = width.toDouble();
    auto net = ranklab::models::createModelForWeights(spec, weightsPath);
    loadWeights(*net, weightsPath, model);
    net->eval();
    torch::Tensor logits;
    {
        torch::NoGradGuard noGrad;
        logits = net->forward(input);
    }

    // C++: torch::jit::load of the same file.
    torch::jit::Module loaded = torch::jit::load(pt.toStdString());
    loaded.eval();
    torch::Tensor cppLogits;
    {
        torch::NoGradGuard noGrad;
        cppLogits = loaded.forward({input}).toTensor();
    }
    const double cppDiff = (cppLogits - logits).abs().max().item<double>();
    QVERIFY2(cppDiff <= 1e-5, qPrintable(QStringLiteral("torch::jit::load: max |diff| %1").arg(cppDiff)));

    // Python: torch.jit.load.
    c10::Dict<std::string, at::Tensor> dict;
    dict.insert("input", input);
    dict.insert("logits", logits);
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
    const QString ioPath = pt + QStringLiteral(".io.pth");
    writeFileAtomic(ioPath, QByteArray(bytes.data(), qsizetype(bytes.size())));
    const PythonRun run = runPython({QStringLiteral("torchscript"), pt, ioPath}, 300000);
    QVERIFY2(run.ok, qPrintable(QStringLiteral("torch.jit.load failed: ") + run.stderrText.right(800)));
    const QJsonObject result = QJsonDocument::fromJson(run.stdoutText.section(QLatin1Char('\n'), -1).toUtf8()).object();
    qInfo("python: max |diff| %.3g, C++: %.3g, %d parameters, onnx: %s %s", result.value(QStringLiteral("max_abs_diff")).toDouble(1),
          cppDiff, int(result.value(QStringLiteral("parameters")).toArray().size()),
          qPrintable(result.value(QStringLiteral("onnx")).toVariant().toString()),
          qPrintable(result.value(QStringLiteral("onnx_checked")).toString()));
    QVERIFY2(result.value(QStringLiteral("max_abs_diff")).toDouble(1.0) <= 1e-5, qPrintable(run.stdoutText));
    QVERIFY(result.value(QStringLiteral("trains")).toBool());
    QVERIFY(result.value(QStringLiteral("about")).toString().contains(QStringLiteral("exported by RankLab")));
    const QJsonArray parameters = result.value(QStringLiteral("parameters")).toArray();
    const QJsonArray buffers = result.value(QStringLiteral("buffers")).toArray();
    for (const QString& name : names)
        QVERIFY2(parameters.contains(name) || buffers.contains(name), qPrintable(name + QStringLiteral(" is not in the module")));
    // Parameters and buffers are RankLab's, name for name.
    QStringList ours;
    for (const auto& [name, tensor] : moduleStateDict(*net))
        ours << QString::fromStdString(name);
    QStringList theirs;
    for (const QString key : {QStringLiteral("parameters"), QStringLiteral("buffers")})
        for (const QJsonValue& v : result.value(key).toArray())
            theirs << v.toString();
    ours.sort();
    theirs.sort();
    QCOMPARE(theirs, ours);
    // The ONNX route where Debian's python3-torch can take it (the file itself is checked only with onnxruntime).
    if (result.contains(QStringLiteral("onnx_max_abs_diff")))
        QVERIFY(result.value(QStringLiteral("onnx_max_abs_diff")).toDouble(1.0) <= 1e-4);
}

void TestInterop::torchScriptExportRefusesClearly()
{
    // A layer type TorchScript export cannot express: one sentence, nothing written.
    class Unknown final : public ranklab::nn::Layer {
    public:
        Unknown() : Layer("Unknown") {}
        torch::Tensor forward(const torch::Tensor& x) override { return x; }
    };
    auto model = std::make_shared<ranklab::nn::Sequential>();
    model->push(std::make_shared<ranklab::nn::ReLU>()).push(std::make_shared<Unknown>());
    const QString out = fixture(QStringLiteral("unknown.pt"));
    QCOMPARE(errorOf([&] { exportTorchScript(*model, QStringLiteral("test"), out); }),
             QStringLiteral("TorchScript export does not support layer Unknown yet."));
    QVERIFY(!QFileInfo::exists(out));
    QCOMPARE(QDir(m_dir.path()).entryList({QStringLiteral("unknown.pt*")}, QDir::Files | QDir::Hidden), QStringList());

    // An unwritable path (below a file, which even root cannot write): one sentence from the CLI (exit 1), nothing written.
    auto lenet = ranklab::models::createModel(ranklab::defaultModelSpec(QStringLiteral("lenet5")));
    const QString weights = fixture(QStringLiteral("lenet5_default.pth"));
    exportStateDict(*lenet, weights);
    const QString unwritable = weights + QStringLiteral("/lenet5.pt");
    const ranklab::testing::CliResult r = ranklab::testing::runCli(
        {QStringLiteral("export"), QStringLiteral("--model"), QStringLiteral("lenet5"), QStringLiteral("--weights"), weights,
         QStringLiteral("--format"), QStringLiteral("torchscript"), QStringLiteral("--out"), unwritable});
    QCOMPARE(r.code, 1);
    QVERIFY2(ranklab::testing::oneClearSentence(r.err, "lenet5_default.pth"), r.err.constData());
    QVERIFY(QFileInfo(weights).isFile());
}

#include "test_interop.moc"

// Weights I/O: RankLab export and checkpoints, PyTorch state dicts and TorchScript written by real
// PyTorch (/usr/bin/python3 with python3-torch), strict loading, and damaged files.

#include <cmath>
#include <functional>
#include <random>

#include <torch/torch.h>

#include <QByteArray>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/torch_pickle.h"
#include "core/io/weights.h"

using ranklab::Error;
using namespace ranklab::io;

Q_DECLARE_METATYPE(ranklab::io::WeightsFormat)

namespace {

/// The model of tests/interop/make_weights_fixtures.py, built with LibTorch under the same names.
torch::nn::Sequential makeSmall(int outFeatures = 5)
{
    namespace nn = torch::nn;
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, 4, 3).padding(1)), nn::BatchNorm2d(4), nn::ReLU(),
                          nn::Flatten(), nn::Linear(4 * 6 * 6, outFeatures));
}

/// A different architecture, for "does not fit" messages with many differences.
torch::nn::Sequential makeOther()
{
    namespace nn = torch::nn;
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, 8, 3)), nn::BatchNorm2d(8), nn::ReLU(),
                          nn::Conv2d(nn::Conv2dOptions(8, 8, 3)), nn::BatchNorm2d(8), nn::Flatten(),
                          nn::Linear(8, 10), nn::Linear(10, 10));
}

StateDict snapshot(const torch::nn::Module& model)
{
    StateDict out;
    for (const auto& [name, t] : moduleStateDict(model))
        out.emplace_back(name, t.clone());
    return out;
}

bool sameTensors(const StateDict& a, const StateDict& b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].first != b[i].first || a[i].second.scalar_type() != b[i].second.scalar_type()
            || !torch::equal(a[i].second, b[i].second))
            return false;
    return true;
}

const torch::Tensor* find(const StateDict& sd, const std::string& name)
{
    for (const auto& [n, t] : sd)
        if (n == name)
            return &t;
    return nullptr;
}

/// Runs `body`; returns the ranklab::Error message, or a marker if it threw something else or nothing.
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

bool isOneSentence(const QString& message)
{
    return !message.startsWith(QLatin1Char('<')) && message.endsWith(QLatin1Char('.')) && !message.contains(QLatin1Char('\n'));
}

} // namespace

class TestWeights final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void moduleStateDictListsParametersAndBuffersInOrder();
    void exportRoundTripsThroughReadStateDict();
    void checkpointRoundTrips();
    void mismatchListsDifferencesAndLeavesModelUntouched();
    void mismatchWithAnotherArchitectureCountsTheRest();
    void loadConvertsDtypes();
    void badFilesGiveOneSentence_data();
    void badFilesGiveOneSentence();

    void pythonFilesLoadAndReproduceOutputs_data();
    void pythonFilesLoadAndReproduceOutputs();
    void pythonCheckpointFormsLoadLikePyTorch_data();
    void pythonCheckpointFormsLoadLikePyTorch();
    void pythonCheckpointOfAnotherModelIsRefusedClearly();
    void pythonParametersOnlyFileNamesParameters();
    void pythonDtypesAndViewsReadExactly();
    void pythonRejectsAreClear_data();
    void pythonRejectsAreClear();
    void pythonReadsRankLabExportAndCheckpoint();

    void flippedWeightBitIsDetected();
    void damagedFilesThrowErrorNeverCrash_data();
    void damagedFilesThrowErrorNeverCrash();
    void damagedPickleThrowsErrorNeverCrash();

private:
    void requirePython();
    QString fixture(const QString& name) const { return m_fixtures.filePath(name); }

    QTemporaryDir m_dir;
    QDir m_fixtures;
    bool m_python = false;
    QString m_pythonProblem;
};

void TestWeights::initTestCase()
{
    QVERIFY(m_dir.isValid());
    torch::manual_seed(1);
    m_fixtures = QDir(m_dir.filePath(QStringLiteral("fixtures")));
    QProcess python;
    python.setProcessChannelMode(QProcess::MergedChannels);
    python.start(QStringLiteral(RANKLAB_PYTHON),
                 {QStringLiteral(RANKLAB_SOURCE_DIR "/tests/interop/make_weights_fixtures.py"), QStringLiteral("make"),
                  m_fixtures.absolutePath()});
    if (!python.waitForFinished(180000) || python.exitStatus() != QProcess::NormalExit || python.exitCode() != 0) {
        const QString output = QString::fromUtf8(python.readAll()).trimmed();
        m_pythonProblem = output.contains(QStringLiteral("No module named 'torch'")) || python.error() == QProcess::FailedToStart
                              ? QStringLiteral("%1 with python3-torch is not available").arg(QStringLiteral(RANKLAB_PYTHON))
                              : QStringLiteral("make_weights_fixtures.py failed: %1").arg(output.right(600));
        qWarning("%s", qPrintable(m_pythonProblem));
        return;
    }
    m_python = true;
}

void TestWeights::requirePython()
{
    if (!m_python && m_pythonProblem.contains(QStringLiteral("not available")))
        QSKIP(qPrintable(m_pythonProblem));
    QVERIFY2(m_python, qPrintable(m_pythonProblem));
}

void TestWeights::moduleStateDictListsParametersAndBuffersInOrder()
{
    auto model = makeSmall();
    const StateDict sd = moduleStateDict(*model);
    QStringList names;
    for (const auto& [name, t] : sd)
        names << QString::fromStdString(name);
    QCOMPARE(names, (QStringList{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                 "1.num_batches_tracked", "4.weight", "4.bias"}));
    QCOMPARE(find(sd, "1.num_batches_tracked")->scalar_type(), torch::kLong);
    QVERIFY(!find(sd, "0.weight")->requires_grad());

    // A disabled bias is not listed.
    torch::nn::Conv2d noBias(torch::nn::Conv2dOptions(3, 4, 3).bias(false));
    QCOMPARE(moduleStateDict(*noBias).size(), std::size_t(1));
}

void TestWeights::exportRoundTripsThroughReadStateDict()
{
    auto a = makeSmall();
    a->train();
    a->forward(torch::randn({4, 3, 6, 6})); // non-trivial running stats, num_batches_tracked = 1
    const QString path = m_dir.filePath(QStringLiteral("out/sub/export.pth"));
    exportStateDict(*a, path);
    QVERIFY(QFile::exists(path));

    WeightsFormat format{};
    const StateDict read = readStateDict(path, &format);
    QCOMPARE(format, WeightsFormat::PyTorchZip);
    QVERIFY(sameTensors(read, moduleStateDict(*a)));

    auto b = makeSmall();
    loadWeights(*b, path);
    QVERIFY(sameTensors(moduleStateDict(*b), moduleStateDict(*a)));
    QCOMPARE(find(moduleStateDict(*b), "1.num_batches_tracked")->item<std::int64_t>(), std::int64_t(1));
    a->eval();
    b->eval();
    const torch::Tensor x = torch::randn({2, 3, 6, 6});
    QVERIFY(torch::equal(a->forward(x), b->forward(x)));
}

void TestWeights::checkpointRoundTrips()
{
    auto model = makeSmall();
    Checkpoint ckpt;
    ckpt.model = moduleStateDict(*model);
    ckpt.optimizer = {{"state.0.momentum_buffer", torch::randn({4, 3, 3, 3})}, {"param_groups.0.lr", torch::tensor(0.1)}};
    ckpt.meta = QJsonObject{{"epoch", 7}, {"model", "small"}, {"acc", QJsonArray{0.5, 0.75}}};
    const QString path = m_dir.filePath(QStringLiteral("ckpt.rlk"));
    writeCheckpoint(path, ckpt);

    const Checkpoint back = readCheckpoint(path);
    QVERIFY(sameTensors(back.model, ckpt.model));
    QVERIFY(sameTensors(back.optimizer, ckpt.optimizer));
    QCOMPARE(back.meta, ckpt.meta);

    WeightsFormat format{};
    const StateDict sd = readStateDict(path, &format);
    QCOMPARE(format, WeightsFormat::RankLab);
    QVERIFY(sameTensors(sd, ckpt.model));

    // An export is a state dict, not a checkpoint.
    const QString exportPath = m_dir.filePath(QStringLiteral("not_a_checkpoint.pth"));
    exportStateDict(*model, exportPath);
    const QString message = errorOf([&] { readCheckpoint(exportPath); });
    QCOMPARE(message, QStringLiteral("not_a_checkpoint.pth is not a RankLab checkpoint."));
}

void TestWeights::mismatchListsDifferencesAndLeavesModelUntouched()
{
    auto model = makeSmall();
    const StateDict before = snapshot(*model);

    StateDict sd = moduleStateDict(*makeSmall(7)); // fc is [7,144] instead of [5,144]
    sd.erase(sd.begin());                          // drop 0.weight
    sd.emplace_back("extra.weight", torch::zeros({2}));
    for (auto& [name, t] : sd)
        t = t + 1; // values differ from the model's, so a partial copy would show

    const QString message = errorOf([&] { loadStateDict(*model, sd, QStringLiteral("weights.pth"), QStringLiteral("small")); });
    QVERIFY2(isOneSentence(message), qPrintable(message));
    QVERIFY2(message.startsWith(QStringLiteral("weights.pth does not fit small: missing 0.weight; unexpected extra.weight; "
                                               "shape of 4.weight is [7,144] in the file but [5,144] in the model")),
             qPrintable(message));
    QVERIFY2(message.endsWith(QStringLiteral("(and 1 more difference).")), qPrintable(message)); // 4.bias
    QVERIFY(sameTensors(snapshot(*model), before));
}

void TestWeights::mismatchWithAnotherArchitectureCountsTheRest()
{
    auto model = makeSmall();
    const StateDict before = snapshot(*model);
    const QString message = errorOf([&] { loadStateDict(*model, moduleStateDict(*makeOther()), QStringLiteral("other.pth")); });
    QVERIFY2(isOneSentence(message), qPrintable(message));
    QVERIFY2(message.startsWith(QStringLiteral("other.pth does not fit Sequential: ")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("more differences).")), qPrintable(message));
    QVERIFY(sameTensors(snapshot(*model), before));
}

void TestWeights::loadConvertsDtypes()
{
    auto source = makeSmall();
    StateDict sd = moduleStateDict(*source);
    for (auto& [name, t] : sd)
        if (t.is_floating_point())
            t = t.to(torch::kDouble);
    auto model = makeSmall();
    loadStateDict(*model, sd, QStringLiteral("double.pth"));
    for (const auto& [name, t] : moduleStateDict(*model)) {
        QCOMPARE(t.scalar_type(), find(moduleStateDict(*source), name)->scalar_type());
        QVERIFY(torch::equal(t, *find(moduleStateDict(*source), name)));
    }
}

void TestWeights::badFilesGiveOneSentence_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("content"); // written unless "<missing>" or "<folder>"
    QTest::addColumn<QString>("expected");   // a part of the message

    QTest::newRow("missing") << "missing.pth" << QByteArray("<missing>") << "missing.pth does not exist.";
    QTest::newRow("folder") << "folder.pth" << QByteArray("<folder>") << "folder.pth is a folder, not a weights file.";
    QTest::newRow("empty") << "empty.pth" << QByteArray() << "empty.pth is empty.";
    QTest::newRow("text") << "notes.pth" << QByteArray("hello, world\n")
                          << "notes.pth is not a PyTorch, TorchScript or RankLab weights file.";
    QTest::newRow("plain pickle") << "plain.pkl" << QByteArray("\x80\x02}q\x00.", 6)
                                  << "plain.pkl is a plain Python pickle, not a torch.save file";
    QTest::newRow("zip header only") << "stub.pth" << QByteArray("PK\x03\x04garbage", 11)
                                     << "stub.pth is damaged or not a weights file (";
}

void TestWeights::badFilesGiveOneSentence()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const QString path = m_dir.filePath(QStringLiteral("bad/") + name);
    QDir().mkpath(m_dir.filePath(QStringLiteral("bad")));
    if (content == "<folder>") {
        QDir().mkpath(path);
    } else if (content != "<missing>") {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
    }
    const QString message = errorOf([&] { readStateDict(path); });
    QVERIFY2(isOneSentence(message), qPrintable(message));
    QVERIFY2(message.contains(expected), qPrintable(message));
    auto model = makeSmall();
    const StateDict before = snapshot(*model);
    QCOMPARE(errorOf([&] { loadWeights(*model, path); }), message);
    QVERIFY(sameTensors(snapshot(*model), before));
}

void TestWeights::pythonFilesLoadAndReproduceOutputs_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<WeightsFormat>("format");
    QTest::newRow("OrderedDict state dict") << "sd_default.pth" << WeightsFormat::PyTorchZip;
    QTest::newRow("pickle protocol 4") << "sd_proto4.pth" << WeightsFormat::PyTorchZip;
    QTest::newRow("wrapped under state_dict") << "sd_wrapped.pth" << WeightsFormat::PyTorchZip;
    QTest::newRow("wrapped under model") << "sd_model.pth" << WeightsFormat::PyTorchZip;
    QTest::newRow("module. prefix") << "sd_module.pth" << WeightsFormat::PyTorchZip;
    QTest::newRow("TorchScript scripted") << "script.pt" << WeightsFormat::TorchScript;
    QTest::newRow("TorchScript traced") << "traced.pt" << WeightsFormat::TorchScript;
}

void TestWeights::pythonFilesLoadAndReproduceOutputs()
{
    requirePython();
    QFETCH(QString, file);
    QFETCH(WeightsFormat, format);

    const StateDict io = readStateDict(fixture(QStringLiteral("io.pth")));
    QVERIFY(find(io, "input") && find(io, "output"));

    WeightsFormat detected{};
    const StateDict sd = readStateDict(fixture(file), &detected);
    QCOMPARE(detected, format);
    QStringList names;
    for (const auto& [name, t] : sd)
        names << QString::fromStdString(name);
    QCOMPARE(names, (QStringList{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                 "1.num_batches_tracked", "4.weight", "4.bias"}));
    QCOMPARE(find(sd, "1.num_batches_tracked")->item<std::int64_t>(), std::int64_t(3));

    auto model = makeSmall();
    loadStateDict(*model, sd, file);
    model->eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor y = model->forward(*find(io, "input"));
    const double diff = (y - *find(io, "output")).abs().max().item<double>();
    QVERIFY2(diff < 1e-5, qPrintable(QStringLiteral("max |diff| %1").arg(diff)));
}

void TestWeights::pythonCheckpointFormsLoadLikePyTorch_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("notes");  // what loadWeights says it did
    QTest::addColumn<QString>("output");     // io.pth's entry PyTorch computed with these weights
    QTest::addColumn<qint64>("counter");     // 1.num_batches_tracked after loading
    QTest::newRow("tutorial checkpoint")
        << "tutorial.pth"
        << QStringList{"tutorial.pth: the weights are its entry ['model_state_dict']; the other entries (epoch, "
                       "optimizer_state_dict, loss) are not used."}
        << "output" << qint64(3);
    QTest::newRow("no num_batches_tracked, no _metadata")
        << "sd_no_counters.pth"
        << QStringList{"sd_no_counters.pth has no num_batches_tracked for 1 BatchNorm layer; set to 0, as PyTorch does."}
        << "output" << qint64(0);
    QTest::newRow("Lightning checkpoint")
        << "lightning.ckpt"
        << QStringList{"lightning.ckpt: the weights are its entry ['state_dict']; the other entries (epoch, global_step, "
                       "pytorch-lightning_version, optimizer_states, lr_schedulers, hyper_parameters) are not used.",
                       "lightning.ckpt: every weight name starts with 'model.'; loaded them without it."}
        << "output" << qint64(3);
    QTest::newRow("nn.DataParallel") << "sd_module.pth"
                                     << QStringList{"sd_module.pth: every weight name starts with 'module.'; loaded them without it."}
                                     << "output" << qint64(3);
    QTest::newRow("half") << "sd_half.pth" << QStringList{} << "output_half" << qint64(3);
    QTest::newRow("double") << "sd_double.pth" << QStringList{} << "output" << qint64(3);
}

void TestWeights::pythonCheckpointFormsLoadLikePyTorch()
{
    requirePython();
    QFETCH(QString, file);
    QFETCH(QStringList, notes);
    QFETCH(QString, output);
    QFETCH(qint64, counter);
    const StateDict io = readStateDict(fixture(QStringLiteral("io.pth")));
    auto model = makeSmall();
    const LoadedWeights loaded = loadWeights(*model, fixture(file));
    QCOMPARE(loaded.format, WeightsFormat::PyTorchZip);
    QCOMPARE(loaded.notes, notes);
    QCOMPARE(find(moduleStateDict(*model), "1.num_batches_tracked")->item<std::int64_t>(), std::int64_t(counter));
    QCOMPARE(find(moduleStateDict(*model), "0.weight")->scalar_type(), torch::kFloat);
    model->eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor y = model->forward(*find(io, "input"));
    const double diff = (y - *find(io, output.toStdString())).abs().max().item<double>();
    QVERIFY2(diff < 1e-5, qPrintable(QStringLiteral("max |diff| %1").arg(diff)));
}

void TestWeights::pythonCheckpointOfAnotherModelIsRefusedClearly()
{
    requirePython();
    for (const char* file : {"tutorial.pth", "lightning.ckpt", "sd_no_counters.pth"}) {
        auto other = makeOther();
        const StateDict before = snapshot(*other);
        const QString message = errorOf([&] { loadWeights(*other, fixture(QString::fromLatin1(file))); });
        QVERIFY2(isOneSentence(message), qPrintable(message));
        QVERIFY2(message.startsWith(QStringLiteral("%1 does not fit Sequential: missing ").arg(QLatin1String(file))), qPrintable(message));
        QVERIFY(sameTensors(snapshot(*other), before));
    }
}

void TestWeights::pythonParametersOnlyFileNamesParameters()
{
    requirePython();
    const StateDict sd = readStateDict(fixture(QStringLiteral("params.pth")));
    QCOMPARE(sd.size(), std::size_t(6));
    QVERIFY(!find(sd, "0.weight")->requires_grad());
    // Strict loading names the missing buffers.
    auto model = makeSmall();
    const QString message = errorOf([&] { loadStateDict(*model, sd, QStringLiteral("params.pth")); });
    QVERIFY2(message.startsWith(QStringLiteral("params.pth does not fit Sequential: missing 1.running_mean; missing "
                                               "1.running_var; missing 1.num_batches_tracked.")),
             qPrintable(message));
}

void TestWeights::pythonDtypesAndViewsReadExactly()
{
    requirePython();
    const StateDict sd = readStateDict(fixture(QStringLiteral("dtypes.pth")));
    const torch::Tensor base = torch::arange(24).reshape({2, 3, 4});
    const std::pair<const char*, torch::ScalarType> dtypes[] = {
        {"float32", torch::kFloat}, {"float64", torch::kDouble}, {"float16", torch::kHalf}, {"bfloat16", torch::kBFloat16},
        {"int64", torch::kLong},    {"int32", torch::kInt},      {"int16", torch::kShort},  {"int8", torch::kChar},
        {"uint8", torch::kByte}};
    for (const auto& [name, dtype] : dtypes) {
        const torch::Tensor* t = find(sd, name);
        QVERIFY2(t, name);
        QCOMPARE(t->scalar_type(), dtype);
        QVERIFY2(torch::equal(*t, base.to(dtype)), name);
    }
    QVERIFY(torch::equal(*find(sd, "bool"), base.remainder(2) == 1));
    QVERIFY(torch::equal(*find(sd, "negative_int64"), torch::tensor({-(std::int64_t(1) << 40), std::int64_t(-5), std::int64_t(7)})));
    const torch::Tensor shared = torch::arange(12, torch::kFloat);
    QVERIFY(torch::equal(*find(sd, "transposed"), shared.reshape({3, 4}).t()));
    QCOMPARE(find(sd, "transposed")->strides().vec(), (std::vector<std::int64_t>{1, 4}));
    QVERIFY(torch::equal(*find(sd, "offset"), shared.slice(0, 3, 7)));
    QCOMPARE(find(sd, "offset")->storage_offset(), std::int64_t(3));
    QCOMPARE(find(sd, "scalar")->dim(), std::int64_t(0));
    QCOMPARE(find(sd, "scalar")->item<float>(), 2.5f);
    QCOMPARE(find(sd, "empty")->sizes().vec(), (std::vector<std::int64_t>{0, 3}));
    QVERIFY(torch::equal(*find(sd, "expanded"), torch::arange(3, torch::kFloat).expand({4, 3})));
}

void TestWeights::pythonRejectsAreClear_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected");
    QTest::newRow("legacy format") << "legacy.pth"
                                   << "legacy.pth was written in PyTorch's legacy (pre-1.6) format, which RankLab cannot read";
    QTest::newRow("whole pickled model")
        << "whole_model.pth" << "whole_model.pth holds a pickled Python object (torch.nn.modules.container.Sequential)";
    QTest::newRow("not weights") << "io.pth" << "io.pth does not fit Sequential: missing 0.weight; unexpected input";
    // A TorchScript tensor record shorter than its tensor (CRCs valid): LibTorch alone would read past it.
    QTest::newRow("TorchScript short record")
        << "script_short_record.pt"
        << "script_short_record.pt is damaged or not a weights file (tensor data ";
}

void TestWeights::pythonRejectsAreClear()
{
    requirePython();
    QFETCH(QString, file);
    QFETCH(QString, expected);
    auto model = makeSmall();
    const QString message = errorOf([&] { loadWeights(*model, fixture(file)); });
    QVERIFY2(isOneSentence(message), qPrintable(message));
    QVERIFY2(message.startsWith(expected), qPrintable(message));
}

void TestWeights::pythonReadsRankLabExportAndCheckpoint()
{
    requirePython();
    auto model = makeSmall();
    loadWeights(*model, fixture(QStringLiteral("sd_default.pth")));
    exportStateDict(*model, fixture(QStringLiteral("export.pth")));
    Checkpoint ckpt{moduleStateDict(*model), {{"state.0.momentum_buffer", torch::ones({4, 3, 3, 3})}}, QJsonObject{{"epoch", 2}}};
    writeCheckpoint(fixture(QStringLiteral("checkpoint.rlk")), ckpt);

    QProcess python;
    python.setProcessChannelMode(QProcess::MergedChannels);
    python.start(QStringLiteral(RANKLAB_PYTHON), {QStringLiteral(RANKLAB_SOURCE_DIR "/tests/interop/make_weights_fixtures.py"),
                                                  QStringLiteral("check"), m_fixtures.absolutePath()});
    QVERIFY(python.waitForFinished(120000));
    const QString output = QString::fromUtf8(python.readAll()).trimmed();
    QVERIFY2(python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0, qPrintable(output));
    QVERIFY2(output.startsWith(QStringLiteral("ok ")), qPrintable(output));
}

void TestWeights::flippedWeightBitIsDetected()
{
    auto model = makeSmall();
    const QString path = m_dir.filePath(QStringLiteral("checksum.pth"));
    exportStateDict(*model, path);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QByteArray bytes = file.readAll();
    file.close();
    const torch::Tensor weight = find(moduleStateDict(*model), "4.weight")->contiguous();
    const QByteArray raw(static_cast<const char*>(weight.data_ptr()), qsizetype(weight.nbytes()));
    const qsizetype at = bytes.indexOf(raw);
    QVERIFY(at > 0);
    bytes[at + raw.size() / 2] = char(bytes[at + raw.size() / 2] ^ 0x01); // one bit of one weight
    const QString damaged = m_dir.filePath(QStringLiteral("checksum_damaged.pth"));
    QFile out(damaged);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(bytes);
    out.close();
    const QString message = errorOf([&] { readStateDict(damaged); });
    QVERIFY2(message.startsWith(QStringLiteral("checksum_damaged.pth is damaged or not a weights file (the checksum of data/"))
                 && message.endsWith(QStringLiteral(" does not match).")),
             qPrintable(message));
}

void TestWeights::damagedFilesThrowErrorNeverCrash_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("needsPython");
    QTest::newRow("RankLab export") << "export" << false;
    QTest::newRow("RankLab checkpoint") << "checkpoint" << false;
    QTest::newRow("PyTorch state dict") << "sd_wrapped.pth" << true;
    QTest::newRow("TorchScript") << "script.pt" << true;
}

void TestWeights::damagedFilesThrowErrorNeverCrash()
{
    QFETCH(QString, file);
    QFETCH(bool, needsPython);
    QString path;
    if (needsPython) {
        requirePython();
        path = fixture(file);
    } else if (file == QStringLiteral("export")) {
        path = m_dir.filePath(QStringLiteral("damage_source.pth"));
        exportStateDict(*makeSmall(), path);
    } else {
        path = m_dir.filePath(QStringLiteral("damage_source.rlk"));
        writeCheckpoint(path, Checkpoint{moduleStateDict(*makeSmall()), {}, QJsonObject{{"epoch", 1}}});
    }
    QFile source(path);
    QVERIFY(source.open(QIODevice::ReadOnly));
    const QByteArray original = source.readAll();
    QVERIFY(original.size() > 1000);

    const QString damaged = m_dir.filePath(QStringLiteral("damaged.pth"));
    int failures = 0, loads = 0, tries = 0;
    const auto attempt = [&](const QByteArray& bytes, const QString& what) {
        QFile out(damaged);
        QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        out.write(bytes);
        out.close();
        ++tries;
        auto model = makeSmall();
        const QString message = errorOf([&] {
            readStateDict(damaged);
            loadWeights(*model, damaged);
            if (file == QStringLiteral("checkpoint"))
                readCheckpoint(damaged);
        });
        if (message == QStringLiteral("<no exception>")) {
            ++loads;
            return;
        }
        ++failures;
        QVERIFY2(isOneSentence(message), qPrintable(what + QStringLiteral(": ") + message));
    };

    // Truncation at many points, including inside the zip directory at the end.
    for (int i = 0; i < 48; ++i) {
        const qsizetype cut = original.size() * i / 48;
        attempt(original.left(cut), QStringLiteral("truncated at %1").arg(cut));
    }
    for (qsizetype back = 1; back <= 64; back += 7)
        attempt(original.left(original.size() - back), QStringLiteral("truncated %1 bytes early").arg(back));

    // Byte flips, everywhere, and denser in the headers and the central directory at the end.
    std::mt19937 rng(1234);
    std::uniform_int_distribution<qsizetype> anywhere(0, original.size() - 1);
    std::uniform_int_distribution<qsizetype> tail(std::max<qsizetype>(0, original.size() - 200), original.size() - 1);
    std::uniform_int_distribution<int> byteValue(0, 255);
    for (int i = 0; i < 200; ++i) {
        QByteArray bytes = original;
        const qsizetype at = i % 2 ? anywhere(rng) : (i % 4 ? tail(rng) : qsizetype(i % 128));
        const char value = i % 3 ? char(byteValue(rng)) : char(bytes[at] ^ 0xff);
        bytes[at] = value;
        attempt(bytes, QStringLiteral("byte %1 set to %2").arg(at).arg(int(uchar(value))));
    }
    qInfo("%s: %d damaged versions, %d refused with one sentence, %d still loaded", qPrintable(file), tries, failures, loads);
    QVERIFY(failures > 48);
}

void TestWeights::damagedPickleThrowsErrorNeverCrash()
{
    requirePython();
    // The pickle of a rich training checkpoint (dicts, lists, floats, a Namespace, a set, bytes, tensors),
    // fed to the unpickler directly so the zip's own checks cannot shield it.
    pickle::TorchZip zip(fixture(QStringLiteral("sd_wrapped.pth")));
    const std::string original = zip.readRecord("data.pkl");
    const pickle::PersistentLoader loader = [](const pickle::Value& pid) -> pickle::Value {
        if (pid->kind != pickle::Kind::Tuple || pid->items.size() != 5 || pid->items[4]->kind != pickle::Kind::Int
            || pid->items[4]->integer < 0 || pid->items[4]->integer > 100000)
            throw Error("bad persistent id.");
        auto storage = std::make_shared<pickle::Object>();
        storage->kind = pickle::Kind::Storage;
        storage->tensor = torch::zeros({pid->items[4]->integer});
        return storage;
    };
    {
        const pickle::Unpickled doc = pickle::unpickle(original.data(), original.size(), loader, QStringLiteral("x.pth"));
        QCOMPARE(doc.root->kind, pickle::Kind::Dict);
        QCOMPARE(doc.root->find("epoch")->integer, std::int64_t(3));
        QCOMPARE(doc.root->find("best_acc")->real, 0.5);
        QCOMPARE(doc.root->find("args")->kind, pickle::Kind::Opaque);
        QCOMPARE(doc.root->find("args")->text, std::string("argparse.Namespace"));
        QCOMPARE(doc.root->find("blob")->kind, pickle::Kind::Bytes);
        QCOMPARE(doc.root->find("blob")->text, std::string("\x00\x01", 2));
        QCOMPARE(pickle::tensorEntries(doc.root->find("state_dict"), QStringLiteral("x.pth")).size(), std::size_t(9));
    }
    int failures = 0, tries = 0;
    const auto attempt = [&](const std::string& bytes) {
        ++tries;
        try {
            const pickle::Unpickled doc = pickle::unpickle(bytes.data(), bytes.size(), loader, QStringLiteral("x.pth"));
        } catch (const Error& e) {
            ++failures;
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(isOneSentence(message), qPrintable(message));
        }
    };
    for (std::size_t cut = 0; cut < original.size(); ++cut)
        attempt(original.substr(0, cut));
    QCOMPARE(failures, tries); // every truncation is refused
    for (std::size_t at = 0; at < original.size(); ++at) {
        for (const unsigned char value : {0x00, 0x28, 0x2e, 0x71, 0x68, 0x7f, 0xff}) {
            std::string bytes = original;
            bytes[at] = char(value);
            attempt(bytes);
        }
    }
    // Hostile input: more values than the stack allows, a list that contains itself, and 300 000 nested
    // lists (built without recursion, and they must be torn down without it too).
    const int refusedBefore = failures;
    attempt("\x80\x02" + std::string(1100000, 'N') + ".");
    QCOMPARE(failures, refusedBefore + 1);
    attempt(std::string("\x80\x02]q\x00h\x00" "a.", 9));
    std::string nested = "\x80\x02";
    nested += std::string(300000, ']');
    nested += std::string(299999, 'a'); // each list appended to the one below it
    nested += ".";
    {
        const pickle::Unpickled doc = pickle::unpickle(nested.data(), nested.size(), loader, QStringLiteral("deep.pth"));
        QCOMPARE(doc.root->kind, pickle::Kind::List);
    }
    qInfo("%d damaged pickles, %d refused", tries, failures);
}

QTEST_GUILESS_MAIN(TestWeights)
#include "test_weights.moc"

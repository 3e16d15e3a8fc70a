#include "core/search/sweep_result.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include "core/error.h"
#include "core/printable_text.h"
#include "core/io/atomic_file.h"
#include "core/search/sweep_files.h"
#include "core/train/train_params.h"

namespace ranklab::search {

namespace {

QJsonObject withoutThreads(QJsonObject train)
{
    train.remove(QStringLiteral("threads"));
    return train;
}

QVector<int> intsFromJson(const QJsonValue& value)
{
    QVector<int> v;
    for (const QJsonValue& x : value.toArray())
        v.push_back(x.toInt());
    return v;
}

QJsonArray toJsonArray(const QVector<int>& v)
{
    QJsonArray a;
    for (int x : v)
        a.append(x);
    return a;
}

/// Bounds of a believable run: a training of more than ~30 years or a model of more than 10¹³ parameters
/// is a damaged file (and sums of such figures, e.g. the time of a layer combination, would overflow).
constexpr double kMaxRunSeconds = 1e9;
constexpr qint64 kMaxRunParams = 10000000000000LL;

/// A finite number stored under `key`, or an Error naming the key and the file.
double requiredNumber(const QJsonObject& o, const QString& key, const QString& file)
{
    const QJsonValue v = o.value(key);
    if (!v.isDouble() || !std::isfinite(v.toDouble()))
        throw Error(QStringLiteral("%1 has no number \"%2\"").arg(file, key));
    return v.toDouble();
}

/// A parameter count stored under `key` (checked before the conversion to an integer).
qint64 requiredCount(const QJsonObject& o, const QString& key, const QString& file)
{
    const double v = requiredNumber(o, key, file);
    if (v <= 0 || v > double(kMaxRunParams))
        throw Error(QStringLiteral("%1 holds an impossible \"%2\": %3").arg(file, key).arg(v));
    return qint64(v);
}

/// Reads a finished trained run's summary; throws Error (a sentence fragment without the final period)
/// when it is corrupt, unfinished or foreign to the sweep.
struct RunRead {
    double accuracy = 0, loss = 0, seconds = 0;
    qint64 params = 0;
    double reconstructionError = -1;
};

RunRead readTrainedRun(const QString& runDir, const QJsonObject& sweepTrain, const QJsonObject& expectedJob,
                       bool basisRun)
{
    const QDir dir(runDir);
    const QString summaryPath = dir.filePath(files::kSummaryFile);
    QJsonObject summary, params;
    try {
        summary = io::readJsonObject(summaryPath);
        params = io::readJsonObject(dir.filePath(files::kParamsFile));
    } catch (const Error& e) {
        QString what = QString::fromUtf8(e.what());
        if (what.endsWith(QLatin1Char('.')))
            what.chop(1);
        throw Error(what);
    }
    if (summary.value(QStringLiteral("status")).toString() != QLatin1String("completed"))
        throw Error(QStringLiteral("%1 does not say the run completed").arg(summaryPath));
    if (withoutThreads(params.value(QStringLiteral("params")).toObject()) != withoutThreads(sweepTrain))
        throw Error(QStringLiteral("%1 was trained with other parameters than this sweep (another model, data or schedule)")
                        .arg(dir.filePath(files::kParamsFile)));
    if (params.value(QStringLiteral("job")).toObject() != expectedJob)
        throw Error(QStringLiteral("%1 put basis convolutions elsewhere or of another size than this sweep")
                        .arg(dir.filePath(files::kParamsFile)));
    RunRead r;
    r.accuracy = requiredNumber(summary, QStringLiteral("final_test_top1"), summaryPath);
    r.loss = requiredNumber(summary, QStringLiteral("final_test_loss"), summaryPath);
    r.seconds = requiredNumber(summary, QStringLiteral("train_seconds"), summaryPath);
    r.params = requiredCount(summary, basisRun ? QStringLiteral("basis_params") : QStringLiteral("params"), summaryPath);
    if (r.accuracy < 0 || r.accuracy > 1 || r.seconds < 0 || r.seconds > kMaxRunSeconds || r.params <= 0
        || r.params > kMaxRunParams)
        throw Error(QStringLiteral("%1 holds impossible figures").arg(summaryPath));
    if (basisRun) {
        double sum = 0;
        int n = 0;
        for (const QJsonValue& layer : summary.value(QStringLiteral("basis_layers")).toArray()) {
            sum += layer.toObject().value(QStringLiteral("reconstruction_error")).toDouble();
            ++n;
        }
        r.reconstructionError = n ? sum / n : -1;
    }
    return r;
}

RunRead readProxyEntry(const QString& path)
{
    QJsonObject o;
    try {
        o = io::readJsonObject(path);
    } catch (const Error& e) {
        QString what = QString::fromUtf8(e.what());
        if (what.endsWith(QLatin1Char('.')))
            what.chop(1);
        throw Error(what);
    }
    RunRead r;
    r.accuracy = requiredNumber(o, QStringLiteral("accuracy"), path);
    r.loss = requiredNumber(o, QStringLiteral("loss"), path);
    r.seconds = requiredNumber(o, QStringLiteral("seconds"), path);
    r.params = requiredCount(o, QStringLiteral("params"), path);
    r.reconstructionError = requiredNumber(o, QStringLiteral("reconstruction_error"), path);
    if (r.accuracy < 0 || r.accuracy > 1 || r.params <= 0 || r.params > kMaxRunParams || r.seconds < 0
        || r.seconds > kMaxRunSeconds)
        throw Error(QStringLiteral("%1 holds impossible figures").arg(path));
    return r;
}

QString csvField(QString text)
{
    if (text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"'))) {
        text.replace(QLatin1String("\""), QLatin1String("\"\""));
        return QLatin1Char('"') + text + QLatin1Char('"');
    }
    return text;
}

QVector<double> averageRanks(const QVector<double>& x)
{
    const int n = int(x.size());
    std::vector<int> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&x](int a, int b) { return x[a] < x[b]; });
    QVector<double> ranks(n);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && x[order[size_t(j + 1)]] == x[order[size_t(i)]])
            ++j;
        const double rank = 0.5 * (i + j) + 1;
        for (int k = i; k <= j; ++k)
            ranks[order[size_t(k)]] = rank;
        i = j + 1;
    }
    return ranks;
}

} // namespace

QString sweepKindName(SweepKind kind)
{
    switch (kind) {
    case SweepKind::Layers: return QStringLiteral("sweep");
    case SweepKind::Groups: return QStringLiteral("groups");
    case SweepKind::Proxy: return QStringLiteral("proxy-sweep");
    }
    return {};
}

SweepKind parseSweepKind(const QString& text)
{
    for (SweepKind k : {SweepKind::Layers, SweepKind::Groups, SweepKind::Proxy})
        if (sweepKindName(k) == text)
            return k;
    throw Error(QStringLiteral("unknown sweep kind '%1'; expected sweep, groups or proxy-sweep.").arg(printableText(text)));
}

SweepResult loadSweep(const QString& dir)
{
    const QDir root(dir);
    const QString sweepPath = root.filePath(files::kSweepFile);
    if (!QFileInfo::exists(sweepPath))
        throw Error(QStringLiteral("%1 is not a sweep folder: it has no %2.").arg(dir, files::kSweepFile));
    QJsonObject sweep;
    try {
        sweep = io::readJsonObject(sweepPath);
    } catch (const Error& e) {
        throw Error(QStringLiteral("%1 is not a usable sweep folder: %2").arg(dir, QString::fromUtf8(e.what())));
    }
    SweepResult result;
    result.dir = dir;
    try {
        result.kind = parseSweepKind(sweep.value(QStringLiteral("kind")).toString());
        result.basis = basis::basisSpecFromJson(sweep.value(QStringLiteral("basis")).toObject());
        result.method = sweep.value(QStringLiteral("method")).toObject();
    } catch (const Error& e) {
        throw Error(QStringLiteral("%1 is corrupt: %2").arg(sweepPath, QString::fromUtf8(e.what())));
    }
    const QJsonObject model = sweep.value(QStringLiteral("model")).toObject();
    result.model = modelSpecFromJson(model);
    result.dataset = sweep.value(QStringLiteral("dataset")).toString();
    result.epochs = sweep.value(QStringLiteral("epochs")).toInt();
    result.skipEpochs = sweep.value(QStringLiteral("skip_epochs")).toInt();
    result.params = sweep.value(QStringLiteral("params")).toObject();
    const QJsonObject sweepTrain = result.params.value(QStringLiteral("train")).toObject();
    const QJsonArray entries = sweep.value(QStringLiteral("entries")).toArray();
    if (result.model.name.isEmpty() || sweepTrain.isEmpty() || entries.isEmpty())
        throw Error(QStringLiteral("%1 is corrupt: it lacks the model, the parameters or the entries.").arg(sweepPath));

    // The baseline: without it there is no accuracy drop to compute.
    const QString baselineDir = root.filePath(files::kBaselineDir);
    if (!QFileInfo::exists(QDir(baselineDir).filePath(files::kSummaryFile)))
        throw Error(QStringLiteral("the sweep in %1 has no finished baseline run (%2); run the sweep again to finish it.")
                        .arg(dir, baselineDir));
    RunRead base;
    try {
        base = readTrainedRun(baselineDir, sweepTrain, QJsonObject{}, false);
    } catch (const Error& e) {
        throw Error(QStringLiteral("the baseline run of the sweep in %1 cannot be used: %2.").arg(dir, QString::fromUtf8(e.what())));
    }
    result.baseline.accuracy = base.accuracy;
    result.baseline.loss = base.loss;
    result.baseline.seconds = base.seconds;
    result.baseline.params = base.params;
    result.baseline.runDir = files::kBaselineDir;
    if (result.kind == SweepKind::Proxy) {
        // The proxy's accuracies are measured on its own evaluation batches; so is its baseline accuracy.
        const QString path = root.filePath(QStringLiteral("proxy/baseline.json"));
        if (!QFileInfo::exists(path))
            throw Error(QStringLiteral("the proxy sweep in %1 has not evaluated its baseline yet; run it again to finish it.").arg(dir));
        try {
            const QJsonObject o = io::readJsonObject(path);
            result.baseline.accuracy = requiredNumber(o, QStringLiteral("accuracy"), path);
            result.baseline.loss = requiredNumber(o, QStringLiteral("loss"), path);
        } catch (const Error& e) {
            throw Error(QStringLiteral("the proxy baseline of %1 cannot be used: %2.").arg(dir, QString::fromUtf8(e.what())));
        }
    }

    for (const QJsonValue& value : entries) {
        const QJsonObject e = value.toObject();
        LayerSensitivity s;
        s.index = e.value(QStringLiteral("index")).toInt();
        s.name = e.value(QStringLiteral("name")).toString();
        s.layers = intsFromJson(e.value(QStringLiteral("layers")));
        s.runDir = e.value(QStringLiteral("run_dir")).toString();
        const QString label = result.kind == SweepKind::Groups
                                  ? QStringLiteral("group %1").arg(s.name)
                                  : QStringLiteral("layer %1 (%2)").arg(s.index).arg(s.name);
        const QString path = root.filePath(s.runDir);
        RunRead r;
        try {
            if (result.kind == SweepKind::Proxy) {
                if (!QFileInfo::exists(path)) {
                    result.pending.push_back(label);
                    continue;
                }
                r = readProxyEntry(path);
                s.secondsPredicted = true;
            } else {
                if (!QFileInfo::exists(QDir(path).filePath(files::kSummaryFile))) {
                    result.pending.push_back(label);
                    continue;
                }
                r = readTrainedRun(path, sweepTrain, e.value(QStringLiteral("job")).toObject(), true);
            }
        } catch (const Error& err) {
            result.problems.push_back(
                QStringLiteral("%1 is left out: %2.").arg(label, QString::fromUtf8(err.what())));
            continue;
        }
        s.accuracy = r.accuracy;
        s.loss = r.loss;
        s.accDrop = result.baseline.accuracy - r.accuracy;
        s.seconds = r.seconds;
        s.secondsDelta = r.seconds - result.baseline.seconds;
        s.params = r.params;
        s.paramsDelta = r.params - result.baseline.params;
        s.reconstructionError = r.reconstructionError;
        s.score = result.kind == SweepKind::Proxy ? r.loss - result.baseline.loss : s.accDrop;
        result.entries.push_back(s);
    }
    return result;
}

QByteArray sensitivityCsv(const SweepResult& result)
{
    QString csv = QStringLiteral(
        "index,name,layers,accuracy,acc_drop,seconds,seconds_delta,params,params_delta,score,reconstruction_error,run_dir,"
        "status\n");
    const SweepBaseline& b = result.baseline;
    csv += QStringLiteral("0,baseline,,%1,0,%2,0,%3,0,0,0,%4,done\n")
               .arg(b.accuracy, 0, 'g', 10)
               .arg(b.seconds, 0, 'g', 10)
               .arg(b.params)
               .arg(csvField(b.runDir));
    for (const LayerSensitivity& s : result.entries) {
        QStringList layers;
        for (int l : s.layers)
            layers.push_back(QString::number(l));
        csv += QStringLiteral("%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,done\n")
                   .arg(s.index)
                   .arg(csvField(s.name), layers.join(QLatin1Char(' ')))
                   .arg(s.accuracy, 0, 'g', 10)
                   .arg(s.accDrop, 0, 'g', 10)
                   .arg(s.seconds, 0, 'g', 10)
                   .arg(s.secondsDelta, 0, 'g', 10)
                   .arg(s.params)
                   .arg(s.paramsDelta)
                   .arg(s.score, 0, 'g', 10)
                   .arg(s.reconstructionError, 0, 'g', 10)
                   .arg(csvField(s.runDir));
    }
    // A sweep that stopped or failed part-way says so in the table itself: one row per entry still to run
    // ("pending") and per entry whose files could not be read ("unreadable"), figures left empty.
    for (const QString& label : result.pending)
        csv += QStringLiteral(",%1,,,,,,,,,,,pending\n").arg(csvField(label));
    for (const QString& problem : result.problems)
        csv += QStringLiteral(",%1,,,,,,,,,,,unreadable\n").arg(csvField(problem));
    return csv.toUtf8();
}

QJsonObject sensitivityJson(const SweepResult& result)
{
    QJsonArray entries;
    for (const LayerSensitivity& s : result.entries)
        entries.append(QJsonObject{{QStringLiteral("index"), s.index},
                                   {QStringLiteral("name"), s.name},
                                   {QStringLiteral("layers"), toJsonArray(s.layers)},
                                   {QStringLiteral("accuracy"), s.accuracy},
                                   {QStringLiteral("acc_drop"), s.accDrop},
                                   {QStringLiteral("loss"), s.loss},
                                   {QStringLiteral("seconds"), s.seconds},
                                   {QStringLiteral("seconds_delta"), s.secondsDelta},
                                   {QStringLiteral("params"), double(s.params)},
                                   {QStringLiteral("params_delta"), double(s.paramsDelta)},
                                   {QStringLiteral("seconds_predicted"), s.secondsPredicted},
                                   {QStringLiteral("score"), s.score},
                                   {QStringLiteral("reconstruction_error"), s.reconstructionError},
                                   {QStringLiteral("run_dir"), s.runDir}});
    const SweepBaseline& b = result.baseline;
    QJsonObject json{{QStringLiteral("kind"), sweepKindName(result.kind)},
                       {QStringLiteral("model"), files::modelIdentity(result.model)},
                       {QStringLiteral("dataset"), result.dataset},
                       {QStringLiteral("basis"), basis::toJson(result.basis)},
                       {QStringLiteral("epochs"), result.epochs},
                       {QStringLiteral("skip_epochs"), result.skipEpochs},
                       {QStringLiteral("baseline"), QJsonObject{{QStringLiteral("accuracy"), b.accuracy},
                                                                {QStringLiteral("loss"), b.loss},
                                                                {QStringLiteral("seconds"), b.seconds},
                                                                {QStringLiteral("params"), double(b.params)},
                                                                {QStringLiteral("run_dir"), b.runDir}}},
                       {QStringLiteral("entries"), entries},
                       {QStringLiteral("pending"), QJsonArray::fromStringList(result.pending)},
                       {QStringLiteral("problems"), QJsonArray::fromStringList(result.problems)}};
    if (!result.method.isEmpty())
        json.insert(QStringLiteral("method"), result.method);
    return json;
}

double spearmanRho(const QVector<double>& a, const QVector<double>& b)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (a.size() != b.size() || a.size() < 2)
        return nan;
    const QVector<double> ra = averageRanks(a), rb = averageRanks(b);
    const double n = double(a.size());
    const double mean = (n + 1) / 2;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < a.size(); ++i) {
        sab += (ra[i] - mean) * (rb[i] - mean);
        saa += (ra[i] - mean) * (ra[i] - mean);
        sbb += (rb[i] - mean) * (rb[i] - mean);
    }
    if (saa <= 0 || sbb <= 0)
        return nan;
    return sab / std::sqrt(saa * sbb);
}

namespace files {

QString layerRunDir(int index)
{
    return QStringLiteral("layer-%1").arg(index, 2, 10, QLatin1Char('0'));
}

QString groupRunDir(const QString& name)
{
    return QStringLiteral("group-") + name;
}

QJsonObject modelIdentity(const ModelSpec& model)
{
    return toJson(model);
}

void writeOrCheckSweepFile(const QString& dir, const QJsonObject& sweepJson)
{
    const QString path = QDir(dir).filePath(kSweepFile);
    if (!QFileInfo::exists(path)) {
        io::ensureWritableDir(dir);
        io::writeJsonAtomic(path, sweepJson);
        return;
    }
    QJsonObject old;
    try {
        old = io::readJsonObject(path);
    } catch (const Error& e) {
        throw Error(QStringLiteral("%1 holds a corrupt sweep.json (%2); choose another --out.").arg(dir, QString::fromUtf8(e.what())));
    }
    const QString kind = sweepJson.value(QStringLiteral("kind")).toString();
    if (old.value(QStringLiteral("kind")).toString() != kind)
        throw Error(QStringLiteral("%1 holds a %2, not a %3; choose another --out.")
                        .arg(dir, old.value(QStringLiteral("kind")).toString(), kind));
    const auto describeModel = [](const QJsonObject& m) {
        return QStringLiteral("%1 at width %2").arg(printableText(m.value(QStringLiteral("name")).toString())).arg(m.value(QStringLiteral("width")).toDouble());
    };
    const QJsonObject oldModel = old.value(QStringLiteral("model")).toObject(),
                      newModel = sweepJson.value(QStringLiteral("model")).toObject();
    if (oldModel != newModel)
        throw Error(QStringLiteral("%1 holds a sweep of %2, not of %3; choose another --out.")
                        .arg(dir, describeModel(oldModel), describeModel(newModel)));
    const QJsonObject oldBasis = old.value(QStringLiteral("basis")).toObject(),
                      newBasis = sweepJson.value(QStringLiteral("basis")).toObject();
    if (oldBasis != newBasis)
        throw Error(QStringLiteral("%1 holds a sweep at basis size %2 (%3 form), not at size %4 (%5 form); choose another --out.")
                        .arg(dir)
                        .arg(oldBasis.value(QStringLiteral("size")).toDouble())
                        .arg(printableText(oldBasis.value(QStringLiteral("form")).toString()))
                        .arg(newBasis.value(QStringLiteral("size")).toDouble())
                        .arg(printableText(newBasis.value(QStringLiteral("form")).toString())));
    const auto comparable = [](QJsonObject sweep) {
        QJsonObject params = sweep.value(QStringLiteral("params")).toObject();
        params.remove(QStringLiteral("workers"));
        QJsonObject train = params.value(QStringLiteral("train")).toObject();
        train.remove(QStringLiteral("threads"));
        params.insert(QStringLiteral("train"), train);
        sweep.insert(QStringLiteral("params"), params);
        sweep.remove(QStringLiteral("version"));
        return sweep;
    };
    if (comparable(old) != comparable(sweepJson))
        throw Error(QStringLiteral("%1 holds a sweep with other layers, data or training options; resume it with the same "
                                   "options or choose another --out.")
                        .arg(dir));
}

void writeSensitivityFiles(const QString& dir)
{
    SweepResult result;
    try {
        result = loadSweep(dir);
    } catch (const Error&) {
        return; // no baseline yet: nothing to tabulate
    }
    const QDir root(dir);
    io::writeFileAtomic(root.filePath(kSensitivityCsv), sensitivityCsv(result));
    io::writeJsonAtomic(root.filePath(kSensitivityJson), sensitivityJson(result));
}

} // namespace files

} // namespace ranklab::search

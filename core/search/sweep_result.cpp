#include "core/search/sweep_result.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <QDir>
#include <QFileInfo>
#include <QHash>
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
    double testAccuracy = -1; ///< the test split's top-1 when `accuracy` is the validation split's
};

RunRead readTrainedRun(const QString& runDir, const QJsonObject& sweepTrain, const QJsonObject& expectedJob,
                       bool basisRun, bool onValidation)
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
    if (onValidation) {
        // Choices are made on the validation split; the test split is kept for the report.
        r.testAccuracy = r.accuracy;
        r.accuracy = requiredNumber(summary, QStringLiteral("final_val_top1"), summaryPath);
        r.loss = requiredNumber(summary, QStringLiteral("final_val_loss"), summaryPath);
    }
    r.seconds = requiredNumber(summary, QStringLiteral("train_seconds"), summaryPath);
    r.params = requiredCount(summary, basisRun ? QStringLiteral("basis_params") : QStringLiteral("params"), summaryPath);
    if (r.accuracy < 0 || r.accuracy > 1 || r.seconds < 0 || r.seconds > kMaxRunSeconds || r.params <= 0
        || r.params > kMaxRunParams || r.testAccuracy > 1)
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

double tQuantile975(int dof)
{
    static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                   2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                   2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    if (dof < 1)
        return std::numeric_limits<double>::quiet_NaN();
    if (dof <= 30)
        return table[dof - 1];
    return 1.959964 + 2.4 / dof; // within 0.002 of the exact quantile beyond 30
}

SampleStats sampleStats(const QVector<double>& values)
{
    SampleStats st;
    st.n = int(values.size());
    if (st.n == 0)
        return st;
    st.mean = std::accumulate(values.begin(), values.end(), 0.0) / st.n;
    if (st.n < 2)
        return st;
    double ss = 0;
    for (double v : values)
        ss += (v - st.mean) * (v - st.mean);
    st.sd = std::sqrt(ss / (st.n - 1));
    st.halfWidth = tQuantile975(st.n - 1) * st.sd / std::sqrt(double(st.n));
    return st;
}

QString sweepSplitName(const SweepResult& r)
{
    if (r.kind == SweepKind::Proxy)
        return r.onValidation ? QStringLiteral("validation (proxy)") : QStringLiteral("test (proxy evaluation images)");
    return r.onValidation ? QStringLiteral("validation") : QStringLiteral("test");
}

void poolDropIntervals(QVector<LayerSensitivity>& entries)
{
    // Pooled variance of the paired differences: s_p² = Σ_l (n_l − 1)·s_l² / Σ_l (n_l − 1), over the entries with
    // two or more seeds. Every entry's interval is t(0.975, Σ(n_l − 1))·s_p/√n_l.
    double ss = 0;
    int dof = 0;
    for (const LayerSensitivity& e : entries)
        if (e.seeds >= 2 && e.accDropSd >= 0) {
            ss += (e.seeds - 1) * e.accDropSd * e.accDropSd;
            dof += e.seeds - 1;
        }
    if (dof == 0)
        return;
    const double pooled = std::sqrt(ss / dof);
    for (LayerSensitivity& e : entries)
        if (e.seeds >= 2)
            e.accDropCi = tQuantile975(dof) * pooled / std::sqrt(double(e.seeds));
}

int chanceThreshold(int entries)
{
    // P(X ≥ k) for X ~ Binomial(L, 0.05): the count of entries whose 95 % interval misses zero although every
    // true drop is zero. The threshold is the smallest k with P(X ≥ k) ≤ 0.05.
    const int n = std::max(0, entries);
    std::vector<double> pmf(size_t(n) + 1);
    for (int k = 0; k <= n; ++k) {
        double logC = std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0);
        pmf[size_t(k)] = std::exp(logC + k * std::log(0.05) + (n - k) * std::log(0.95));
    }
    double tail = 1;
    for (int k = 0; k <= n; ++k) {
        if (tail <= 0.05 + 1e-12)
            return k;
        tail -= pmf[size_t(k)];
    }
    return n + 1;
}

SweepVerdict sweepVerdict(const SweepResult& r)
{
    SweepVerdict v;
    v.entries = int(r.entries.size());
    int withInterval = 0, minSeeds = 0;
    for (const LayerSensitivity& s : r.entries) {
        if (s.accDropCi >= 0) {
            ++withInterval;
            minSeeds = minSeeds == 0 ? s.seeds : std::min(minSeeds, s.seeds);
        }
        if (s.distinguishable())
            ++v.separated;
    }
    // With L intervals at 95 %, about L/20 miss zero by chance alone: the sweep tells its layers apart only when
    // more of them do than chance would give (chanceThreshold).
    const int needed = chanceThreshold(v.entries);
    v.canTell = v.separated > 0 && v.separated >= needed;
    const QString what = r.kind == SweepKind::Groups ? QStringLiteral("groups") : QStringLiteral("layers");
    if (v.entries == 0) {
        v.sentence = QStringLiteral("No entry has finished yet: there is nothing to tell apart.");
    } else if (r.kind == SweepKind::Proxy) {
        v.canTell = true; // a proxy's score is one deterministic evaluation; its agreement is measured by ρ
        v.sentence = QStringLiteral("A proxy sweep ranks by one cheap measurement per layer without seed repeats; check its agreement with "
                                    "a seeded sweep (Spearman ρ) before trusting its order.");
    } else if (withInterval == 0) {
        v.sentence = QStringLiteral("Each run trained with one seed, so no drop carries an interval and differences smaller than the "
                                    "seed noise cannot be told apart; run the sweep with --seeds 3 or more before choosing %1.")
                         .arg(what);
    } else if (!v.canTell && v.separated > 0) {
        v.sentence = QStringLiteral("%1 of %2 entries differ from the baseline beyond their 95 % interval over %3 seeds — no more "
                                    "than chance alone gives among %2 intervals (%4 would be needed): at this budget the sweep "
                                    "cannot tell its %5 apart, and a front built on it is noise; add seeds or epochs.")
                         .arg(v.separated)
                         .arg(v.entries)
                         .arg(minSeeds)
                         .arg(needed)
                         .arg(what);
    } else if (!v.canTell) {
        const QString floor = r.baseline.accuracySd >= 0
                                  ? QStringLiteral(" (the baseline alone varies by ±%1 pt between seeds)").arg(100 * r.baseline.accuracySd, 0, 'f', 2)
                                  : QString();
        v.sentence = QStringLiteral("None of the %1 entries differs from the baseline beyond its 95 % interval over %2 seeds%3: at "
                                    "this budget the sweep cannot tell its %4 apart, and a front built on it is noise; add seeds "
                                    "or epochs.")
                         .arg(v.entries)
                         .arg(minSeeds)
                         .arg(floor, what);
    } else {
        v.sentence = QStringLiteral("%1 of %2 entries differ from the baseline beyond their 95 % interval over %3 seeds; the others "
                                    "are within seed noise.")
                         .arg(v.separated)
                         .arg(v.entries)
                         .arg(minSeeds);
    }
    return v;
}

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
    result.plannedEntries = int(entries.size());
    if (result.model.name.isEmpty() || sweepTrain.isEmpty() || entries.isEmpty())
        throw Error(QStringLiteral("%1 is corrupt: it lacks the model, the parameters or the entries.").arg(sweepPath));

    // A validation split (--val-subset) makes the drops the validation split's; the test split only reports.
    result.onValidation = sweepTrain.value(QStringLiteral("data")).toObject().value(QStringLiteral("val_subset")).toInt(0) > 0
        && result.kind != SweepKind::Proxy;
    result.seeds = std::max(1, sweep.value(QStringLiteral("seeds")).toInt(1));
    if (result.seeds > 1000) // --seeds allows 100: a larger count is a damaged file, not a plan
        throw Error(QStringLiteral("%1 is corrupt: it asks for %2 seeds per run.").arg(sweepPath).arg(result.seeds));
    const int K = result.seeds;

    // The baseline: without its first seed there is no accuracy drop to compute.
    const QString baselineDir = root.filePath(files::kBaselineDir);
    if (!QFileInfo::exists(QDir(baselineDir).filePath(files::kSummaryFile)))
        throw Error(QStringLiteral("the sweep in %1 has no finished baseline run (%2); run the sweep again to finish it.")
                        .arg(dir, baselineDir));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    QVector<RunRead> baseSeeds(K);
    QVector<bool> baseDone(K, false);
    for (int seed = 0; seed < K; ++seed) {
        const QString seedDir = root.filePath(files::seedRunDir(files::kBaselineDir, seed));
        if (!QFileInfo::exists(QDir(seedDir).filePath(files::kSummaryFile))) {
            result.pending.push_back(QStringLiteral("baseline") + files::seedLabel(seed));
            continue;
        }
        try {
            baseSeeds[seed] = readTrainedRun(seedDir, files::trainForSeed(sweepTrain, seed), QJsonObject{}, false, result.onValidation);
            baseDone[seed] = true;
        } catch (const Error& e) {
            if (seed == 0)
                throw Error(QStringLiteral("the baseline run of the sweep in %1 cannot be used: %2.").arg(dir, QString::fromUtf8(e.what())));
            result.problems.push_back(QStringLiteral("%1 is left out: %2.").arg(QStringLiteral("baseline") + files::seedLabel(seed), QString::fromUtf8(e.what())));
        }
    }
    {
        QVector<double> acc, loss, secs, test;
        for (int seed = 0; seed < K; ++seed) {
            result.baseline.seedAccuracies.push_back(baseDone[seed] ? baseSeeds[seed].accuracy : nan);
            if (!baseDone[seed])
                continue;
            acc.push_back(baseSeeds[seed].accuracy);
            test.push_back(baseSeeds[seed].testAccuracy);
            loss.push_back(baseSeeds[seed].loss);
            secs.push_back(baseSeeds[seed].seconds);
        }
        const SampleStats accStats = sampleStats(acc);
        result.baseline.accuracy = accStats.mean;
        result.baseline.accuracySd = accStats.sd;
        result.baseline.loss = sampleStats(loss).mean;
        result.baseline.seconds = sampleStats(secs).mean;
        result.baseline.params = baseSeeds[0].params;
        result.baseline.testAccuracy = result.onValidation ? sampleStats(test).mean : result.baseline.accuracy;
    }
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
            result.onValidation = o.value(QStringLiteral("split")).toString() == QLatin1String("validation");
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
        if (result.kind == SweepKind::Proxy) {
            const QString path = root.filePath(s.runDir);
            if (!QFileInfo::exists(path)) {
                result.pending.push_back(label);
                continue;
            }
            RunRead r;
            try {
                r = readProxyEntry(path);
            } catch (const Error& err) {
                result.problems.push_back(QStringLiteral("%1 is left out: %2.").arg(label, QString::fromUtf8(err.what())));
                continue;
            }
            s.secondsPredicted = true;
            s.accuracy = r.accuracy;
            s.testAccuracy = -1; // measured on the proxy's own evaluation images
            s.loss = r.loss;
            s.accDrop = result.baseline.accuracy - r.accuracy;
            s.seconds = r.seconds;
            s.secondsDelta = r.seconds - result.baseline.seconds;
            s.params = r.params;
            s.paramsDelta = r.params - result.baseline.params;
            s.reconstructionError = r.reconstructionError;
            s.score = r.loss - result.baseline.loss;
            result.entries.push_back(s);
            continue;
        }
        // Trained entries: seed s of the entry against seed s of the baseline (paired differences).
        QVector<double> drops, acc, loss, secs, secsDelta, recon, test;
        qint64 params = 0;
        for (int seed = 0; seed < K; ++seed) {
            const QString path = root.filePath(files::seedRunDir(s.runDir, seed));
            if (!QFileInfo::exists(QDir(path).filePath(files::kSummaryFile))) {
                result.pending.push_back(label + files::seedLabel(seed));
                continue;
            }
            RunRead r;
            try {
                r = readTrainedRun(path, files::trainForSeed(sweepTrain, seed), e.value(QStringLiteral("job")).toObject(), true,
                                   result.onValidation);
            } catch (const Error& err) {
                result.problems.push_back(QStringLiteral("%1 is left out: %2.").arg(label + files::seedLabel(seed), QString::fromUtf8(err.what())));
                continue;
            }
            if (!baseDone[seed])
                continue; // its baseline seed is pending or left out (listed above)
            drops.push_back(baseSeeds[seed].accuracy - r.accuracy);
            acc.push_back(r.accuracy);
            test.push_back(r.testAccuracy);
            loss.push_back(r.loss);
            secs.push_back(r.seconds);
            secsDelta.push_back(r.seconds - baseSeeds[seed].seconds);
            if (r.reconstructionError >= 0)
                recon.push_back(r.reconstructionError);
            params = r.params;
        }
        if (drops.isEmpty())
            continue;
        const SampleStats d = sampleStats(drops);
        s.seeds = d.n;
        s.accDrop = d.mean;
        s.accDropSd = d.sd; // the interval comes from the variance pooled over the entries (poolDropIntervals below)
        s.accuracy = sampleStats(acc).mean;
        s.testAccuracy = result.onValidation ? sampleStats(test).mean : s.accuracy;
        s.loss = sampleStats(loss).mean;
        s.seconds = sampleStats(secs).mean;
        s.secondsDelta = sampleStats(secsDelta).mean;
        s.params = params;
        s.paramsDelta = params - result.baseline.params;
        s.reconstructionError = recon.isEmpty() ? -1 : sampleStats(recon).mean;
        s.score = s.accDrop;
        result.entries.push_back(s);
    }
    poolDropIntervals(result.entries);
    // The interleaved per-layer timing, once every run has finished (runSweep writes it).
    const QString timingPath = root.filePath(result.kind == SweepKind::Proxy ? files::kProxyTimingFile : files::kTimingFile);
    if (QFileInfo::exists(timingPath)) {
        try {
            QHash<int, double> deltas;
            for (const QJsonValue& v : io::readJsonObject(timingPath).value(QStringLiteral("entries")).toArray()) {
                const QJsonObject o = v.toObject();
                const double d = requiredNumber(o, QStringLiteral("seconds_delta"), timingPath);
                if (std::abs(d) > kMaxRunSeconds)
                    throw Error(QStringLiteral("%1 holds an impossible time").arg(timingPath));
                deltas.insert(o.value(QStringLiteral("index")).toInt(), d);
            }
            result.timed = !result.entries.isEmpty();
            for (LayerSensitivity& s : result.entries) {
                s.timed = deltas.contains(s.index);
                s.secondsDeltaTimed = deltas.value(s.index);
                result.timed = result.timed && s.timed;
            }
        } catch (const Error& e) {
            result.problems.push_back(QStringLiteral("the per-layer timing is left out: %1.").arg(QString::fromUtf8(e.what())));
        }
    }
    return result;
}

double timeDelta(const SweepResult& sweep, const LayerSensitivity& entry)
{
    return sweep.timed && entry.timed ? entry.secondsDeltaTimed : entry.secondsDelta;
}

QByteArray sensitivityCsv(const SweepResult& result)
{
    QString csv = QStringLiteral(
        "index,name,layers,accuracy,acc_drop,seconds,seconds_delta,params,params_delta,score,reconstruction_error,run_dir,"
        "seeds,acc_drop_ci,status\n");
    const SweepBaseline& b = result.baseline;
    csv += QStringLiteral("0,baseline,,%1,0,%2,0,%3,0,0,0,%4,%5,,done\n")
               .arg(b.accuracy, 0, 'g', 10)
               .arg(b.seconds, 0, 'g', 10)
               .arg(b.params)
               .arg(csvField(b.runDir))
               .arg(result.seeds);
    for (const LayerSensitivity& s : result.entries) {
        QStringList layers;
        for (int l : s.layers)
            layers.push_back(QString::number(l));
        csv += QStringLiteral("%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,done\n")
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
                   .arg(csvField(s.runDir))
                   .arg(s.seeds)
                   .arg(s.accDropCi >= 0 ? QString::number(s.accDropCi, 'g', 10) : QString());
    }
    // A sweep that stopped or failed part-way says so in the table itself: one row per entry still to run
    // ("pending") and per entry whose files could not be read ("unreadable"), figures left empty.
    for (const QString& label : result.pending)
        csv += QStringLiteral(",%1,,,,,,,,,,,,,pending\n").arg(csvField(label));
    for (const QString& problem : result.problems)
        csv += QStringLiteral(",%1,,,,,,,,,,,,,unreadable\n").arg(csvField(problem));
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
                                   {QStringLiteral("run_dir"), s.runDir},
                                   {QStringLiteral("seeds"), s.seeds},
                                   {QStringLiteral("acc_drop_sd"), s.accDropSd},
                                   {QStringLiteral("acc_drop_ci"), s.accDropCi},
                                   {QStringLiteral("distinguishable"), s.distinguishable()},
                                   {QStringLiteral("test_accuracy"), s.testAccuracy},
                                   {QStringLiteral("seconds_delta_timed"), s.timed ? QJsonValue(s.secondsDeltaTimed) : QJsonValue()}});
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
                                                                {QStringLiteral("run_dir"), b.runDir},
                                                                {QStringLiteral("accuracy_sd"), b.accuracySd},
                                                                {QStringLiteral("test_accuracy"), b.testAccuracy}}},
                       {QStringLiteral("entries"), entries},
                       {QStringLiteral("pending"), QJsonArray::fromStringList(result.pending)},
                       {QStringLiteral("problems"), QJsonArray::fromStringList(result.problems)}};
    if (!result.method.isEmpty())
        json.insert(QStringLiteral("method"), result.method);
    json.insert(QStringLiteral("seeds"), result.seeds);
    json.insert(QStringLiteral("split"), sweepSplitName(result));
    json.insert(QStringLiteral("timed"), result.timed);
    json.insert(QStringLiteral("verdict"), sweepVerdict(result).sentence);
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

QString seedRunDir(const QString& runDir, int seed)
{
    return seed == 0 ? runDir : QStringLiteral("%1-seed%2").arg(runDir).arg(seed + 1);
}

QJsonObject trainForSeed(QJsonObject train, int seed)
{
    if (seed != 0)
        train.insert(QStringLiteral("seed"), QString::number(train.value(QStringLiteral("seed")).toString().toULongLong() + quint64(seed)));
    return train;
}

QString seedLabel(int seed)
{
    return seed == 0 ? QString() : QStringLiteral(" seed %1").arg(seed + 1);
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
    // Seeds may grow (a resume with more --seeds adds seed runs; the first seeds' runs stay what they were),
    // never shrink (the extra seeds' runs would be left in the folder, silently unused).
    const int oldSeeds = std::max(1, old.value(QStringLiteral("seeds")).toInt(1));
    const int newSeeds = std::max(1, sweepJson.value(QStringLiteral("seeds")).toInt(1));
    if (newSeeds < oldSeeds)
        throw Error(QStringLiteral("%1 holds a sweep of %2 seeds per run, not %3; resume it with --seeds %2 (or more, to add "
                                   "seeds) or choose another --out.")
                        .arg(dir)
                        .arg(oldSeeds)
                        .arg(newSeeds));
    const auto comparable = [](QJsonObject sweep) {
        sweep.remove(QStringLiteral("seeds"));
        QJsonObject params = sweep.value(QStringLiteral("params")).toObject();
        params.remove(QStringLiteral("seeds"));
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
    if (newSeeds > oldSeeds)
        io::writeJsonAtomic(path, sweepJson);
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

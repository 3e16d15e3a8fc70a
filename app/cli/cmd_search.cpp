// Paper A's layer search: sweep, groups, proxy-sweep (sensitivities) and pareto (compound estimates, the
// Pareto front, validation of front points).
#include <cmath>
#include <cstdio>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include "app/cli/commands.h"
#include "app/cli/common_options.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/search/pareto.h"
#include "core/search/proxy_sweep.h"
#include "core/search/sweep.h"
#include "core/search/validation.h"
#include "core/train/evaluate.h"

namespace ranklab::cli {

namespace {

/// Calls `f`, turning ranklab::Error into a usage error (exit 2): for parsing option values with core's parsers.
template <typename F>
auto asUsage(F&& f) -> decltype(f())
{
    try {
        return f();
    } catch (const Error& e) {
        throw UsageError(QString::fromUtf8(e.what()));
    }
}

void addSweepBasisOptions(ArgParser& parser, const QString& defaultInit)
{
    parser.add({QStringLiteral("size"), QStringLiteral("S"), QStringLiteral("basis size: a fraction of C_out (0.5) or a count (8), as paper A's \"Size\""), {}})
        .add({QStringLiteral("beta"), QStringLiteral("B"), QStringLiteral("pair form: fraction of outputs that are sums of two basis outputs"), QStringLiteral("0")})
        .add({QStringLiteral("form"), QStringLiteral("F"), QStringLiteral("weight, output or pair (paper A §3.1)"), QStringLiteral("pair")})
        .add({QStringLiteral("init"), QStringLiteral("I"), QStringLiteral("random, qr or svd"), defaultInit});
}

basis::BasisSpec sweepBasisSpec(const ArgParser& parser)
{
    return asUsage([&] {
        basis::BasisSpec spec;
        spec.size = basis::parseSize(parser.required(QStringLiteral("size")));
        spec.beta = parser.doubleValue(QStringLiteral("beta"), 0, 1);
        spec.form = basis::parseForm(parser.value(QStringLiteral("form")));
        spec.init = basis::parseInit(parser.value(QStringLiteral("init")));
        basis::validateBasisSpec(spec);
        return spec;
    });
}

/// Pulls every "--group NAME=LAYERS" (or --group=NAME=LAYERS) out of `args`: the option repeats, which
/// ArgParser does not allow.
QVector<search::LayerGroup> takeGroups(QStringList& args)
{
    QVector<search::LayerGroup> groups;
    for (int i = 0; i < args.size();) {
        QString text;
        if (args[i] == QLatin1String("--group")) {
            if (i + 1 >= args.size())
                throw UsageError(QStringLiteral("--group needs a value NAME=LAYERS, e.g. light=1-5."));
            text = args[i + 1];
            args.remove(i, 2);
        } else if (args[i].startsWith(QLatin1String("--group="))) {
            text = args[i].mid(8);
            args.remove(i, 1);
        } else {
            ++i;
            continue;
        }
        groups.push_back(asUsage([&] { return search::parseLayerGroup(text); }));
    }
    return groups;
}

void printProblems(const search::SweepResult& result)
{
    for (const QString& problem : result.problems)
        std::fprintf(stderr, "ranklab-cli: warning: %s\n", qPrintable(problem));
    if (!result.pending.isEmpty())
        std::fprintf(stderr, "ranklab-cli: warning: %lld entr%s of %s have no finished run and are left out: %s\n",
                     static_cast<long long>(result.pending.size()), result.pending.size() == 1 ? "y" : "ies",
                     qPrintable(result.dir), qPrintable(result.pending.join(QStringLiteral(", "))));
}

void printSensitivityTable(const search::SweepResult& r)
{
    std::printf("%5s  %-22s %9s %9s %10s %10s %10s %10s\n", "index", "name", "acc %", "drop pt", "time s", "Δtime s",
                "params", "Δparams");
    std::printf("%5s  %-22s %9.2f %9s %10.2f %10s %10lld %10s\n", "-", "baseline", 100 * r.baseline.accuracy, "-",
                r.baseline.seconds, "-", static_cast<long long>(r.baseline.params), "-");
    for (const search::LayerSensitivity& s : r.entries)
        std::printf("%5d  %-22s %9.2f %9.2f %10.2f %+10.2f %10lld %+10lld%s\n", s.index, qPrintable(s.name),
                    100 * s.accuracy, 100 * s.accDrop, s.seconds, s.secondsDelta, static_cast<long long>(s.params),
                    static_cast<long long>(s.paramsDelta), s.secondsPredicted ? "  (time predicted)" : "");
    std::printf("sensitivity table: %s\n", qPrintable(QDir(r.dir).filePath(QStringLiteral("sensitivity.csv"))));
}

/// Shared by sweep and groups: a folder holding a sweep continues only with --resume.
void checkResume(const ArgParser& parser, const QString& out)
{
    if (QFileInfo::exists(QDir(out).filePath(QStringLiteral("sweep.json"))) && !parser.isSet(QStringLiteral("resume")))
        throw Error(QStringLiteral("%1 already holds a sweep; add --resume to continue it or choose another --out.").arg(out));
}

int finishSweepCommand(const ArgParser& parser, const search::SweepResult& result, const QString& out,
                       const QString& command)
{
    if (cancelFlag()->load()) {
        std::fprintf(stderr, "ranklab-cli: %s cancelled; finished runs are kept, continue with the same options and --resume --out %s\n",
                     qPrintable(command), qPrintable(out));
        return 130;
    }
    printProblems(result);
    if (parser.isSet(QStringLiteral("json")))
        printJsonLine(search::sensitivityJson(result));
    else
        printSensitivityTable(result);
    return 0;
}

int runTrainedSweep(const QStringList& rawArgs, bool groups)
{
    const QString command = groups ? QStringLiteral("groups") : QStringLiteral("sweep");
    ArgParser parser(command, groups ? QStringLiteral("Group sensitivity (paper A §3.2, Fig. 5): a baseline run plus one run per named group of layers with basis convolutions in that group only. Resumable with --resume.")
                                     : QStringLiteral("Per-layer sensitivity sweep (paper A §3.2, §4.4, Fig. 9): a baseline run plus one run per layer with basis convolutions in that layer only; per layer accuracy drop, training time and model size. Resumable with --resume."));
    QStringList args = rawArgs;
    QVector<search::LayerGroup> groupList;
    if (groups)
        groupList = takeGroups(args);
    addModelOptions(parser, true);
    addDataOptions(parser);
    if (groups)
        parser.add({QStringLiteral("group"), QStringLiteral("NAME=LAYERS"), QStringLiteral("a named group, e.g. light=1-5 (repeat the option for more groups)"), {}});
    else
        parser.add({QStringLiteral("layers"), QStringLiteral("LIST"), QStringLiteral("conv layers to sweep: all, indices 4,15, ranges 1-5, names"), QStringLiteral("all")});
    addSweepBasisOptions(parser, QStringLiteral("qr"));
    parser.add({QStringLiteral("skip"), QStringLiteral("EPOCHS"), QStringLiteral("epochs with basis convs before composing back (default: all epochs)"), {}})
        .add({QStringLiteral("workers"), QStringLiteral("N"), QStringLiteral("runs trained at the same time; --threads is split between them"), QStringLiteral("1")});
    addTrainerOptions(parser);
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    search::SweepParams params;
    params.train = trainParamsFrom(parser);
    if (groups) {
        if (groupList.isEmpty())
            throw UsageError(QStringLiteral("give at least one --group NAME=LAYERS."));
        params.groups = groupList;
    } else {
        params.layers = parser.value(QStringLiteral("layers"));
    }
    params.basis = sweepBasisSpec(parser);
    if (parser.isSet(QStringLiteral("skip")))
        params.skipEpochs = parser.intValue(QStringLiteral("skip"), 1, params.train.epochs);
    params.workers = parser.intValue(QStringLiteral("workers"), 1, 256);
    const QString out = parser.required(QStringLiteral("out"));
    checkResume(parser, out);
    ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
    const search::SweepResult result = search::runSweep(params, out, printer.callbacks(), cancelFlag());
    return finishSweepCommand(parser, result, out, command);
}

} // namespace

int runSweepCommand(const QStringList& args)
{
    return runTrainedSweep(args, false);
}

int runGroupsCommand(const QStringList& args)
{
    return runTrainedSweep(args, true);
}

int runProxySweepCommand(const QStringList& args)
{
    ArgParser parser(QStringLiteral("proxy-sweep"),
                     QStringLiteral("Training-free proxy of the per-layer sweep (beyond paper A): trains the baseline once, then replaces one layer at a time by its basis approximation (QR/SVD of the trained filters) and measures the loss increase on held-out images. Same output format as sweep; --compare gives Spearman's rho against a full sweep."));
    addModelOptions(parser, true);
    addDataOptions(parser);
    parser.add({QStringLiteral("layers"), QStringLiteral("LIST"), QStringLiteral("conv layers to score: all, indices, ranges, names"), QStringLiteral("all")});
    addSweepBasisOptions(parser, QStringLiteral("svd"));
    parser.add({QStringLiteral("eval-images"), QStringLiteral("N"), QStringLiteral("held-out test images scored per layer (0: the whole test split or --test-subset)"), QStringLiteral("1000")})
        .add({QStringLiteral("compare"), QStringLiteral("DIR"), QStringLiteral("a full sweep of the same layers: print Spearman's rho between the two"), {}});
    addTrainerOptions(parser);
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    search::ProxySweepParams params;
    params.train = trainParamsFrom(parser);
    params.layers = parser.value(QStringLiteral("layers"));
    params.basis = sweepBasisSpec(parser);
    params.evalImages = parser.intValue(QStringLiteral("eval-images"), 0, 100000000);
    const QString out = parser.required(QStringLiteral("out"));
    checkResume(parser, out);
    search::SweepResult compareWith;
    if (parser.isSet(QStringLiteral("compare")))
        compareWith = search::loadSweep(parser.value(QStringLiteral("compare")));
    ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
    const search::SweepResult result = search::runProxySweep(params, out, printer.callbacks(), cancelFlag());
    if (cancelFlag()->load()) {
        std::fprintf(stderr, "ranklab-cli: proxy-sweep cancelled; continue with the same options and --resume --out %s\n",
                     qPrintable(out));
        return 130;
    }
    printProblems(result);
    QJsonObject json = search::sensitivityJson(result);
    if (!compareWith.dir.isEmpty()) {
        const search::SensitivityAgreement a = search::compareSensitivities(result, compareWith);
        const auto number = [](double x) { return std::isfinite(x) ? QJsonValue(x) : QJsonValue(); };
        json.insert(QStringLiteral("compare"), QJsonObject{{QStringLiteral("sweep"), compareWith.dir},
                                                           {QStringLiteral("common"), a.common},
                                                           {QStringLiteral("spearman_acc_drop"), number(a.rhoDrop)},
                                                           {QStringLiteral("spearman_score"), number(a.rhoScore)}});
        if (!parser.isSet(QStringLiteral("json")))
            std::printf("Spearman rho vs %s over %d layers: %.3f (proxy loss increase vs sweep acc drop), %.3f (acc drop vs acc drop)\n",
                        qPrintable(compareWith.dir), a.common, a.rhoScore, a.rhoDrop);
    }
    if (parser.isSet(QStringLiteral("json")))
        printJsonLine(json);
    else
        printSensitivityTable(result);
    return 0;
}

int runParetoCommand(const QStringList& args)
{
    ArgParser parser(QStringLiteral("pareto"),
                     QStringLiteral("Compound estimates and the exact Pareto front of accuracy drop vs training time or model size over all combinations of a sweep's layers (paper A §3.2, §4.4, Fig. 10); --validate trains front points for real (Fig. 11)."));
    parser.add({QStringLiteral("sweep"), QStringLiteral("DIR"), QStringLiteral("a sweep, groups or proxy-sweep folder: the sensitivity that feeds the front"), {}})
        .add({QStringLiteral("objective"), QStringLiteral("time|size"), QStringLiteral("second objective next to the accuracy drop"), QStringLiteral("time")})
        .add({QStringLiteral("rule"), QStringLiteral("mean|sum"), QStringLiteral("compound estimate: mean over layers (the paper's) or sum of deltas"), QStringLiteral("mean")})
        .add({QStringLiteral("method"), QStringLiteral("M"), QStringLiteral("auto, enumerate (all 2^L, L <= 24) or merge (frontier merge, any L); both exact"), QStringLiteral("auto")})
        .add({QStringLiteral("max-drop"), QStringLiteral("X"), QStringLiteral("report the point saving the most under this estimated accuracy drop (accuracy units: 0.01 = 1 point)"), {}})
        .add({QStringLiteral("max-cost"), QStringLiteral("V"), QStringLiteral("report the point with the least drop whose estimated time (s) or size (params) is at most V"), {}})
        .add({QStringLiteral("estimate"), QStringLiteral("LIST"), QStringLiteral("also print the compound estimate of these layers (e.g. 4,15) by both rules"), {}})
        .add({QStringLiteral("csv"), QStringLiteral("FILE"), QStringLiteral("write the front as CSV"), {}})
        .add({QStringLiteral("validate"), QStringLiteral("K"), QStringLiteral("train K points spread along the front with skip training and compare with the estimates"), {}})
        .add({QStringLiteral("skip"), QStringLiteral("EPOCHS"), QStringLiteral("validation: epochs with basis convs (default: the sweep's)"), {}})
        .add({QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("validation: intra-op threads (0: all cores)"), QStringLiteral("0")})
        .add({QStringLiteral("out"), QStringLiteral("DIR"), QStringLiteral("validation folder (point-N runs, validation.csv/json); resumable"), {}})
        .add({QStringLiteral("quiet"), {}, QStringLiteral("no progress on stderr"), {}})
        .add({QStringLiteral("layers-only"), {}, QStringLiteral("print only the layers of the --max-drop (else --max-cost) choice, e.g. 3,7,12, for scripts"), {}})
        .add({QStringLiteral("json"), {}, QStringLiteral("print JSON on stdout"), {}});
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    if (parser.isSet(QStringLiteral("layers-only")) && !parser.isSet(QStringLiteral("max-drop")) && !parser.isSet(QStringLiteral("max-cost")))
        throw UsageError(QStringLiteral("--layers-only prints the choice of --max-drop or --max-cost; give one of them."));
    const auto objective = asUsage([&] { return search::parseObjective(parser.value(QStringLiteral("objective"))); });
    const auto rule = asUsage([&] { return search::parseRule(parser.value(QStringLiteral("rule"))); });
    const auto method = asUsage([&] { return search::parseMethod(parser.value(QStringLiteral("method"))); });
    const bool validate = parser.isSet(QStringLiteral("validate"));
    if (validate && !parser.isSet(QStringLiteral("out")))
        throw UsageError(QStringLiteral("--validate needs --out DIR for the validation runs."));
    const search::SweepResult sweep = search::loadSweep(parser.required(QStringLiteral("sweep")));
    printProblems(sweep);
    const search::ParetoFront front = search::paretoFront(sweep, objective, rule, method);
    QJsonObject json = search::toJson(front, sweep.baseline);
    json.insert(QStringLiteral("sweep_kind"), search::sweepKindName(sweep.kind));
    const auto pointOrNull = [&front](int i) { return i < 0 ? QJsonValue() : QJsonValue(search::toJson(front.points[i])); };
    const QString unit = objective == search::Objective::Time ? QStringLiteral("s") : QStringLiteral("params");
    const auto describe = [&](const search::CompoundEstimate& p) {
        QStringList layers;
        for (int l : p.layers)
            layers.push_back(QString::number(l));
        return QStringLiteral("{%1}: drop %2 pt, time %3 s, size %4")
            .arg(layers.join(QLatin1Char(',')))
            .arg(100 * p.accDrop, 0, 'f', 3)
            .arg(p.seconds, 0, 'f', 2)
            .arg(p.params, 0, 'f', 0);
    };
    QStringList text;
    int choice = -1;
    if (parser.isSet(QStringLiteral("max-drop"))) {
        const double maxDrop = parser.doubleValue(QStringLiteral("max-drop"), -1, 1);
        const int i = search::bestUnderMaxDrop(front, maxDrop);
        choice = i;
        json.insert(QStringLiteral("best_under_max_drop"), pointOrNull(i));
        text << (i < 0 ? QStringLiteral("no combination keeps the estimated drop under %1").arg(maxDrop)
                       : QStringLiteral("most saved with estimated drop <= %1: %2").arg(maxDrop).arg(describe(front.points[i])));
    }
    if (parser.isSet(QStringLiteral("max-cost"))) {
        const double maxCost = parser.doubleValue(QStringLiteral("max-cost"), -1e18, 1e18);
        const int i = search::bestUnderMaxObjective(front, maxCost);
        if (!parser.isSet(QStringLiteral("max-drop")))
            choice = i;
        json.insert(QStringLiteral("best_under_max_cost"), pointOrNull(i));
        text << (i < 0 ? QStringLiteral("no combination has an estimated %1 <= %2 %3").arg(search::objectiveName(objective)).arg(maxCost).arg(unit)
                       : QStringLiteral("least drop with %1 <= %2 %3: %4").arg(search::objectiveName(objective)).arg(maxCost).arg(unit).arg(describe(front.points[i])));
    }
    if (parser.isSet(QStringLiteral("estimate"))) {
        QVector<int> layers;
        for (const QString& t : parser.value(QStringLiteral("estimate")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool ok = false;
            layers.push_back(t.trimmed().toInt(&ok));
            if (!ok)
                throw UsageError(QStringLiteral("--estimate takes entry indices like 4,15, not '%1'.").arg(t));
        }
        const search::CompoundEstimate mean = search::compoundEstimate(sweep, layers, search::CompoundRule::Mean);
        const search::CompoundEstimate sum = search::compoundEstimate(sweep, layers, search::CompoundRule::Sum);
        json.insert(QStringLiteral("estimate"), QJsonObject{{QStringLiteral("mean"), search::toJson(mean)},
                                                            {QStringLiteral("sum"), search::toJson(sum)}});
        text << QStringLiteral("estimate by the paper's mean rule %1").arg(describe(mean))
             << QStringLiteral("estimate by the sum-of-deltas rule %1").arg(describe(sum));
    }
    if (parser.isSet(QStringLiteral("csv")))
        io::writeFileAtomic(parser.value(QStringLiteral("csv")), search::frontCsv(front));
    if (validate) {
        const int k = parser.intValue(QStringLiteral("validate"), 1, 1000);
        const int skip = parser.isSet(QStringLiteral("skip")) ? parser.intValue(QStringLiteral("skip"), 1, 100000) : sweep.skipEpochs;
        const QString out = parser.value(QStringLiteral("out"));
        ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
        const QVector<search::ValidationRow> rows =
            search::runValidation(sweep, search::spreadAlongFront(front, k), skip,
                                  parser.intValue(QStringLiteral("threads"), 0, 1024), out, printer.callbacks(), cancelFlag());
        if (cancelFlag()->load()) {
            std::fprintf(stderr, "ranklab-cli: validation cancelled after %lld points; run the same command again to continue\n",
                         static_cast<long long>(rows.size()));
            return 130;
        }
        QJsonArray list;
        for (const search::ValidationRow& r : rows) {
            list.append(search::toJson(r));
            QStringList layers;
            for (int l : r.layers)
                layers.push_back(QString::number(l));
            text << QStringLiteral("validated {%1}: accuracy %2% measured vs %3% estimated (mean rule) / %4% (sum rule); "
                                   "time %5 s measured vs %6 s / %7 s")
                        .arg(layers.join(QLatin1Char(',')))
                        .arg(100 * r.accuracy, 0, 'f', 2)
                        .arg(100 * r.mean.accuracy, 0, 'f', 2)
                        .arg(100 * r.sum.accuracy, 0, 'f', 2)
                        .arg(r.seconds, 0, 'f', 2)
                        .arg(r.mean.seconds, 0, 'f', 2)
                        .arg(r.sum.seconds, 0, 'f', 2);
        }
        json.insert(QStringLiteral("validation"), list);
    }
    if (parser.isSet(QStringLiteral("layers-only"))) {
        if (choice < 0 || front.points[choice].layers.isEmpty())
            throw Error(QStringLiteral("no combination of layers meets the %1 limit, so there are no layers to print.")
                            .arg(parser.isSet(QStringLiteral("max-drop")) ? QStringLiteral("--max-drop") : QStringLiteral("--max-cost")));
        QStringList layers;
        for (int l : front.points[choice].layers)
            layers.push_back(QString::number(l));
        std::printf("%s\n", qPrintable(layers.join(QLatin1Char(','))));
        return 0;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        printJsonLine(json);
        return 0;
    }
    std::printf("baseline: accuracy %.2f%%, time %.2f s, size %lld params; %d entries, %s rule, %s\n", 100 * sweep.baseline.accuracy,
                sweep.baseline.seconds, static_cast<long long>(sweep.baseline.params), front.entryCount,
                qPrintable(search::ruleName(rule)), qPrintable(search::methodName(front.method)));
    std::printf("Pareto front (accuracy drop vs %s), %lld points:\n", qPrintable(search::objectiveName(objective)),
                static_cast<long long>(front.points.size()));
    for (const search::CompoundEstimate& p : front.points)
        std::printf("  %s\n", qPrintable(describe(p)));
    for (const QString& line : text)
        std::printf("%s\n", qPrintable(line));
    return 0;
}

} // namespace ranklab::cli

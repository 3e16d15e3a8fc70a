// `pareto`: compound estimates and the exact Pareto front of a sweep's layers (paper A §3.2, §4.4,
// Fig. 10); --validate trains front points for real (Fig. 11).
#include <algorithm>

#include <QJsonArray>

#include "core/io/atomic_file.h"
#include "core/jobs/kinds/kinds.h"
#include "core/jobs/kinds/sweep_common.h"
#include "core/search/pareto.h"
#include "core/search/validation.h"

namespace ranklab::kinds {

JobKind paretoKind()
{
    JobKind k;
    k.id = QStringLiteral("pareto");
    k.title = QStringLiteral("Pareto front");
    k.menu = QStringLiteral("Layer search");
    k.summary = QStringLiteral("compound estimates and the Pareto front of a sweep; --validate trains points (paper A)");
    k.help = QStringLiteral("Compound estimates and the exact Pareto front of accuracy drop vs training time or model size over all combinations of "
                            "a sweep's layers (paper A §3.2, §4.4, Fig. 10); --validate trains front points for real (Fig. 11).");
    const QString output = QStringLiteral("output");
    k.schema
        .typed(ParamType::Dir, QStringLiteral("sweep"), QStringLiteral("DIR"),
               QStringLiteral("a sweep, groups or proxy-sweep folder: the sensitivity that feeds the front"))
        .req()
        .choice(QStringLiteral("objective"), {QStringLiteral("time"), QStringLiteral("size")},
                QStringLiteral("second objective next to the accuracy drop"), QStringLiteral("time"))
        .noun(QStringLiteral("objective"))
        .choice(QStringLiteral("rule"), {QStringLiteral("sum"), QStringLiteral("mean")},
                QStringLiteral("compound estimate: sum (baseline + the chosen entries' deltas: a model of the combination) or mean "
                               "(paper A §3.2: the summed deltas over L, the entries considered; figures 1/L of the sum's)"),
                QStringLiteral("sum"))
        .noun(QStringLiteral("rule"))
        .choice(QStringLiteral("method"), {QStringLiteral("auto"), QStringLiteral("enumerate"), QStringLiteral("merge")},
                QStringLiteral("auto, enumerate (all 2^L, L <= 24) or merge (frontier merge, any L); both exact"), QStringLiteral("auto"))
        .shownAs(QStringLiteral("M"))
        .noun(QStringLiteral("front method"))
        .number(QStringLiteral("max-drop"), QStringLiteral("X"),
                QStringLiteral("report the point saving the most under this estimated accuracy drop (accuracy units: 0.01 = 1 point)"), {}, -1, 1)
        .number(QStringLiteral("max-cost"), QStringLiteral("V"),
                QStringLiteral("report the point with the least drop whose estimated time (s) or size (params) is at most V"), {}, -1e18, 1e18)
        .text(QStringLiteral("estimate"), QStringLiteral("LIST"), QStringLiteral("also print the compound estimate of these layers (e.g. 4,15) by both rules"))
        .typed(ParamType::SaveFile, QStringLiteral("csv"), QStringLiteral("FILE"), QStringLiteral("write the front as CSV"))
        .integer(QStringLiteral("validate"), QStringLiteral("K"),
                 QStringLiteral("train K points spread along the front with skip training and compare with the estimates"), {}, 1, 1000)
        .integer(QStringLiteral("skip"), QStringLiteral("EPOCHS"), QStringLiteral("validation: epochs with basis convs (default: the sweep's)"), {}, 1,
                 100000)
        .integer(QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("validation: intra-op threads (0: all cores)"), QStringLiteral("0"), 0,
                 1024)
        .typed(ParamType::Dir, QStringLiteral("out"), QStringLiteral("DIR"),
               QStringLiteral("validation folder (point-N runs, validation.csv/json); resumable"), {}, output)
        .flag(QStringLiteral("quiet"), QStringLiteral("no progress on stderr"), output)
        .presentationOnly()
        .flag(QStringLiteral("layers-only"),
              QStringLiteral("print only the layers of the --max-drop (else --max-cost) choice, e.g. 3,7,12, for scripts"), output)
        .presentationOnly()
        .flag(QStringLiteral("json"), QStringLiteral("print JSON on stdout"), output)
        .presentationOnly();
    k.run = [](const Params& p, JobContext& context) {
        const bool layersOnly = p.flag(QStringLiteral("layers-only"));
        const bool hasMaxDrop = p.isSet(QStringLiteral("max-drop")), hasMaxCost = p.isSet(QStringLiteral("max-cost"));
        if (layersOnly && !hasMaxDrop && !hasMaxCost)
            throw OptionError(QStringLiteral("--layers-only prints the choice of --max-drop or --max-cost; give one of them."));
        const auto objective = asOption([&] { return search::parseObjective(p.choice(QStringLiteral("objective"))); });
        const auto rule = asOption([&] { return search::parseRule(p.choice(QStringLiteral("rule"))); });
        const auto method = asOption([&] { return search::parseMethod(p.choice(QStringLiteral("method"))); });
        const bool validate = p.isSet(QStringLiteral("validate"));
        if (validate && !p.isSet(QStringLiteral("out")))
            throw OptionError(QStringLiteral("--validate needs --out DIR for the validation runs."));
        const search::SweepResult sweep = search::loadSweep(p.required(QStringLiteral("sweep")));
        warnProblems(context, sweep);
        const search::ParetoFront front = search::paretoFront(sweep, objective, rule, method);
        JobResult result;
        QJsonObject& json = result.report;
        json = search::toJson(front, sweep.baseline);
        json.insert(QStringLiteral("sweep_kind"), search::sweepKindName(sweep.kind));
        // Whether the sweep can tell its layers apart at all: said before any front is offered.
        const search::SweepVerdict verdict = search::sweepVerdict(sweep);
        json.insert(QStringLiteral("verdict"), verdict.sentence);
        json.insert(QStringLiteral("separates"), verdict.canTell);
        const QString unit = objective == search::Objective::Time ? QStringLiteral("s") : QStringLiteral("params");
        // A groups sweep's entries are groups: points name them, and the layers they stand for are the union
        // of their conv layers (what basis-train --layers takes).
        const bool groups = sweep.kind == search::SweepKind::Groups;
        const auto entryOf = [&sweep](int index) -> const search::LayerSensitivity* {
            for (const search::LayerSensitivity& s : sweep.entries)
                if (s.index == index)
                    return &s;
            return nullptr;
        };
        const auto convLayers = [&](const search::CompoundEstimate& e) {
            QVector<int> out;
            for (int i : e.layers)
                if (const search::LayerSensitivity* s = entryOf(i))
                    out += s->layers;
            std::sort(out.begin(), out.end());
            out.erase(std::unique(out.begin(), out.end()), out.end());
            return out;
        };
        const auto pointOrNull = [&](int i) {
            if (i < 0)
                return QJsonValue();
            QJsonObject o = search::toJson(front.points[i]);
            if (groups) {
                QJsonArray conv;
                for (int l : convLayers(front.points[i]))
                    conv.append(l);
                o.insert(QStringLiteral("conv_layers"), conv);
            }
            return QJsonValue(o);
        };
        const auto describe = [&](const search::CompoundEstimate& e) {
            QStringList layers;
            for (int l : e.layers) {
                const search::LayerSensitivity* s = groups ? entryOf(l) : nullptr;
                layers.push_back(s ? s->name : QString::number(l));
            }
            const QString interval = e.accDropCi > 0 ? QStringLiteral(" ± %1").arg(100 * e.accDropCi, 0, 'f', 3) : QString();
            return QStringLiteral("{%1}: drop %2%3 pt, time %4 s, size %5")
                .arg(layers.join(QLatin1Char(',')))
                .arg(100 * e.accDrop, 0, 'f', 3)
                .arg(interval)
                .arg(e.seconds, 0, 'f', 2)
                .arg(e.params, 0, 'f', 0);
        };
        QStringList text;
        int choice = -1;
        if (hasMaxDrop) {
            const double maxDrop = p.doubleValue(QStringLiteral("max-drop"));
            const int i = search::bestUnderMaxDrop(front, maxDrop);
            choice = i;
            json.insert(QStringLiteral("best_under_max_drop"), pointOrNull(i));
            text << (i < 0 ? QStringLiteral("no combination keeps the estimated drop under %1").arg(maxDrop)
                           : QStringLiteral("most saved with estimated drop <= %1: %2").arg(maxDrop).arg(describe(front.points[i])));
        }
        if (hasMaxCost) {
            const double maxCost = p.doubleValue(QStringLiteral("max-cost"));
            const int i = search::bestUnderMaxObjective(front, maxCost);
            if (!hasMaxDrop)
                choice = i;
            json.insert(QStringLiteral("best_under_max_cost"), pointOrNull(i));
            text << (i < 0 ? QStringLiteral("no combination has an estimated %1 <= %2 %3").arg(search::objectiveName(objective)).arg(maxCost).arg(unit)
                           : QStringLiteral("least drop with %1 <= %2 %3: %4")
                                 .arg(search::objectiveName(objective))
                                 .arg(maxCost)
                                 .arg(unit)
                                 .arg(describe(front.points[i])));
        }
        if (p.isSet(QStringLiteral("estimate"))) {
            QVector<int> layers;
            for (const QString& t : p.value(QStringLiteral("estimate")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                bool ok = false;
                layers.push_back(t.trimmed().toInt(&ok));
                if (!ok)
                    throw OptionError(QStringLiteral("--estimate takes entry indices like 4,15, not '%1'.").arg(t));
            }
            const search::CompoundEstimate mean = search::compoundEstimate(sweep, layers, search::CompoundRule::Mean);
            const search::CompoundEstimate sum = search::compoundEstimate(sweep, layers, search::CompoundRule::Sum);
            json.insert(QStringLiteral("estimate"),
                        QJsonObject{{QStringLiteral("mean"), search::toJson(mean)}, {QStringLiteral("sum"), search::toJson(sum)}});
            text << QStringLiteral("estimate by the paper's mean rule %1").arg(describe(mean))
                 << QStringLiteral("estimate by the sum-of-deltas rule %1").arg(describe(sum));
        }
        if (p.isSet(QStringLiteral("csv")))
            io::writeFileAtomic(p.value(QStringLiteral("csv")), search::frontCsv(front));
        if (validate) {
            const int count = p.intValue(QStringLiteral("validate"));
            const int skip = p.isSet(QStringLiteral("skip")) ? p.intValue(QStringLiteral("skip")) : sweep.skipEpochs;
            const QString out = p.value(QStringLiteral("out"));
            result.runDir = out;
            const QVector<search::ValidationRow> rows =
                search::runValidation(sweep, search::spreadAlongFront(front, count), skip, p.intValue(QStringLiteral("threads")), out,
                                      context.trainCallbacks(), context.cancelFlag());
            if (context.isCancelled()) {
                JobResult cancelled;
                cancelled.outcome = JobOutcome::Cancelled;
                cancelled.runDir = out;
                cancelled.resumeHint = QStringLiteral("validation cancelled after %1 points; run the same command again to continue").arg(rows.size());
                return cancelled;
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
        if (layersOnly) {
            if (choice < 0 || front.points[choice].layers.isEmpty())
                throw Error(QStringLiteral("no combination of layers meets the %1 limit, so there are no layers to print.")
                                .arg(hasMaxDrop ? QStringLiteral("--max-drop") : QStringLiteral("--max-cost")));
            if (!verdict.canTell)
                context.warn(verdict.sentence); // scripts read stdout; the doubt goes to stderr
            QStringList layers;
            for (int l : groups ? convLayers(front.points[choice]) : front.points[choice].layers)
                layers.push_back(QString::number(l));
            result.text = layers.join(QLatin1Char(',')) + QLatin1Char('\n');
            result.plainOutput = true; // only the layers, even with --json (scripts read them)
            return result;
        }
        result.text = format("baseline: accuracy %.2f%%, time %.2f s, size %lld params; %d entries, %s\n", 100 * sweep.baseline.accuracy,
                             sweep.baseline.seconds, static_cast<long long>(sweep.baseline.params), front.entryCount,
                             qPrintable(search::methodName(front.method)));
        result.text += rule == search::CompoundRule::Sum
                           ? QStringLiteral("estimates by the sum rule: baseline + the chosen entries' deltas\n")
                           : QStringLiteral("estimates by the paper's mean rule: the chosen entries' deltas summed and divided by L = %1 "
                                            "(the entries the sweep planned), so every drop, time and size change is 1/%1 of the sum "
                                            "rule's\n")
                                 .arg(search::consideredEntries(sweep));
        result.text += verdict.sentence + QLatin1Char('\n');
        result.text += format("Pareto front (accuracy drop vs %s), %lld points:\n", qPrintable(search::objectiveName(objective)),
                              static_cast<long long>(front.points.size()));
        for (const search::CompoundEstimate& e : front.points)
            result.text += QStringLiteral("  ") + describe(e) + QLatin1Char('\n');
        for (const QString& line : text)
            result.text += line + QLatin1Char('\n');
        return result;
    };
    return k;
}

} // namespace ranklab::kinds

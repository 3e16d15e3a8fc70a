// The Pareto layer search of paper A §3.2/§4.4 (ALGORITHMS.md §2): compound estimates by both rules,
// the exact front by enumeration and by frontier merge, and the queries on it.
#include <QtTest>

#include <cmath>
#include <random>

#include "core/error.h"
#include "core/search/pareto.h"
#include "core/search/sweep_result.h"

using namespace ranklab;
using namespace ranklab::search;

namespace {

/// The front by definition: every subset checked against every other subset (O(4^L)), with the same tie
/// rule (fewer items, then the lexicographically smaller item list).
QVector<FrontPoint> naiveFront(const QVector<qint64>& drop, const QVector<qint64>& cost)
{
    const int n = int(drop.size());
    const quint32 total = quint32(1) << n;
    QVector<qint64> d(static_cast<int>(total)), c(static_cast<int>(total));
    for (quint32 m = 0; m < total; ++m)
        for (int i = 0; i < n; ++i)
            if (m >> i & 1) {
                d[int(m)] += drop[i];
                c[int(m)] += cost[i];
            }
    const auto items = [n](quint32 m) {
        QVector<int> v;
        for (int i = 0; i < n; ++i)
            if (m >> i & 1)
                v.push_back(i);
        return v;
    };
    const auto keyLess = [&](quint32 a, quint32 b) {
        const QVector<int> ia = items(a), ib = items(b);
        if (ia.size() != ib.size())
            return ia.size() < ib.size();
        return std::lexicographical_compare(ia.begin(), ia.end(), ib.begin(), ib.end());
    };
    QVector<FrontPoint> front;
    for (quint32 a = 0; a < total; ++a) {
        bool keep = true;
        for (quint32 b = 0; b < total && keep; ++b) {
            if (a == b)
                continue;
            const bool weakly = c[int(b)] <= c[int(a)] && d[int(b)] <= d[int(a)];
            const bool strictly = c[int(b)] < c[int(a)] || d[int(b)] < d[int(a)];
            if (weakly && (strictly || keyLess(b, a)))
                keep = false;
        }
        if (keep)
            front.push_back(FrontPoint{items(a), d[int(a)], c[int(a)]});
    }
    std::sort(front.begin(), front.end(), [](const FrontPoint& x, const FrontPoint& y) { return x.cost < y.cost; });
    return front;
}

bool sameFront(const QVector<FrontPoint>& a, const QVector<FrontPoint>& b, QString* why)
{
    if (a.size() != b.size()) {
        *why = QStringLiteral("%1 vs %2 points").arg(a.size()).arg(b.size());
        return false;
    }
    for (int i = 0; i < a.size(); ++i)
        if (a[i].items != b[i].items || a[i].drop != b[i].drop || a[i].cost != b[i].cost) {
            *why = QStringLiteral("point %1 differs").arg(i);
            return false;
        }
    return true;
}

LayerSensitivity entry(int index, double accDrop, double secondsDelta, qint64 paramsDelta, const SweepBaseline& b)
{
    LayerSensitivity s;
    s.index = index;
    s.name = QStringLiteral("conv%1").arg(index);
    s.layers = {index};
    s.accDrop = accDrop;
    s.accuracy = b.accuracy - accDrop;
    s.secondsDelta = secondsDelta;
    s.seconds = b.seconds + secondsDelta;
    s.paramsDelta = paramsDelta;
    s.params = b.params + paramsDelta;
    return s;
}

/// A hand-made sweep of four layers (registry indices 2, 5, 7, 9) around a baseline of 90 % / 100 s /
/// 1000 parameters.
SweepResult handSweep()
{
    SweepResult r;
    r.dir = QStringLiteral("hand");
    r.baseline.accuracy = 0.90;
    r.baseline.seconds = 100;
    r.baseline.params = 1000;
    r.entries = {entry(2, 0.010, -4.0, -100, r.baseline), entry(5, 0.002, -1.0, -50, r.baseline),
                 entry(7, 0.030, -6.0, -300, r.baseline), entry(9, -0.001, 2.0, -10, r.baseline)};
    return r;
}

} // namespace

class TestSearchPareto final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void compoundEstimateByHand();
    void compoundEstimateRefusesUnknownLayer();
    void meanRuleCountsThePlannedEntriesAndSumThresholdsByHand();
    void handCheckedFront();
    void enumerationAndMergeAgreeOnRandomInstances();
    void tiesAreBrokenTheSameWay();
    void largeLNeedsTheMerge();
    void sweepFrontCarriesLayerSetsAndBothRulesSelectTheSame();
    void queries();
    void spearman();
};

void TestSearchPareto::compoundEstimateByHand()
{
    const SweepResult sweep = handSweep();
    // Layers {2, 7}: paper's rule averages over all L = 4 layers (baseline figures for 5 and 9).
    const CompoundEstimate mean = compoundEstimate(sweep, {7, 2}, CompoundRule::Mean);
    QCOMPARE(mean.layers, (QVector<int>{2, 7}));
    QVERIFY(std::fabs(mean.accDrop - (0.010 + 0.030 + 0 + 0) / 4) < 1e-12);
    QVERIFY(std::fabs(mean.accuracy - (0.90 - 0.01)) < 1e-12);
    QVERIFY(std::fabs(mean.seconds - (96.0 + 100 + 94.0 + 100) / 4) < 1e-12); // = 97.5
    QVERIFY(std::fabs(mean.params - (900.0 + 1000 + 700 + 1000) / 4) < 1e-9);  // = 900
    const CompoundEstimate sum = compoundEstimate(sweep, {2, 7, 2}, CompoundRule::Sum);
    QCOMPARE(sum.layers, (QVector<int>{2, 7}));
    QVERIFY(std::fabs(sum.accDrop - 0.040) < 1e-12);
    QVERIFY(std::fabs(sum.seconds - 90.0) < 1e-12);
    QVERIFY(std::fabs(sum.params - 600.0) < 1e-9);
    const CompoundEstimate none = compoundEstimate(sweep, {}, CompoundRule::Mean);
    QCOMPARE(none.accDrop, 0.0);
    QCOMPARE(none.seconds, 100.0);
}

void TestSearchPareto::meanRuleCountsThePlannedEntriesAndSumThresholdsByHand()
{
    // L of the mean rule is what the sweep planned: with two of the four entries still pending, an estimate
    // keeps its value instead of doubling as the sweep fills in.
    SweepResult sweep = handSweep();
    sweep.plannedEntries = 6; // two more entries planned, not finished
    QCOMPARE(consideredEntries(sweep), 6);
    QVERIFY(std::fabs(compoundEstimate(sweep, {2, 7}, CompoundRule::Mean).accDrop - 0.040 / 6) < 1e-12);
    sweep.plannedEntries = 0; // a hand-made result without a plan: its entries
    QCOMPARE(consideredEntries(sweep), 4);

    // A drop threshold under the sum rule, by hand. Size front of the hand sweep (drop, size):
    // {} (0, 1000), {9} (-0.001, 990), {5,9} (0.001, 940), {2,5,9} (0.011, 840), {2,5,7,9} (0.041, 540), …
    // With --max-drop 0.012 the sum rule may keep {2,5,9} (0.011 ≤ 0.012); {2,5,7,9} (0.041) is out.
    const ParetoFront front = paretoFront(handSweep(), Objective::Size, CompoundRule::Sum);
    const int i = bestUnderMaxDrop(front, 0.012);
    QVERIFY(i >= 0);
    QCOMPARE(front.points[i].layers, (QVector<int>{2, 5, 9}));
    QVERIFY(std::fabs(front.points[i].accDrop - 0.011) < 1e-12);
    QVERIFY(std::fabs(front.points[i].params - 840.0) < 1e-9);
    // The mean rule reads the same threshold as 4× more permissive (its figures are 1/L = 1/4 of the sum's):
    // {2,5,7,9} has a mean-rule drop of 0.041 / 4 ≈ 0.010 and passes — the trap the sum default avoids.
    const ParetoFront meanFront = paretoFront(handSweep(), Objective::Size, CompoundRule::Mean);
    const int j = bestUnderMaxDrop(meanFront, 0.012);
    QCOMPARE(meanFront.points[j].layers, (QVector<int>{2, 5, 7, 9}));
}

void TestSearchPareto::compoundEstimateRefusesUnknownLayer()
{
    bool thrown = false;
    try {
        compoundEstimate(handSweep(), {2, 3}, CompoundRule::Mean);
    } catch (const Error& e) {
        thrown = QString::fromUtf8(e.what()).contains(QStringLiteral("no finished entry 3"));
    }
    QVERIFY(thrown);
}

void TestSearchPareto::handCheckedFront()
{
    // Items (drop, cost): a = (3, -4), b = (1, -1), c = (0, 2), d = (5, -3).
    // Subsets by hand: {} (0,0); {a} (3,-4); {b} (1,-1); {a,b} (4,-5); {d} (5,-3) dominated by {a};
    // {a,d} (8,-7); {a,b,d} (9,-8); {b,d} (6,-4) dominated by {a}; c only adds cost: never on the front.
    // Front by cost: {a,b,d} (-8,9), {a,d} (-7,8), {a,b} (-5,4), {a} (-4,3), {b} (-1,1), {} (0,0).
    const QVector<qint64> drop{3, 1, 0, 5}, cost{-4, -1, 2, -3};
    const QVector<FrontPoint> expected{{{0, 1, 3}, 9, -8}, {{0, 3}, 8, -7}, {{0, 1}, 4, -5},
                                       {{0}, 3, -4},       {{1}, 1, -1},    {{}, 0, 0}};
    QString why;
    QVERIFY2(sameFront(paretoFrontOf(drop, cost, FrontMethod::Enumerate), expected, &why), qPrintable(why));
    QVERIFY2(sameFront(paretoFrontOf(drop, cost, FrontMethod::Merge), expected, &why), qPrintable(why));
    QVERIFY2(sameFront(naiveFront(drop, cost), expected, &why), qPrintable(why));
}

void TestSearchPareto::enumerationAndMergeAgreeOnRandomInstances()
{
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<qint64> dropDist(-200, 2000), costDist(-5000, 3000);
    for (int trial = 0; trial < 60; ++trial) {
        const int n = 1 + trial % 16;
        QVector<qint64> drop(n), cost(n);
        for (int i = 0; i < n; ++i) {
            drop[i] = dropDist(rng);
            cost[i] = costDist(rng);
        }
        const QVector<FrontPoint> e = paretoFrontOf(drop, cost, FrontMethod::Enumerate);
        const QVector<FrontPoint> m = paretoFrontOf(drop, cost, FrontMethod::Merge);
        QString why;
        QVERIFY2(sameFront(e, m, &why), qPrintable(QStringLiteral("L=%1: %2").arg(n).arg(why)));
        QVERIFY(e.size() >= 1);
        if (n <= 9)
            QVERIFY2(sameFront(e, naiveFront(drop, cost), &why), qPrintable(QStringLiteral("naive, L=%1: %2").arg(n).arg(why)));
    }
}

void TestSearchPareto::tiesAreBrokenTheSameWay()
{
    // Small integers make many subsets share sums; both methods must keep the same representative.
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<qint64> dist(-2, 3);
    for (int trial = 0; trial < 40; ++trial) {
        const int n = 2 + trial % 9;
        QVector<qint64> drop(n), cost(n);
        for (int i = 0; i < n; ++i) {
            drop[i] = dist(rng);
            cost[i] = dist(rng);
        }
        QString why;
        const QVector<FrontPoint> e = paretoFrontOf(drop, cost, FrontMethod::Enumerate);
        QVERIFY2(sameFront(e, paretoFrontOf(drop, cost, FrontMethod::Merge), &why), qPrintable(why));
        QVERIFY2(sameFront(e, naiveFront(drop, cost), &why), qPrintable(why));
    }
}

void TestSearchPareto::largeLNeedsTheMerge()
{
    QVector<qint64> drop(30), cost(30);
    for (int i = 0; i < 30; ++i) {
        drop[i] = (i * 37) % 11 - 2;
        cost[i] = (i * 53) % 17 - 9;
    }
    bool thrown = false;
    try {
        paretoFrontOf(drop, cost, FrontMethod::Enumerate);
    } catch (const Error& e) {
        thrown = QString::fromUtf8(e.what()).contains(QStringLiteral("limited to 24 layers"));
    }
    QVERIFY(thrown);
    const QVector<FrontPoint> front = paretoFrontOf(drop, cost, FrontMethod::Auto);
    QVERIFY(!front.isEmpty());
    // Every negative-drop, negative-cost item is in the cheapest point; costs ascend, drops descend.
    for (int i = 1; i < front.size(); ++i) {
        QVERIFY(front[i].cost > front[i - 1].cost);
        QVERIFY(front[i].drop < front[i - 1].drop);
    }
    for (int i = 0; i < 30; ++i)
        if (drop[i] <= 0 && cost[i] <= 0 && (drop[i] < 0 || cost[i] < 0))
            for (const FrontPoint& p : front)
                QVERIFY(p.items.contains(i));
}

void TestSearchPareto::sweepFrontCarriesLayerSetsAndBothRulesSelectTheSame()
{
    const SweepResult sweep = handSweep();
    const ParetoFront mean = paretoFront(sweep, Objective::Time, CompoundRule::Mean);
    const ParetoFront sum = paretoFront(sweep, Objective::Time, CompoundRule::Sum, FrontMethod::Merge);
    QCOMPARE(mean.method, FrontMethod::Enumerate);
    QCOMPARE(mean.entryCount, 4);
    QCOMPARE(mean.points.size(), sum.points.size());
    for (int i = 0; i < mean.points.size(); ++i)
        QCOMPARE(mean.points[i].layers, sum.points[i].layers);
    // Layer 9 only costs time (+2 s) for a 0.001 gain; the cheapest point takes 2, 5, 7 and not 9.
    QCOMPARE(mean.points.front().layers, (QVector<int>{2, 5, 7}));
    QVERIFY(std::fabs(sum.points.front().seconds - 89.0) < 1e-9);
    QVERIFY(std::fabs(mean.points.front().seconds - (100 - 11.0 / 4)) < 1e-9);
    // The least-drop end is {9}: it beats the baseline.
    QCOMPARE(mean.points.back().layers, (QVector<int>{9}));
    // Size objective: every layer shrinks the model, so the smallest point has all four.
    const ParetoFront size = paretoFront(sweep, Objective::Size, CompoundRule::Sum);
    QCOMPARE(size.points.front().layers, (QVector<int>{2, 5, 7, 9}));
    QVERIFY(std::fabs(size.points.front().params - 540.0) < 1e-9);
}

void TestSearchPareto::queries()
{
    const ParetoFront front = paretoFront(handSweep(), Objective::Time, CompoundRule::Sum);
    // Sum rule, by hand: the front is {2,5,7} (drop .042, 89 s), {2,7} (.040, 90 s), {2,7,9} (.039, 92 s),
    // {5,7} (.032, 93 s), {7} (.030, 94 s), {2,5} (.012, 95 s), {2} (.010, 96 s), {2,9} (.009, 98 s),
    // {5} (.002, 99 s), {} (0, 100 s), {9} (-.001, 102 s).
    QCOMPARE(front.points.size(), 11);
    QCOMPARE(front.points[2].layers, (QVector<int>{2, 7, 9}));
    QCOMPARE(front.points[7].layers, (QVector<int>{2, 9}));
    const int i = bestUnderMaxDrop(front, 0.015);
    QVERIFY(i >= 0);
    QCOMPARE(front.points[i].layers, (QVector<int>{2, 5}));
    QCOMPARE(bestUnderMaxDrop(front, -0.5), -1);
    const int j = bestUnderMaxObjective(front, 96.5);
    QVERIFY(j >= 0);
    QCOMPARE(front.points[j].layers, (QVector<int>{2}));
    QCOMPARE(bestUnderMaxObjective(front, 50), -1);
    const QByteArray csv = frontCsv(front);
    QVERIFY(csv.startsWith("layers,acc_drop,accuracy,time,size\n"));
    QCOMPARE(csv.count('\n'), int(front.points.size()) + 1);
}

void TestSearchPareto::spearman()
{
    QVERIFY(std::fabs(spearmanRho({1, 2, 3, 4}, {10, 20, 30, 40}) - 1) < 1e-12);
    QVERIFY(std::fabs(spearmanRho({1, 2, 3, 4}, {4, 3, 2, 1}) + 1) < 1e-12);
    // Ties: ranks a = 1, 2.5, 2.5, 4; b = 1, 2, 3, 4 → ρ = Pearson of the ranks = 0.9486833 (= 3/√10).
    QVERIFY(std::fabs(spearmanRho({1, 2, 2, 3}, {1, 2, 3, 4}) - 3 / std::sqrt(10.0)) < 1e-9);
    QVERIFY(std::isnan(spearmanRho({1, 1, 1}, {1, 2, 3})));
    QVERIFY(std::isnan(spearmanRho({1}, {1})));
}

QTEST_GUILESS_MAIN(TestSearchPareto)
#include "test_search_pareto.moc"

#include "core/search/pareto.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include <QJsonArray>

#include "core/error.h"
#include "core/json_fields.h"

namespace ranklab::search {

namespace {

/// A set of up to kMaxMergeLayers items as bits.
struct Mask {
    std::array<quint64, kMaxMergeLayers / 64> w{};
    void set(int i) { w[size_t(i / 64)] |= quint64(1) << (i % 64); }
    int count() const
    {
        int n = 0;
        for (quint64 x : w)
            n += __builtin_popcountll(x);
        return n;
    }
    bool operator==(const Mask& o) const { return w == o.w; }
};

/// The tie rule of paretoFrontOf: fewer items first, then the set holding the lowest differing item
/// (= the lexicographically smaller sorted item list among sets of equal size).
bool betterKey(const Mask& a, const Mask& b)
{
    const int ca = a.count(), cb = b.count();
    if (ca != cb)
        return ca < cb;
    for (size_t i = 0; i < a.w.size(); ++i) {
        const quint64 diff = a.w[i] ^ b.w[i];
        if (diff)
            return (a.w[i] & (diff & (~diff + 1))) != 0;
    }
    return false;
}

bool betterKey32(quint32 a, quint32 b)
{
    const int ca = __builtin_popcount(a), cb = __builtin_popcount(b);
    if (ca != cb)
        return ca < cb;
    const quint32 diff = a ^ b;
    return diff && (a & (diff & (~diff + 1))) != 0;
}

struct MergePoint {
    qint64 cost, drop;
    Mask mask;
};

/// Orders points by cost, then drop, then the tie rule: after a merge in this order, a point is kept
/// exactly when its drop is below every drop before it.
bool mergeBefore(const MergePoint& a, const MergePoint& b)
{
    if (a.cost != b.cost)
        return a.cost < b.cost;
    if (a.drop != b.drop)
        return a.drop < b.drop;
    return betterKey(a.mask, b.mask);
}

QVector<FrontPoint> frontByMerge(const QVector<qint64>& drop, const QVector<qint64>& cost)
{
    // Front of the first k items, sorted by cost ascending (drop strictly descending). Adding item k:
    // merge "without k" (the front as is) with "with k" (the front shifted by item k) and keep the
    // non-dominated points. Exact: a subset dominated within the first k items stays dominated whatever
    // is added after (the same later items shift both points alike), and ties keep the same winner.
    std::vector<MergePoint> front{MergePoint{0, 0, Mask{}}}, shifted, merged;
    for (int k = 0; k < drop.size(); ++k) {
        shifted.clear();
        for (const MergePoint& p : front) {
            MergePoint q = p;
            q.cost += cost[k];
            q.drop += drop[k];
            q.mask.set(k);
            shifted.push_back(q);
        }
        merged.clear();
        merged.reserve(front.size() + shifted.size());
        std::merge(front.begin(), front.end(), shifted.begin(), shifted.end(), std::back_inserter(merged), mergeBefore);
        front.clear();
        for (const MergePoint& p : merged)
            if (front.empty() || p.drop < front.back().drop)
                front.push_back(p);
    }
    QVector<FrontPoint> out;
    out.reserve(int(front.size()));
    for (const MergePoint& p : front) {
        FrontPoint f;
        f.cost = p.cost;
        f.drop = p.drop;
        for (int i = 0; i < drop.size(); ++i)
            if (p.mask.w[size_t(i / 64)] >> (i % 64) & 1)
                f.items.push_back(i);
        out.push_back(f);
    }
    return out;
}

QVector<FrontPoint> frontByEnumeration(const QVector<qint64>& drop, const QVector<qint64>& cost)
{
    const int n = int(drop.size());
    struct Entry {
        qint64 drop;
        quint32 mask;
    };
    // cost → (drop, mask); drop strictly decreases as cost increases.
    std::map<qint64, Entry> front;
    const auto offer = [&front](qint64 c, qint64 d, quint32 mask) {
        auto it = front.upper_bound(c);
        if (it != front.begin()) {
            auto p = std::prev(it);
            if (p->first == c) {
                if (p->second.drop < d)
                    return;
                if (p->second.drop == d) {
                    if (betterKey32(mask, p->second.mask))
                        p->second.mask = mask;
                    return;
                }
                it = front.erase(p); // same cost, higher drop: dominated by the new point
            } else if (p->second.drop <= d) {
                return;
            }
        }
        while (it != front.end() && it->second.drop >= d)
            it = front.erase(it);
        front.emplace_hint(it, c, Entry{d, mask});
    };
    // Gray code: step i flips item ctz(i), so the sums change by one item per combination.
    qint64 c = 0, d = 0;
    quint32 mask = 0;
    offer(0, 0, 0);
    const quint64 total = quint64(1) << n;
    for (quint64 i = 1; i < total; ++i) {
        const int bit = __builtin_ctzll(i);
        const quint32 b = quint32(1) << bit;
        mask ^= b;
        if (mask & b) {
            c += cost[bit];
            d += drop[bit];
        } else {
            c -= cost[bit];
            d -= drop[bit];
        }
        offer(c, d, mask);
    }
    QVector<FrontPoint> out;
    out.reserve(int(front.size()));
    for (const auto& [fc, e] : front) {
        FrontPoint f;
        f.cost = fc;
        f.drop = e.drop;
        for (int k = 0; k < n; ++k)
            if (e.mask >> k & 1)
                f.items.push_back(k);
        out.push_back(f);
    }
    return out;
}

qint64 fixedPoint(double value, double resolution)
{
    const double scaled = std::round(value / resolution);
    if (!std::isfinite(scaled) || std::fabs(scaled) > 1e15)
        throw Error(QStringLiteral("a sweep figure (%1) is out of the range the Pareto search can add up.").arg(value));
    return qint64(scaled);
}

} // namespace

QString objectiveName(Objective objective)
{
    return objective == Objective::Time ? QStringLiteral("time") : QStringLiteral("size");
}

Objective parseObjective(const QString& text)
{
    if (text == QLatin1String("time"))
        return Objective::Time;
    if (text == QLatin1String("size"))
        return Objective::Size;
    throw Error(QStringLiteral("unknown objective '%1'; expected time or size.").arg(text));
}

QString ruleName(CompoundRule rule)
{
    return rule == CompoundRule::Mean ? QStringLiteral("mean") : QStringLiteral("sum");
}

CompoundRule parseRule(const QString& text)
{
    if (text == QLatin1String("mean"))
        return CompoundRule::Mean;
    if (text == QLatin1String("sum"))
        return CompoundRule::Sum;
    throw Error(QStringLiteral("unknown rule '%1'; expected mean (the paper's) or sum.").arg(text));
}

QString methodName(FrontMethod method)
{
    switch (method) {
    case FrontMethod::Auto: return QStringLiteral("auto");
    case FrontMethod::Enumerate: return QStringLiteral("enumerate");
    case FrontMethod::Merge: return QStringLiteral("merge");
    }
    return {};
}

FrontMethod parseMethod(const QString& text)
{
    for (FrontMethod m : {FrontMethod::Auto, FrontMethod::Enumerate, FrontMethod::Merge})
        if (methodName(m) == text)
            return m;
    throw Error(QStringLiteral("unknown front method '%1'; expected auto, enumerate or merge.").arg(text));
}

int consideredEntries(const SweepResult& sweep)
{
    return sweep.plannedEntries > 0 ? sweep.plannedEntries : int(sweep.entries.size());
}

CompoundEstimate compoundEstimate(const SweepResult& sweep, const QVector<int>& indices, CompoundRule rule)
{
    CompoundEstimate e;
    e.rule = rule;
    QVector<int> chosen = indices;
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    double drop = 0, dSeconds = 0, dParams = 0, ciSquares = 0;
    bool intervals = true;
    for (int index : chosen) {
        const auto it = std::find_if(sweep.entries.begin(), sweep.entries.end(),
                                     [index](const LayerSensitivity& s) { return s.index == index; });
        if (it == sweep.entries.end())
            throw Error(QStringLiteral("the sweep in %1 has no finished entry %2.").arg(sweep.dir).arg(index));
        drop += it->accDrop;
        // Independent entries: the variances of the summed drops add, so do the squared half-widths (same
        // seed count). Pairing all entries with one baseline correlates them a little; this ignores that.
        intervals = intervals && it->accDropCi >= 0;
        ciSquares += it->accDropCi * it->accDropCi;
        dSeconds += timeDelta(sweep, *it);
        dParams += double(it->paramsDelta);
    }
    if (rule == CompoundRule::Mean) {
        // Paper A §3.2: entries outside S contribute the baseline's figures (zero deltas); mean over all L.
        const double n = double(std::max(1, consideredEntries(sweep)));
        drop /= n;
        dSeconds /= n;
        dParams /= n;
        ciSquares /= n * n;
    }
    e.layers = chosen;
    e.accDrop = drop;
    e.accDropCi = intervals && !chosen.isEmpty() ? std::sqrt(ciSquares) : (chosen.isEmpty() ? 0 : -1);
    e.accuracy = sweep.baseline.accuracy - drop;
    e.seconds = sweep.baseline.seconds + dSeconds;
    e.params = double(sweep.baseline.params) + dParams;
    return e;
}

QVector<FrontPoint> paretoFrontOf(const QVector<qint64>& drop, const QVector<qint64>& cost, FrontMethod method)
{
    if (drop.size() != cost.size())
        throw Error(QStringLiteral("the Pareto search needs one drop and one cost per item (%1 and %2 given).")
                        .arg(drop.size())
                        .arg(cost.size()));
    const int n = int(drop.size());
    if (n > kMaxMergeLayers)
        throw Error(QStringLiteral("the Pareto search handles at most %1 layers; %2 were given.").arg(kMaxMergeLayers).arg(n));
    if (method == FrontMethod::Auto)
        method = n <= kMaxEnumerateLayers ? FrontMethod::Enumerate : FrontMethod::Merge;
    if (method == FrontMethod::Enumerate) {
        if (n > kMaxEnumerateLayers)
            throw Error(QStringLiteral("exhaustive enumeration is limited to %1 layers (2^%1 combinations) and this search "
                                       "has %2; use the frontier merge (method merge or auto), which is exact too.")
                            .arg(kMaxEnumerateLayers)
                            .arg(n));
        return frontByEnumeration(drop, cost);
    }
    return frontByMerge(drop, cost);
}

ParetoFront paretoFront(const SweepResult& sweep, Objective objective, CompoundRule rule, FrontMethod method)
{
    const int n = int(sweep.entries.size());
    if (n == 0)
        throw Error(QStringLiteral("the sweep in %1 has no finished entries to combine.").arg(sweep.dir));
    QVector<qint64> drop(n), cost(n);
    for (int i = 0; i < n; ++i) {
        const LayerSensitivity& s = sweep.entries[i];
        drop[i] = fixedPoint(s.accDrop, kDropResolution);
        cost[i] = objective == Objective::Time ? fixedPoint(timeDelta(sweep, s), kSecondsResolution) : qint64(s.paramsDelta);
    }
    ParetoFront front;
    front.objective = objective;
    front.rule = rule;
    front.method = method == FrontMethod::Auto ? (n <= kMaxEnumerateLayers ? FrontMethod::Enumerate : FrontMethod::Merge)
                                               : method;
    front.entryCount = n;
    for (const FrontPoint& p : paretoFrontOf(drop, cost, front.method)) {
        QVector<int> indices;
        for (int i : p.items)
            indices.push_back(sweep.entries[i].index);
        front.points.push_back(compoundEstimate(sweep, indices, rule));
    }
    return front;
}

int bestUnderMaxDrop(const ParetoFront& front, double maxDrop)
{
    // Sorted by objective ascending, drop descending: the first qualifying point saves the most.
    for (int i = 0; i < front.points.size(); ++i)
        if (front.points[i].accDrop <= maxDrop)
            return i;
    return -1;
}

int bestUnderMaxObjective(const ParetoFront& front, double maxObjective)
{
    int best = -1;
    for (int i = 0; i < front.points.size(); ++i) {
        const CompoundEstimate& p = front.points[i];
        const double value = front.objective == Objective::Time ? p.seconds : p.params;
        if (value <= maxObjective && (best < 0 || p.accDrop < front.points[best].accDrop))
            best = i;
    }
    return best;
}

namespace {
const JsonFields<CompoundEstimate>& compoundEstimateFields()
{
    static const auto f = JsonFields<CompoundEstimate>()
                              .numbers("layers", &CompoundEstimate::layers)
                              .add("acc_drop", &CompoundEstimate::accDrop)
                              .add("accuracy", &CompoundEstimate::accuracy)
                              .add("time", &CompoundEstimate::seconds)
                              .add("size", &CompoundEstimate::params)
                              .add("acc_drop_ci", &CompoundEstimate::accDropCi)
                              .custom("rule", [](const CompoundEstimate& e) { return QJsonValue(ruleName(e.rule)); },
                                      [](CompoundEstimate& e, const QJsonValue& v) { e.rule = parseRule(v.toString()); });
    return f;
}
} // namespace

QJsonObject toJson(const CompoundEstimate& e)
{
    return compoundEstimateFields().write(e);
}

CompoundEstimate compoundEstimateFromJson(const QJsonObject& json)
{
    return compoundEstimateFields().read(json);
}

QJsonObject toJson(const ParetoFront& front, const SweepBaseline& baseline)
{
    QJsonArray points;
    for (const CompoundEstimate& p : front.points)
        points.append(toJson(p));
    return QJsonObject{{QStringLiteral("baseline"), QJsonObject{{QStringLiteral("accuracy"), baseline.accuracy},
                                                                {QStringLiteral("time"), baseline.seconds},
                                                                {QStringLiteral("size"), double(baseline.params)},
                                                                {QStringLiteral("run_dir"), baseline.runDir}}},
                       {QStringLiteral("objective"), objectiveName(front.objective)},
                       {QStringLiteral("rule"), ruleName(front.rule)},
                       {QStringLiteral("method"), methodName(front.method)},
                       {QStringLiteral("entries"), front.entryCount},
                       {QStringLiteral("front"), points}};
}

QByteArray frontCsv(const ParetoFront& front)
{
    QString csv = QStringLiteral("layers,acc_drop,accuracy,time,size\n");
    for (const CompoundEstimate& p : front.points) {
        QStringList layers;
        for (int l : p.layers)
            layers.push_back(QString::number(l));
        csv += QStringLiteral("%1,%2,%3,%4,%5\n")
                   .arg(layers.join(QLatin1Char(' ')))
                   .arg(p.accDrop, 0, 'g', 10)
                   .arg(p.accuracy, 0, 'g', 10)
                   .arg(p.seconds, 0, 'g', 10)
                   .arg(p.params, 0, 'g', 12);
    }
    return csv.toUtf8();
}

} // namespace ranklab::search

#include "core/ron/ron_job.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <tuple>

#if __has_include(<Eigen/Dense>)
#include <Eigen/Dense>
#else
#include <eigen3/Eigen/Dense>
#endif

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint.h"
#include "core/io/folder_lock.h"
#include "core/io/weights.h"
#include "core/models/channel_plan.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/ron/activation_stream.h"
#include "core/ron/evbmf.h"
#include "core/ron/rect_maxvol.h"
#include "core/ron/student_builder.h"
#include "core/ron/teacher.h"
#include "core/train/evaluate_internal.h"
#include "core/train/train_session.h"

namespace ranklab::ron {

RankRule parseRankRule(const QString& text)
{
    RankRule rule;
    const QString t = text.trimmed();
    bool ok = false;
    if (t == QLatin1String("vbmf"))
        return rule;
    if (t.startsWith(QLatin1String("vbmf:"))) {
        rule.weakening = t.mid(5).toDouble(&ok);
        if (!ok || rule.weakening < 0 || rule.weakening > 1)
            throw Error(QStringLiteral("the EVBMF weakening in '%1' must be a number in [0, 1].").arg(text));
        return rule;
    }
    if (t.startsWith(QLatin1String("factor:"))) {
        rule.kind = RankRule::Kind::Factor;
        rule.factor = t.mid(7).toDouble(&ok);
        if (!ok || !(rule.factor >= 1) || !std::isfinite(rule.factor))
            throw Error(QStringLiteral("the reduction factor in '%1' must be a number of at least 1.").arg(text));
        return rule;
    }
    rule.kind = RankRule::Kind::Explicit;
    rule.rank = t.toInt(&ok);
    if (!ok)
        throw Error(QStringLiteral("'%1' is not a rank rule; use vbmf, vbmf:WF, factor:F or a rank R.").arg(text));
    if (rule.rank <= 0)
        throw Error(QStringLiteral("the rank must be at least 1, not %1.").arg(rule.rank));
    return rule;
}

QString rankRuleText(const RankRule& rule)
{
    switch (rule.kind) {
    case RankRule::Kind::Vbmf:
        return rule.weakening == 1 ? QStringLiteral("vbmf") : QStringLiteral("vbmf:%1").arg(rule.weakening);
    case RankRule::Kind::Factor: return QStringLiteral("factor:%1").arg(rule.factor);
    case RankRule::Kind::Explicit: return QString::number(rule.rank);
    }
    return {};
}

namespace {
RowMatrixXd toEigen(const torch::Tensor& t)
{
    const auto c = t.reshape({t.size(0), -1}).to(torch::kDouble).contiguous();
    return Eigen::Map<const RowMatrixXd>(c.data_ptr<double>(), c.size(0), c.size(1));
}

/// Median wall time in ms of `repeats` forwards of a batch of `batch` random inputs (after 3 warm-ups).
double medianLatencyMs(nn::Layer& model, const ModelSpec& spec, int batch, int repeats)
{
    model.eval();
    torch::NoGradGuard noGrad;
    const auto x = torch::randn({batch, spec.inChannels, spec.inputSize, spec.inputSize});
    for (int i = 0; i < 3; ++i)
        model.forward(x);
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        model.forward(x);
        times.push_back(secondsSince(start) * 1e3);
    }
    std::nth_element(times.begin(), times.begin() + long(times.size() / 2), times.end());
    return times[times.size() / 2];
}

int64_t parameterCount(const nn::Layer& model)
{
    int64_t n = 0;
    for (const auto& p : model.parameters())
        n += p.numel();
    return n;
}

/// Folds each inserted BatchNorm1d back into the linear map before it (exact in eval mode), so the saved
/// student has the shape and cost of the one Algorithm 1 built.
QJsonObject foldStudentBatchNorm(RonStudent& student, QJsonObject structure)
{
    torch::NoGradGuard noGrad;
    auto fold = [](nn::Linear& fc, const std::shared_ptr<nn::BatchNorm>& bn, nn::Linear* extra) {
        if (!bn)
            return;
        const auto scale = bn->weight / (bn->running_var + bn->eps()).sqrt();
        fc.weight.mul_(scale.unsqueeze(1));
        fc.bias.copy_((fc.bias - bn->running_mean) * scale + bn->bias);
        if (extra)
            extra->weight.mul_(scale.unsqueeze(1));
    };
    QJsonArray stages = structure.value(QStringLiteral("stages")).toArray();
    for (size_t k = 0; k < student.reduced()->stages.size(); ++k) {
        RonStage& s = *student.reduced()->stages[k];
        if (s.fc)
            fold(*s.fc, s.bn, nullptr);
        if (s.fc1)
            fold(*s.fc1, s.bn1, nullptr);
        if (s.fc2)
            fold(*s.fc2, s.bn2, s.shortcut.get());
        QJsonObject o = stages[int(k)].toObject();
        o.insert(QStringLiteral("batch_norm"), false);
        o.insert(QStringLiteral("dropout"), 0);
        stages[int(k)] = o;
    }
    structure.insert(QStringLiteral("stages"), stages);
    return structure;
}

/// Copies into `to` every tensor of `from` with the same name; tensors `from` lacks (an inserted BatchNorm)
/// keep their values.
void copyMatching(const nn::Layer& from, nn::Layer& to)
{
    const io::StateDict src = io::moduleStateDict(from);
    io::StateDict merged = io::moduleStateDict(to);
    for (auto& [name, tensor] : merged)
        for (const auto& s : src)
            if (s.first == name)
                tensor = s.second;
    io::loadStateDict(to, merged, QStringLiteral("the student"));
}
} // namespace

namespace {
const JsonFields<RonLayerReport>& ronLayerFields()
{
    static const auto f = JsonFields<RonLayerReport>()
                              .add("index", &RonLayerReport::index)
                              .add("name", &RonLayerReport::name)
                              .add("dim", &RonLayerReport::dim)
                              .add("rank", &RonLayerReport::rank)
                              .add("rows", &RonLayerReport::rows)
                              .add("vbmf_rank", &RonLayerReport::vbmfRank)
                              .add("bound_eq19", &RonLayerReport::bound19)
                              .add("norm_C", &RonLayerReport::normC)
                              .add("lowrank_rel_error", &RonLayerReport::lowRankError)
                              .add("sampled_rel_error", &RonLayerReport::sampledError)
                              .add("bound_eq20", &RonLayerReport::bound20)
                              .add("student_rel_error", &RonLayerReport::studentError);
    return f;
}
const JsonFields<RonReport>& ronFields()
{
    static const auto f = JsonFields<RonReport>()
                              .add("status", &RonReport::status)
                              .add("modified_layers", &RonReport::modifiedLayers)
                              .add("first_layer", &RonReport::firstName)
                              .add("last_layer", &RonReport::lastName)
                              .objects("layers", &RonReport::layers, ronLayerFields())
                              .add("teacher_top1", &RonReport::teacherTop1)
                              .add("teacher_top5", &RonReport::teacherTop5)
                              .add("student_top1", &RonReport::studentTop1)
                              .add("student_top5", &RonReport::studentTop5)
                              .optional("finetuned_top1", &RonReport::finetunedTop1)
                              .optional("finetuned_top5", &RonReport::finetunedTop5)
                              .add("teacher_flops", &RonReport::teacherFlops)
                              .add("student_flops", &RonReport::studentFlops)
                              .add("teacher_range_flops", &RonReport::teacherRangeFlops)
                              .add("student_range_flops", &RonReport::studentRangeFlops)
                              .add("range_flop_reduction", &RonReport::rangeFlopReduction)
                              .add("total_flop_reduction", &RonReport::totalFlopReduction)
                              .add("teacher_params", &RonReport::teacherParams)
                              .add("student_params", &RonReport::studentParams)
                              .add("teacher_latency_b1_ms", &RonReport::teacherLatency1Ms)
                              .add("student_latency_b1_ms", &RonReport::studentLatency1Ms)
                              .add("teacher_latency_b64_ms", &RonReport::teacherLatency64Ms)
                              .add("student_latency_b64_ms", &RonReport::studentLatency64Ms)
                              .add("speedup_b1", &RonReport::speedup1)
                              .add("speedup_b64", &RonReport::speedup64)
                              .add("latency_threads", &RonReport::latencyThreads)
                              .add("samples", &RonReport::samples)
                              .add("build_seconds", &RonReport::buildSeconds)
                              .add("finetune_seconds", &RonReport::finetuneSeconds)
                              .add("student_weights", &RonReport::studentWeights);
    return f;
}

} // namespace

QJsonObject toJson(const RonParams& p)
{
    // Fine-tuning trains the student on the build's data (runRon fills model and data in); the record says
    // so instead of showing the defaults of an unfilled TrainParams.
    TrainParams finetune = p.finetune;
    finetune.model = p.model;
    finetune.data = p.data;
    finetune.initWeights.clear();
    return QJsonObject{{QStringLiteral("model"), toJson(p.model)},
                       {QStringLiteral("data"), toJson(p.data)},
                       {QStringLiteral("weights"), p.weights},
                       {QStringLiteral("layers"), p.layers},
                       {QStringLiteral("rank"), rankRuleText(p.rank)},
                       {QStringLiteral("rows_ratio"), p.rowsRatio},
                       {QStringLiteral("rows_tolerance"), p.rowsTolerance},
                       {QStringLiteral("samples"), p.samples},
                       {QStringLiteral("batch_size"), p.batchSize},
                       {QStringLiteral("method"), sketchMethodName(p.method)},
                       {QStringLiteral("sketch_size"), p.sketchSize},
                       {QStringLiteral("held_out"), p.heldOut},
                       {QStringLiteral("finetune"), toJson(finetune)},
                       {QStringLiteral("finetune_batch_norm"), p.finetuneBatchNorm},
                       {QStringLiteral("finetune_dropout"), p.finetuneDropout}};
}

QJsonObject toJson(const RonReport& r)
{
    return ronFields().write(r);
}

RonReport ronReportFromJson(const QJsonObject& json)
{
    return ronFields().read(json);
}

RonReport readRonReport(const QString& runDir)
{
    const QString path = QDir(runDir).filePath(QStringLiteral("report.json"));
    const QJsonObject json = io::readJsonObject(path);
    if (!json.contains(QStringLiteral("teacher_top1")))
        throw Error(QStringLiteral("%1 is not a RON report.").arg(path));
    return ronFields().read(json);
}

namespace {
/// Per capture point of the range: basis, rows, and the report fields known at build time.
struct PointBuild {
    CapturePoint point;
    SampledBasis basis;
    RonLayerReport report;
    int stage = 0;   ///< student stage it belongs to
};

/// Held-out errors (paper B §4.4): teacher activations z, the low-rank residual ε = z − V Vᵀ z, the
/// sampled coefficient error (S V)^+ S ε that eq. (20) bounds, and the student's reconstruction C s.
void measureErrors(const Teacher& t, RonStudent& student, std::vector<PointBuild>& builds, int heldOut, int batchSize,
                   const std::atomic_bool* cancel)
{
    const int64_t n = std::min<int64_t>(heldOut, t.data.test.size());
    if (n < 1)
        return;
    std::vector<Eigen::MatrixXd> pinvSV(builds.size());
    for (size_t i = 0; i < builds.size(); ++i) {
        Eigen::MatrixXd SV(Eigen::Index(builds[i].basis.rows.size()), builds[i].basis.V.cols());
        for (size_t r = 0; r < builds[i].basis.rows.size(); ++r)
            SV.row(Eigen::Index(r)) = builds[i].basis.V.row(Eigen::Index(builds[i].basis.rows[r]));
        pinvSV[i] = SV.completeOrthogonalDecomposition().pseudoInverse(); // R × P
    }
    std::vector<double> zz(builds.size()), ee(builds.size()), se(builds.size()), st(builds.size());
    student.eval();
    t.model->eval();
    torch::NoGradGuard noGrad;
    data::BatchLoader loader(t.data.test, t.data.norm, t.data.outChannels, batchSize, false, false, 0, 0);
    const int lastOp = t.chain->units()[size_t(builds.back().point.unit)].lastOp;
    torch::Tensor x, y;
    int64_t seen = 0;
    while (seen < n && loader.next(x, y)) {
        if (cancel && cancel->load())
            throw Error("the RON build was cancelled.");
        if (seen + x.size(0) > n)
            x = x.narrow(0, 0, n - seen);
        seen += x.size(0);
        std::vector<torch::Tensor> teacherZ(builds.size()), studentS(builds.size());
        t.chain->run(
            x, 0, lastOp + 1,
            [&](int op, const torch::Tensor& z) {
                for (size_t i = 0; i < builds.size(); ++i)
                    if (!builds[i].point.inner && t.chain->units()[size_t(builds[i].point.unit)].lastOp == op)
                        teacherZ[i] = z.clone();
            },
            [&](int op, const torch::Tensor& h) {
                for (size_t i = 0; i < builds.size(); ++i)
                    if (builds[i].point.inner && t.chain->units()[size_t(builds[i].point.unit)].firstOp == op)
                        teacherZ[i] = h.clone();
            });
        student.reduced()->forwardStages(student.headForward(x), [&](size_t k, const torch::Tensor& s, const torch::Tensor& h) {
            for (size_t i = 0; i < builds.size(); ++i)
                if (size_t(builds[i].stage) == k)
                    studentS[i] = builds[i].point.inner ? h : s;
        });
        for (size_t i = 0; i < builds.size(); ++i) {
            const RowMatrixXd z = toEigen(teacherZ[i]);
            const Eigen::MatrixXd& V = builds[i].basis.V;
            const Eigen::MatrixXd eps = z - (z * V) * V.transpose();
            Eigen::MatrixXd sampledEps(z.rows(), Eigen::Index(builds[i].basis.rows.size()));
            for (size_t r = 0; r < builds[i].basis.rows.size(); ++r)
                sampledEps.col(Eigen::Index(r)) = eps.col(Eigen::Index(builds[i].basis.rows[r]));
            const RowMatrixXd s = toEigen(studentS[i]);
            zz[i] += z.squaredNorm();
            ee[i] += eps.squaredNorm();
            se[i] += (sampledEps * pinvSV[i].transpose()).squaredNorm();
            st[i] += (s * builds[i].basis.C.transpose() - z).squaredNorm();
        }
    }
    for (size_t i = 0; i < builds.size(); ++i) {
        const double norm = zz[i] > 0 ? zz[i] : 1;
        RonLayerReport& r = builds[i].report;
        r.lowRankError = std::sqrt(ee[i] / norm);
        r.sampledError = std::sqrt(se[i] / norm);
        r.bound20 = r.bound19 * r.lowRankError;
        r.studentError = std::sqrt(st[i] / norm);
    }
}

} // namespace

namespace {
using LogFn = std::function<void(const QString&)>;

/// Phase 0: the options a build cannot start with (before the teacher is even loaded).
void checkRonParams(const RonParams& params, const QString& outDir)
{
    if (outDir.isEmpty())
        throw Error("RON needs an output folder.");
    if (params.samples < 1 || params.batchSize < 1 || params.sketchSize < 1)
        throw Error("samples, batch size and sketch size must be at least 1.");
    if (!(params.rowsRatio >= 1 && params.rowsRatio <= 2))
        throw Error(QStringLiteral("the rows ratio must be in [1, 2] (paper B takes P in [R, 2R]), not %1.").arg(params.rowsRatio));
    if (params.finetune.epochs < 0)
        throw Error("the number of fine-tuning epochs cannot be negative.");
}

/// The modified range: its first and last chain units and the activations sampled in it (a block's inner
/// activation before its output).
struct RonRange {
    int firstUnit = 0, lastUnit = 0;
    std::vector<CapturePoint> points;
};

/// Phase 1: the range resolved and checked against the teacher (every unit reducible, explicit and factor
/// ranks within D and the sample count, held-out images available) — before anything is written.
RonRange planRange(const Teacher& t, const RonParams& params, const LogFn& log)
{
    // The default (1000) shrinks to a smaller test split, with a log line; a larger count asked for is refused.
    if (params.heldOut > t.data.test.size() && params.heldOut == RonParams{}.heldOut)
        log(QStringLiteral("the test split holds %1 images, fewer than the default %2 held-out images: using all of them")
                .arg(t.data.test.size())
                .arg(params.heldOut));
    else if (params.heldOut > t.data.test.size())
        throw OptionError(QStringLiteral("--held-out %1 asks for more images than the %2 of the test split of %3; give at "
                                         "most %2.")
                              .arg(params.heldOut)
                              .arg(t.data.test.size())
                              .arg(t.data.name));
    RonRange range;
    std::tie(range.firstUnit, range.lastUnit) = t.chain->resolveUnitRange(params.layers);
    std::vector<std::pair<int, bool>> wanted;
    for (int u = range.firstUnit; u <= range.lastUnit; ++u) {
        checkUnitReducible(*t.chain, u);
        if (t.chain->units()[size_t(u)].block)
            wanted.emplace_back(u, true);
        wanted.emplace_back(u, false);
    }
    range.points = makeCapturePoints(*t.chain, wanted);
    for (const CapturePoint& p : range.points) {
        int64_t R = 0;
        if (params.rank.kind == RankRule::Kind::Explicit)
            R = checkRank(params.rank.rank, p.dim, p.name);
        else if (params.rank.kind == RankRule::Kind::Factor)
            R = constantFactorRank(p.dim, params.rank.factor);
        if (R > params.samples)
            throw Error(QStringLiteral("rank %1 of %2 needs at least %1 samples, but --samples is %3.")
                            .arg(R)
                            .arg(QString::fromStdString(p.name))
                            .arg(params.samples));
    }
    return range;
}

/// The student and its structure (student.json: what createStudent builds it from).
struct BuiltStudent {
    std::shared_ptr<RonStudent> student;
    QJsonObject structure;
};

/// Phase 2a: the student a previous run with the same parameters built (student_init.rlk, build.json).
BuiltStudent reuseStudent(const QString& initPath, const QString& buildPath, RonReport& report)
{
    BuiltStudent b;
    b.structure = studentStructureOf(initPath);
    b.student = createStudent(b.structure);
    io::loadWeights(*b.student, initPath);
    const QJsonObject build = io::readJsonObject(buildPath);
    for (const auto& v : build.value(QStringLiteral("layers")).toArray())
        report.layers.push_back(ronLayerFields().read(v.toObject()));
    report.buildSeconds = build.value(QStringLiteral("build_seconds")).toDouble();
    return b;
}

/// Phase 2b: the build of paper B (Algorithm 1): the range's activations streamed into sketches (§3.2),
/// ranks by the rule (EVBMF by default), rect_maxvol rows per activation (§3.3, eq. 19), the student
/// stages, and the held-out error report (§4.4). Writes student.json, student_init.rlk and build.json.
BuiltStudent buildStudentFromSpectra(const Teacher& t, const RonParams& params, const RonRange& range, const QDir& dir,
                                     RonReport& report, const TrainCallbacks& callbacks, const std::atomic_bool* cancel,
                                     std::chrono::steady_clock::time_point start, const LogFn& log)
{
    const int firstUnit = range.firstUnit, lastUnit = range.lastUnit;
    const std::vector<CapturePoint>& points = range.points;
    const ChainUnit& firstU = t.chain->units()[size_t(firstUnit)];
    const ChainUnit& lastU = t.chain->units()[size_t(lastUnit)];
    const QString initPath = dir.filePath(QStringLiteral("student_init.rlk"));
    const QString buildPath = dir.filePath(QStringLiteral("build.json"));
    BuiltStudent built;
    std::shared_ptr<RonStudent>& student = built.student;
    QJsonObject& structure = built.structure;
    StreamOptions options;
    options.method = params.method;
    options.sketchSize = params.sketchSize;
    options.samples = params.samples;
    options.batchSize = params.batchSize;
    if (params.rank.kind == RankRule::Kind::Explicit)
        options.minRank = params.rank.rank;
    else if (params.rank.kind == RankRule::Kind::Factor)
        for (const CapturePoint& p : points)
            options.minRank = std::max<int>(options.minRank, int(constantFactorRank(p.dim, params.rank.factor)));
    log(QStringLiteral("streaming %1 samples through %2 (%3 activations)…")
            .arg(params.samples)
            .arg(t.spec.name)
            .arg(points.size()));
    const auto streamed = streamActivations(*t.chain, points, t.data.train, t.data.norm, t.data.outChannels,
                                            options, callbacks, cancel);
    std::vector<PointBuild> builds;
    std::vector<SampledBasis> outer, inner;
    for (size_t i = 0; i < points.size(); ++i) {
        const CapturePoint& p = points[i];
        const StreamedSpectrum& s = streamed[i];
        const int64_t D = p.dim, N = params.samples;
        const EvbmfResult vb = vbmfOf(s, N, D);
        int64_t R = 0;
        switch (params.rank.kind) {
        case RankRule::Kind::Vbmf:
            R = weakenedRank(std::min(D, N), std::max<int64_t>(1, vb.rank), params.rank.weakening);
            break;
        case RankRule::Kind::Factor: R = constantFactorRank(D, params.rank.factor); break;
        case RankRule::Kind::Explicit: R = params.rank.rank; break;
        }
        const int64_t known = s.spectrum.V.cols();
        if (R > known) {
            if (params.rank.kind != RankRule::Kind::Vbmf)
                throw Error(QStringLiteral("the sketch of %1 knows only %2 directions, fewer than rank %3.")
                                .arg(QString::fromStdString(p.name))
                                .arg(known)
                                .arg(R));
            log(QStringLiteral("%1: EVBMF rank %2 capped at the %3 directions the sketch holds; raise --sketch-size")
                    .arg(QString::fromStdString(p.name))
                    .arg(R)
                    .arg(known));
            R = known;
        }
        PointBuild b;
        b.point = p;
        b.stage = p.unit - firstUnit;
        b.basis.V = s.spectrum.V.leftCols(R);
        const RectMaxvolResult mv = params.rowsTolerance > 0
                                        ? rectMaxvol(b.basis.V, params.rowsTolerance, R, std::min<int64_t>(2 * R, D))
                                        : rectMaxvolForRatio(b.basis.V, params.rowsRatio);
        b.basis.rows.assign(mv.rows.begin(), mv.rows.end());
        b.basis.C = mv.C;
        b.report.index = p.registryIndex;
        b.report.name = QString::fromStdString(p.name);
        b.report.dim = D;
        b.report.rank = R;
        b.report.rows = int64_t(mv.rows.size());
        b.report.vbmfRank = vb.rank;
        b.report.bound19 = rectMaxvolBound(D, b.report.rows, R);
        b.report.normC = spectralNorm(mv.C);
        log(QStringLiteral("%1: D %2, R %3 (EVBMF %4), P %5, ‖V(SV)^+‖₂ %6 ≤ %7 (eq. 19)")
                .arg(b.report.name)
                .arg(D)
                .arg(R)
                .arg(vb.rank)
                .arg(b.report.rows)
                .arg(b.report.normC, 0, 'f', 2)
                .arg(b.report.bound19, 0, 'f', 2));
        builds.push_back(b);
    }
    for (int u = firstUnit; u <= lastUnit; ++u) {
        SampledBasis in;
        for (const PointBuild& b : builds)
            if (b.point.unit == u && b.point.inner)
                in = b.basis;
        inner.push_back(in);
        for (const PointBuild& b : builds)
            if (b.point.unit == u && !b.point.inner)
                outer.push_back(b.basis);
    }
    std::vector<StageConfig> configs;
    student = buildStudent(t.chain, firstUnit, lastUnit, outer, inner, &configs);
    structure = studentStructureJson(t.spec, firstU.firstIndex, lastU.lastIndex, configs,
                                     student->reduced()->outShape());
    log(QStringLiteral("measuring the per-layer errors on %1 held-out images…").arg(params.heldOut));
    measureErrors(t, *student, builds, params.heldOut, params.batchSize, cancel);
    for (const PointBuild& b : builds)
        report.layers.push_back(b.report);
    report.buildSeconds = secondsSince(start);
    RonReport partial = report;
    io::writeJsonAtomic(dir.filePath(QStringLiteral("student.json")), structure);
    saveStudent(*student, structure, initPath);
    QJsonObject build = toJson(partial);
    io::writeJsonAtomic(buildPath, QJsonObject{{QStringLiteral("layers"), build.value(QStringLiteral("layers"))},
                                               {QStringLiteral("build_seconds"), report.buildSeconds}});
    return built;
}

/// Phase 3: accuracy, cost and speed of teacher and student side by side (latency interleaved).
void compareWithTeacher(const Teacher& t, RonStudent& student, const RonParams& params, const RonRange& range,
                        RonReport& report, const std::atomic_bool* cancel, const LogFn& log)
{
    const ChainUnit& firstU = t.chain->units()[size_t(range.firstUnit)];
    const ChainUnit& lastU = t.chain->units()[size_t(range.lastUnit)];
    {
        data::BatchLoader test(t.data.test, t.data.norm, t.data.outChannels, 256, false, false, 0, 0);
        log(QStringLiteral("evaluating teacher and student…"));
        const EvalResult te = train::evaluate(*t.model, test, {}, cancel);
        const EvalResult se = train::evaluate(student, test, {}, cancel);
        if (cancel && cancel->load())
            throw Error("the RON build was cancelled.");
        report.teacherTop1 = te.top1;
        report.teacherTop5 = te.top5;
        report.studentTop1 = se.top1;
        report.studentTop5 = se.top5;
    }
    const ModelInfo studentInfo = models::describeModule(student, t.spec);
    report.teacherFlops = t.info.totalFlops;
    report.studentFlops = studentInfo.totalFlops;
    for (const LayerInfo& l : t.info.layers)
        if (l.index >= firstU.firstIndex && l.index <= lastU.lastIndex)
            report.teacherRangeFlops += l.flops;
    report.studentRangeFlops = report.studentFlops - (report.teacherFlops - report.teacherRangeFlops);
    report.rangeFlopReduction = double(report.teacherRangeFlops) / double(std::max<qint64>(1, report.studentRangeFlops));
    report.totalFlopReduction = double(report.teacherFlops) / double(std::max<qint64>(1, report.studentFlops));
    report.teacherParams = parameterCount(*t.model);
    report.studentParams = parameterCount(student);
    if (params.latencyRepeats > 0) {
        log(QStringLiteral("timing batch 1 and 64 on %1 thread(s)…").arg(params.latencyThreads));
        const int threadsBefore = torch::get_num_threads();
        train::applyThreadCount(params.latencyThreads);
        // Interleaved so that machine load affects both alike.
        report.teacherLatency1Ms = medianLatencyMs(*t.model, t.spec, 1, params.latencyRepeats);
        report.studentLatency1Ms = medianLatencyMs(student, t.spec, 1, params.latencyRepeats);
        report.teacherLatency64Ms = medianLatencyMs(*t.model, t.spec, 64, std::max(3, params.latencyRepeats / 4));
        report.studentLatency64Ms = medianLatencyMs(student, t.spec, 64, std::max(3, params.latencyRepeats / 4));
        torch::set_num_threads(threadsBefore);
        report.speedup1 = report.teacherLatency1Ms / std::max(1e-9, report.studentLatency1Ms);
        report.speedup64 = report.teacherLatency64Ms / std::max(1e-9, report.studentLatency64Ms);
    }
}

/// Phase 4: fine-tuning (paper B §4.1, §5.3) in `dir`/finetune, a resumable run folder, and the deployable
/// student.rlk with the inserted BatchNorm folded back. False when fine-tuning was cancelled (report.status
/// says so).
bool fineTune(const Teacher& t, const BuiltStudent& built, const RonParams& params, const QJsonObject& stored,
              const QDir& dir, const QString& finalPath, RonReport& report, const TrainCallbacks& callbacks,
              const std::atomic_bool* cancel, const LogFn& log)
{
    const std::shared_ptr<RonStudent>& student = built.student;
    const QJsonObject& structure = built.structure;
    const auto ftStart = std::chrono::steady_clock::now();
    // Fine-tuning structure: the built student, optionally with BatchNorm (calibrated to be the identity)
    // and dropout inserted (paper B §4.1, §5.3).
    QJsonObject ftStructure = structure;
    QJsonArray stages = ftStructure.value(QStringLiteral("stages")).toArray();
    for (int k = 0; k < stages.size(); ++k) {
        QJsonObject o = stages[k].toObject();
        o.insert(QStringLiteral("batch_norm"), params.finetuneBatchNorm);
        o.insert(QStringLiteral("dropout"), params.finetuneDropout);
        stages[k] = o;
    }
    ftStructure.insert(QStringLiteral("stages"), stages);
    const QString ftInitPath = dir.filePath(QStringLiteral("finetune_init.rlk"));
    if (!QFileInfo::exists(ftInitPath)) {
        auto ft = createStudent(ftStructure);
        copyMatching(*student, *ft);
        if (params.finetuneBatchNorm) {
            torch::NoGradGuard noGrad;
            data::BatchLoader calib(t.data.train, t.data.norm, t.data.outChannels, 512, true, false, 0, 1);
            torch::Tensor x, y;
            calib.next(x, y);
            auto s = ft->headForward(x).flatten(1);
            for (auto& stage : ft->reduced()->stages)
                s = stage->calibrateBatchNorm(s);
        }
        saveStudent(*ft, ftStructure, ftInitPath);
    }
    TrainParams tp = params.finetune;
    tp.model = t.spec;
    // The student structure carries a pruned teacher's channel plan; the fine-tuning checkpoints hold a
    // RonStudent, to which loadWeights must not try to apply the plan again.
    tp.model.channels.clear();
    tp.data = params.data;
    tp.initWeights = ftInitPath;
    train::TrainHooks hooks;
    hooks.createModel = [ftStructure](const ModelSpec&) -> std::shared_ptr<nn::Layer> { return createStudent(ftStructure); };
    const QString ftDir = dir.filePath(QStringLiteral("finetune"));
    const bool resume = QFileInfo::exists(QDir(ftDir).filePath(QStringLiteral("params.json")));
    log(QStringLiteral("fine-tuning the student for %1 epochs%2…").arg(tp.epochs).arg(resume ? QStringLiteral(" (resuming)") : QString()));
    train::TrainSession session(tp, ftDir, callbacks, cancel, QStringLiteral("ron-finetune"), stored);
    const TrainSummary summary = session.run(resume, hooks);
    report.finetuneSeconds = secondsSince(ftStart);
    if (summary.status != QLatin1String("completed")) {
        report.status = summary.status;
        return false;
    }
    report.finetunedTop1 = summary.finalTestTop1;
    report.finetunedTop5 = summary.finalTestTop5;
    auto tuned = createStudent(ftStructure);
    io::loadWeights(*tuned, summary.weightsPath);
    tuned->eval();
    const QJsonObject deployed = foldStudentBatchNorm(*tuned, ftStructure);
    auto final = createStudent(deployed);
    copyMatching(*tuned, *final);
    saveStudent(*final, deployed, finalPath);
    return true;
}
} // namespace

RonReport runRon(const RonParams& params, const QString& outDir, const TrainCallbacks& callbacks,
                 const std::atomic_bool* cancel)
{
    const auto start = std::chrono::steady_clock::now();
    const LogFn log = [&callbacks](const QString& line) {
        if (callbacks.log)
            callbacks.log(line);
    };
    checkRonParams(params, outDir);
    train::applyThreadCount(params.threads);
    const Teacher t = loadTeacher(params.model, params.data, params.weights, callbacks);
    const RonRange range = planRange(t, params, log);
    const ChainUnit& firstU = t.chain->units()[size_t(range.firstUnit)];
    const ChainUnit& lastU = t.chain->units()[size_t(range.lastUnit)];

    RonReport report;
    report.modifiedLayers = QStringLiteral("%1 to %2").arg(firstU.firstIndex).arg(lastU.lastIndex);
    report.firstName = QString::fromStdString(firstU.name);
    report.lastName = QString::fromStdString(lastU.name);
    report.samples = params.samples;
    report.latencyThreads = params.latencyThreads;

    // Run folder: params.json identifies the build; a rerun with the same parameters resumes.
    io::ensureWritableDir(outDir);
    const io::FolderLock folderLock(outDir);
    const QDir dir(outDir);
    const QJsonObject stored = toJson(params);
    const QString paramsPath = dir.filePath(QStringLiteral("params.json"));
    if (QFileInfo::exists(paramsPath)) {
        QJsonObject previous = io::readJsonObject(paramsPath);
        previous.remove(QStringLiteral("version"));
        if (previous != stored)
            throw Error(QStringLiteral("%1 holds a RON build with different parameters; choose another --out.").arg(outDir));
    }
    io::writeJsonAtomic(paramsPath, stored);
    const QString initPath = dir.filePath(QStringLiteral("student_init.rlk"));
    const QString buildPath = dir.filePath(QStringLiteral("build.json"));

    BuiltStudent built;
    if (QFileInfo::exists(initPath) && QFileInfo::exists(buildPath)) {
        log(QStringLiteral("reusing the student built in %1").arg(outDir));
        built = reuseStudent(initPath, buildPath, report);
    } else {
        built = buildStudentFromSpectra(t, params, range, dir, report, callbacks, cancel, start, log);
    }
    compareWithTeacher(t, *built.student, params, range, report, cancel, log);

    report.status = QStringLiteral("completed");
    const QString finalPath = dir.filePath(QStringLiteral("student.rlk"));
    if (params.finetune.epochs > 0) {
        if (!fineTune(t, built, params, stored, dir, finalPath, report, callbacks, cancel, log))
            return report;
    } else {
        saveStudent(*built.student, built.structure, finalPath);
    }
    report.studentWeights = finalPath;
    QJsonObject json = toJson(report);
    json.insert(QStringLiteral("params"), stored);
    io::writeJsonAtomic(dir.filePath(QStringLiteral("report.json")), json);
    return report;
}

} // namespace ranklab::ron

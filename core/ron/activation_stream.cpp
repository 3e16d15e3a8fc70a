#include "core/ron/activation_stream.h"

#include <chrono>

#include "core/error.h"
#include "core/ron/student_builder.h"

namespace ranklab::ron {

namespace {
constexpr int64_t kGramMaxDimension = 2048;
constexpr uint64_t kStreamSeed = 0x0a5c;
} // namespace

std::vector<CapturePoint> makeCapturePoints(const TeacherChain& chain, const std::vector<std::pair<int, bool>>& points)
{
    std::vector<std::vector<int64_t>> outShapes, innerShapes;
    chainShapes(chain, outShapes, innerShapes);
    std::vector<CapturePoint> result;
    for (const auto& [unit, inner] : points) {
        const ChainUnit& u = chain.units().at(size_t(unit));
        CapturePoint p;
        p.unit = unit;
        p.inner = inner && u.block;
        p.name = u.name + (p.inner ? ":inner" : "");
        p.registryIndex = p.inner ? u.firstIndex : u.lastIndex;
        p.shape = p.inner ? innerShapes[size_t(u.firstOp)] : outShapes[size_t(u.lastOp)];
        p.dim = shapeNumel(p.shape);
        result.push_back(p);
    }
    return result;
}

std::unique_ptr<ActivationSketch> makeSketch(int64_t D, const StreamOptions& options, QString* methodName)
{
    SketchMethod method = options.method;
    if (method == SketchMethod::Auto)
        method = D <= kGramMaxDimension ? SketchMethod::Gram : SketchMethod::FrequentDirections;
    if (methodName)
        *methodName = sketchMethodName(method);
    const int64_t size = std::min<int64_t>(D, std::max<int64_t>(options.sketchSize, 2 * int64_t(options.minRank)));
    switch (method) {
    case SketchMethod::Gram:
        return std::make_unique<GramSketch>(D);
    case SketchMethod::FrequentDirections:
        return std::make_unique<FrequentDirections>(D, int(std::max<int64_t>(1, size)));
    case SketchMethod::Randomized:
        return std::make_unique<RandomizedRangeSketch>(D, int(std::max<int64_t>(1, size)));
    case SketchMethod::Auto:
        break;
    }
    throw Error("unknown sketch method.");
}

std::vector<StreamedSpectrum> streamActivations(const TeacherChain& chain, const std::vector<CapturePoint>& points,
                                                const data::TensorDataset& split, const Normalization& norm,
                                                int outChannels, const StreamOptions& options,
                                                const TrainCallbacks& callbacks, const std::atomic_bool* cancel)
{
    if (points.empty())
        throw Error("no activations to stream.");
    if (options.samples < 1)
        throw Error(QStringLiteral("at least one sample is needed, not %1.").arg(options.samples));
    if (options.samples > split.size())
        throw Error(QStringLiteral("%1 samples were asked for but the training split has only %2.")
                        .arg(options.samples)
                        .arg(split.size()));
    std::vector<std::unique_ptr<ActivationSketch>> sketches;
    std::vector<StreamedSpectrum> results(points.size());
    int lastOp = 0;
    for (size_t i = 0; i < points.size(); ++i) {
        sketches.push_back(makeSketch(points[i].dim, options, &results[i].method));
        const ChainUnit& u = chain.units().at(size_t(points[i].unit));
        lastOp = std::max(lastOp, points[i].inner ? u.firstOp : u.lastOp);
    }
    // Which capture points read which op (an op may be the outer point of one unit only).
    std::vector<int> outerAt(chain.ops().size(), -1), innerAt(chain.ops().size(), -1);
    for (size_t i = 0; i < points.size(); ++i) {
        const ChainUnit& u = chain.units().at(size_t(points[i].unit));
        (points[i].inner ? innerAt[size_t(u.firstOp)] : outerAt[size_t(u.lastOp)]) = int(i);
    }

    auto& model = *chain.model();
    const bool wasTraining = model.is_training();
    model.eval();
    torch::NoGradGuard noGrad;
    const int passes = sketches.front()->passes();
    data::BatchLoader loader(split, norm, outChannels, options.batchSize, true, false, 0, kStreamSeed);
    const int64_t batches = (options.samples + options.batchSize - 1) / options.batchSize;
    const auto start = std::chrono::steady_clock::now();
    int64_t done = 0;
    auto feed = [&](int point, const torch::Tensor& y) {
        const auto rows = y.reshape({y.size(0), -1}).to(torch::kFloat).contiguous();
        if (!torch::isfinite(rows).all().item<bool>())
            throw Error("the activations of " + points[size_t(point)].name
                        + " contain NaN or infinite values; the weights or the data are broken.");
        results[size_t(point)].frobenius2 += rows.to(torch::kDouble).square().sum().item<double>();
        sketches[size_t(point)]->add(rows.data_ptr<float>(), rows.size(0), rows.size(1));
    };
    try {
        for (int pass = 0; pass < passes; ++pass) {
            if (pass > 0) {
                for (auto& s : sketches)
                    s->nextPass();
                for (auto& r : results)
                    r.frobenius2 = 0;
            }
            loader.startEpoch(0);
            int64_t seen = 0;
            torch::Tensor x, labels;
            for (int64_t b = 0; b < batches && loader.next(x, labels); ++b) {
                if (cancel && cancel->load())
                    throw Error("the activation statistics were cancelled.");
                if (seen + x.size(0) > options.samples)
                    x = x.narrow(0, 0, options.samples - seen);
                seen += x.size(0);
                chain.run(
                    x, 0, lastOp + 1,
                    [&](int op, const torch::Tensor& y) {
                        if (outerAt[size_t(op)] >= 0)
                            feed(outerAt[size_t(op)], y);
                    },
                    [&](int op, const torch::Tensor& h) {
                        if (innerAt[size_t(op)] >= 0)
                            feed(innerAt[size_t(op)], h);
                    });
                ++done;
                if (callbacks.progress) {
                    TrainProgress p;
                    p.epoch = pass + 1;
                    p.epochs = passes;
                    p.step = b + 1;
                    p.stepsPerEpoch = batches;
                    p.fraction = double(done) / double(batches * passes);
                    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                    p.etaSeconds = elapsed / double(done) * double(batches * passes - done);
                    p.phase = QStringLiteral("activations");
                    callbacks.progress(p);
                }
            }
        }
    } catch (...) {
        model.train(wasTraining);
        throw;
    }
    model.train(wasTraining);
    for (size_t i = 0; i < points.size(); ++i) {
        auto& s = *sketches[i];
        results[i].spectrum = s.finish(int(std::min<int64_t>(s.maxRank(), s.samples())));
    }
    return results;
}

} // namespace ranklab::ron

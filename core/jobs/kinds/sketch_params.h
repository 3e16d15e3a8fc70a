#pragma once
// Internal to core/jobs/kinds: the options `spectrum` and `ron` share — the trained teacher, the streamed
// samples and the sketch of their activations, the output folder. Torch-free.

#include "core/jobs/common_params.h"
#include "core/ron/ron_job.h"

namespace ranklab::kinds {

/// --weights (required), --samples, --method, --sketch-size, --stream-batch, --threads, --out (required),
/// --quiet, --json.
void addSketchParams(ParamSchema& schema);

/// Model, data, teacher and streaming options into `params` (ron::SpectrumParams or ron::RonParams).
template <class Streaming>
void streamingParamsFrom(const Params& p, Streaming& params)
{
    params.model = modelSpecFrom(p, true);
    params.data = dataSpecFrom(p);
    params.weights = p.required(QStringLiteral("weights"));
    params.samples = p.intValue(QStringLiteral("samples"));
    params.method = ron::parseSketchMethod(p.choice(QStringLiteral("method")));
    params.sketchSize = p.intValue(QStringLiteral("sketch-size"));
    params.batchSize = p.intValue(QStringLiteral("stream-batch"));
    params.threads = p.intValue(QStringLiteral("threads"));
}

} // namespace ranklab::kinds

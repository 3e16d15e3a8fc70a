#pragma once
// Internal header (torch types): the trained teacher a spectrum or RON job analyses — loaded with its data
// and checked before anything is written — and the helpers both jobs share.

#include <chrono>
#include <memory>

#include <QString>

#include "core/data/dataset.h"
#include "core/models/layers.h"
#include "core/models/registry.h"
#include "core/ron/activation_stream.h"
#include "core/ron/evbmf.h"
#include "core/ron/teacher_chain.h"
#include "core/train/train_params.h"

namespace ranklab::ron {

/// The teacher, its data and its chain, loaded and checked before anything is written.
struct Teacher {
    data::DatasetSplits data;
    ModelSpec spec;
    std::shared_ptr<nn::Layer> model;
    ModelInfo info;
    std::shared_ptr<TeacherChain> chain;
};

/// Loads the data and the teacher (`weights`, any format io::loadWeights reads) and builds its chain.
/// Throws ranklab::Error with one sentence for missing weights, weights of another model, or a data set
/// with more classes than the model.
Teacher loadTeacher(ModelSpec spec, DataSpec dataSpec, const QString& weights, const TrainCallbacks& callbacks);

/// EVBMF (Nakajima et al. 2013) of the N × D activation matrix a sketch summarises.
EvbmfResult vbmfOf(const StreamedSpectrum& s, int64_t N, int64_t D);

inline double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace ranklab::ron

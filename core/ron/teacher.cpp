#include "core/ron/teacher.h"

#include "core/error.h"
#include "core/io/weights.h"
#include "core/models/channel_plan.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/train/evaluate_internal.h"

namespace ranklab::ron {

Teacher loadTeacher(ModelSpec spec, DataSpec dataSpec, const QString& weights, const TrainCallbacks& callbacks)
{
    if (weights.isEmpty())
        throw Error("RON needs the trained teacher's weights.");
    Teacher t;
    resolveModelAndData(spec, dataSpec);
    if (callbacks.log)
        callbacks.log(QStringLiteral("loading %1…").arg(dataSpec.name));
    t.data = data::loadDataset(dataSpec);
    resolveModelAndData(spec, dataSpec, t.data.outChannels, t.data.train.height());
    if (spec.numClasses < t.data.train.classNames.size())
        throw Error(QStringLiteral("the model has %1 classes but %2 has %3.")
                        .arg(spec.numClasses)
                        .arg(t.data.name)
                        .arg(t.data.train.classNames.size()));
    t.spec = spec;
    t.model = models::createModel(spec);
    for (const QString& note : io::loadWeights(*t.model, weights, spec.name).notes)
        if (callbacks.log)
            callbacks.log(note);
    // A pruned teacher (its file carries a channel plan that loadWeights applied): the plan travels in the
    // student's structure, so the layers after the modified range are rebuilt narrow when the student loads.
    if (t.spec.channels.isEmpty())
        t.spec.channels = models::channelPlanOf(*t.model, *models::createArchitecture(spec));
    t.model->eval();
    t.info = models::describeModule(*t.model, spec);
    t.chain = std::make_shared<TeacherChain>(t.model, t.info);
    return t;
}

EvbmfResult vbmfOf(const StreamedSpectrum& s, int64_t N, int64_t D)
{
    const Eigen::Index H = std::min<Eigen::Index>(s.spectrum.singularValues.size(), std::min(N, D));
    return evbmf(s.spectrum.singularValues.head(H), s.frobenius2, N, D);
}

} // namespace ranklab::ron

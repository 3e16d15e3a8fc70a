#include "core/jobs/weights_probe.h"

#include "core/io/weights.h"
#include "core/models/zoo.h"

namespace ranklab {

QString probeWeights(const ModelSpec& spec, const QString& path)
{
    auto model = models::createModel(spec);
    return io::weightsFormatName(io::loadWeights(*model, path, spec.name).format);
}

} // namespace ranklab

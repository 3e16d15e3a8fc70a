#include "core/jobs/weights_probe.h"

#include <QFileInfo>

#include "core/io/weights.h"
#include "core/models/zoo.h"

namespace ranklab {

QString probeWeights(const ModelSpec& spec, const QString& path)
{
    io::WeightsFormat format;
    const io::StateDict sd = io::readStateDict(path, &format);
    auto model = models::createModel(spec);
    io::loadStateDict(*model, sd, QFileInfo(path).fileName(), spec.name);
    return io::weightsFormatName(format);
}

} // namespace ranklab

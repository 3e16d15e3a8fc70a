#include "core/io/export.h"

#include "core/io/weights.h"
#include "core/models/zoo.h"

namespace ranklab::io {

void exportWeights(const ModelSpec& spec, const QString& weightsPath, const QString& outPath)
{
    auto model = models::createModel(spec);
    loadWeights(*model, weightsPath, spec.name);
    exportStateDict(*model, outPath);
}

} // namespace ranklab::io

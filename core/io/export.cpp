#include "core/io/export.h"

#include "core/io/weights.h"
#include "core/models/zoo.h"

namespace ranklab::io {

QStringList exportWeights(const ModelSpec& spec, const QString& weightsPath, const QString& outPath)
{
    auto model = models::createModel(spec);
    const LoadedWeights loaded = loadWeights(*model, weightsPath, spec.name);
    exportStateDict(*model, outPath);
    return loaded.notes;
}

} // namespace ranklab::io

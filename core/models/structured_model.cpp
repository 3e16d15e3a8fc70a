#include "core/models/structured_model.h"

#include <mutex>
#include <vector>

#include "core/models/zoo.h"

namespace ranklab::models {

namespace {
std::mutex gMutex;
std::vector<StructuredModelFactory>& factories()
{
    static std::vector<StructuredModelFactory> list;
    return list;
}
} // namespace

void registerStructuredModelFactory(StructuredModelFactory factory)
{
    const std::lock_guard<std::mutex> lock(gMutex);
    factories().push_back(std::move(factory));
}

std::shared_ptr<nn::Layer> createModelForWeights(const ModelSpec& spec, const QString& weightsPath)
{
    std::vector<StructuredModelFactory> list;
    {
        const std::lock_guard<std::mutex> lock(gMutex);
        list = factories();
    }
    for (const StructuredModelFactory& f : list)
        if (auto model = f(spec, weightsPath))
            return model;
    return createModel(spec);
}

} // namespace ranklab::models

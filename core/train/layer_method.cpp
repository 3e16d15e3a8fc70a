#include "core/train/layer_method.h"

#include <mutex>
#include <vector>

#include "core/error.h"
#include "core/printable_text.h"

namespace ranklab {

namespace {
std::mutex gMutex;
std::vector<std::pair<QString, LayerMethodFactory>>& methods()
{
    static std::vector<std::pair<QString, LayerMethodFactory>> list;
    return list;
}
} // namespace

void registerLayerMethod(const QString& id, LayerMethodFactory factory)
{
    const std::lock_guard<std::mutex> lock(gMutex);
    for (const auto& m : methods())
        if (m.first == id)
            return;
    methods().emplace_back(id, std::move(factory));
}

QStringList layerMethodIds()
{
    const std::lock_guard<std::mutex> lock(gMutex);
    QStringList ids;
    for (const auto& m : methods())
        ids << m.first;
    return ids;
}

std::unique_ptr<LayerMethod> createLayerMethod(const QString& id, const QJsonObject& options)
{
    LayerMethodFactory factory;
    {
        const std::lock_guard<std::mutex> lock(gMutex);
        for (const auto& m : methods())
            if (m.first == id)
                factory = m.second;
    }
    if (!factory)
        throw OptionError(QStringLiteral("unknown layer method '%1'; known methods: %2.")
                              .arg(printableText(id), layerMethodIds().join(QStringLiteral(", "))));
    return factory(options);
}

} // namespace ranklab

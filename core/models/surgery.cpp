#include "core/models/surgery.h"

#include <QStringList>

#include "core/error.h"

namespace ranklab::models {

namespace {
std::pair<std::shared_ptr<nn::Layer>, std::string> parentOf(const nn::Layer& root, const std::string& qualifiedName)
{
    const QStringList parts = QString::fromStdString(qualifiedName).split(QLatin1Char('.'));
    if (qualifiedName.empty() || parts.contains(QString()))
        throw Error("'" + qualifiedName + "' is not a valid module name.");
    std::shared_ptr<nn::Layer> parent;
    const nn::Layer* node = &root;
    for (int i = 0; i + 1 < parts.size(); ++i) {
        parent = node->child(parts[i].toStdString());
        if (!parent)
            throw Error("the model has no module named '" + qualifiedName + "'.");
        node = parent.get();
    }
    if (!parent) // direct child of root: wrap root without owning it
        parent = std::shared_ptr<nn::Layer>(const_cast<nn::Layer*>(&root), [](nn::Layer*) {});
    return {parent, parts.last().toStdString()};
}
} // namespace

std::shared_ptr<nn::Layer> findLayer(const nn::Layer& root, const std::string& qualifiedName)
{
    auto [parent, leaf] = parentOf(root, qualifiedName);
    auto layer = parent->child(leaf);
    if (!layer)
        throw Error("the model has no module named '" + qualifiedName + "'.");
    return layer;
}

std::shared_ptr<nn::Layer> replaceLayer(nn::Layer& root, const std::string& qualifiedName,
                                        std::shared_ptr<nn::Layer> replacement)
{
    if (!replacement)
        throw Error("cannot replace '" + qualifiedName + "' with nothing.");
    auto [parent, leaf] = parentOf(root, qualifiedName);
    if (!parent->child(leaf))
        throw Error("the model has no module named '" + qualifiedName + "'.");
    return parent->replaceChild(leaf, std::move(replacement));
}

} // namespace ranklab::models

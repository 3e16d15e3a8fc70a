#include "core/io/checkpoint.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/torch_pickle.h"

namespace ranklab::io {

namespace {

c10::Dict<std::string, at::Tensor> tensorDict(const StateDict& sd)
{
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& [name, tensor] : sd) {
        torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
        if (t.storage_offset() != 0 || t.storage().nbytes() != std::size_t(t.numel()) * t.element_size())
            t = t.clone();
        dict.insert_or_assign(name, t);
    }
    return dict;
}

} // namespace

void writeCheckpoint(const QString& path, const Checkpoint& checkpoint)
{
    QByteArray bytes;
    try {
        c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
        dict.insert("ranklab_format", c10::IValue(std::int64_t(kCheckpointFormat)));
        dict.insert("model", c10::IValue(tensorDict(checkpoint.model)));
        dict.insert("optimizer", c10::IValue(tensorDict(checkpoint.optimizer)));
        dict.insert("meta", c10::IValue(QJsonDocument(checkpoint.meta).toJson(QJsonDocument::Compact).toStdString()));
        const std::vector<char> data = torch::pickle_save(c10::IValue(dict));
        bytes = QByteArray(data.data(), qsizetype(data.size()));
    } catch (const std::exception& e) {
        throw Error(QStringLiteral("cannot write the checkpoint %1: %2.").arg(path, pickle::torchErrorText(e)));
    }
    writeFileAtomic(path, bytes);
}

Checkpoint readCheckpoint(const QString& path)
{
    pickle::TorchZip zip(path);
    const QString& fileName = zip.displayName();
    if (zip.isTorchScript() || !zip.hasRecord("data.pkl"))
        throw Error(QStringLiteral("%1 is not a RankLab checkpoint.").arg(fileName));
    const pickle::Unpickled doc = zip.unpickleData();
    const pickle::Value& root = doc.root;
    const pickle::Value format = root->kind == pickle::Kind::Dict ? root->find("ranklab_format") : nullptr;
    if (!format || format->kind != pickle::Kind::Int)
        throw Error(QStringLiteral("%1 is not a RankLab checkpoint.").arg(fileName));
    if (format->integer > kCheckpointFormat || format->integer < 1)
        throw Error(QStringLiteral("%1 is a RankLab checkpoint of format %2, which this version (format %3) cannot "
                                   "read; update RankLab.")
                        .arg(fileName)
                        .arg(format->integer)
                        .arg(kCheckpointFormat));
    Checkpoint out;
    const pickle::Value model = root->find("model");
    if (!model)
        throw Error(QStringLiteral("%1 is a RankLab checkpoint without model weights.").arg(fileName));
    out.model = pickle::tensorEntries(model, fileName);
    if (const pickle::Value optimizer = root->find("optimizer"))
        out.optimizer = pickle::tensorEntries(optimizer, fileName);
    if (const pickle::Value meta = root->find("meta")) {
        if (meta->kind != pickle::Kind::String)
            throw Error(QStringLiteral("%1 is a damaged RankLab checkpoint (its metadata is a %2).")
                            .arg(fileName, pickle::typeName(meta)));
        QJsonParseError error{};
        const QJsonDocument json = QJsonDocument::fromJson(QByteArray::fromStdString(meta->text), &error);
        if (error.error != QJsonParseError::NoError || !json.isObject())
            throw Error(QStringLiteral("%1 is a damaged RankLab checkpoint (its metadata is not a JSON object).").arg(fileName));
        out.meta = json.object();
    }
    return out;
}

} // namespace ranklab::io

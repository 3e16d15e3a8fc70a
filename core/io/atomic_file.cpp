#include "core/io/atomic_file.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSaveFile>
#include <QTemporaryFile>

#include "core/error.h"

namespace ranklab::io {

void writeFileAtomic(const QString& path, const QByteArray& bytes)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        throw Error(QStringLiteral("cannot create folder %1.").arg(info.absolutePath()));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        throw Error(QStringLiteral("cannot write %1: %2.").arg(path, file.errorString()));
    if (file.write(bytes) != bytes.size()) {
        const QString reason = file.errorString();
        file.cancelWriting();
        throw Error(QStringLiteral("cannot write %1: %2.").arg(path, reason));
    }
    if (!file.commit())
        throw Error(QStringLiteral("cannot write %1: %2.").arg(path, file.errorString()));
}

void writeJsonAtomic(const QString& path, const QJsonObject& object)
{
    writeFileAtomic(path, QJsonDocument(object).toJson(QJsonDocument::Indented));
}

QJsonObject readJsonObject(const QString& path)
{
    QFile file(path);
    if (!file.exists())
        throw Error(QStringLiteral("%1 does not exist.").arg(path));
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("cannot read %1: %2.").arg(path, file.errorString()));
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        throw Error(QStringLiteral("%1 is not a valid JSON object (%2).").arg(path, error.errorString()));
    return doc.object();
}

void ensureWritableDir(const QString& dir)
{
    if (!QDir().mkpath(dir))
        throw Error(QStringLiteral("cannot write to %1: the folder cannot be created.").arg(dir));
    QTemporaryFile probe(QDir(dir).filePath(QStringLiteral(".ranklab-write-test-XXXXXX")));
    if (!probe.open())
        throw Error(QStringLiteral("cannot write to %1: %2.").arg(dir, probe.errorString()));
}

} // namespace ranklab::io

#include "core/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>

#include <QCoreApplication>
#include <QJsonArray>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QTemporaryFile>

#include "core/error.h"

namespace ranklab::io {

namespace {
QString systemReason(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}
} // namespace

void writeFileAtomic(const QString& path, const QByteArray& bytes)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        throw Error(QStringLiteral("cannot create folder %1.").arg(info.absolutePath()));
    // POSIX calls rather than QSaveFile: on a full disk QSaveFile reports "Unknown error", and the reason
    // is what the user needs to read.
    static std::atomic<unsigned> counter{0};
    const QString temporary = QStringLiteral("%1/.%2.%3-%4.tmp")
                                  .arg(info.absolutePath(), info.fileName())
                                  .arg(QCoreApplication::applicationPid())
                                  .arg(counter.fetch_add(1));
    const QByteArray tmpName = QFile::encodeName(temporary);
    int fd = ::open(tmpName.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        throw Error(QStringLiteral("cannot write %1: %2.").arg(path, systemReason(errno)));
    // Every failure after the open: close (if still open), remove the temporary file, keep the reason.
    const auto fail = [&](int error) {
        if (fd >= 0)
            ::close(fd);
        ::unlink(tmpName.constData());
        throw Error(QStringLiteral("cannot write %1: %2.").arg(path, systemReason(error)));
    };
    const char* data = bytes.constData();
    qint64 left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, data, std::size_t(std::min<qint64>(left, qint64(1) << 30)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail(n < 0 ? errno : ENOSPC);
        data += n;
        left -= n;
    }
    if (::fsync(fd) != 0 && errno != EINVAL)
        fail(errno);
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0)
        fail(errno);
    if (::rename(tmpName.constData(), QFile::encodeName(info.absoluteFilePath()).constData()) != 0)
        fail(errno);
}

void writeJsonAtomic(const QString& path, const QJsonObject& object)
{
    writeFileAtomic(path, QJsonDocument(object).toJson(QJsonDocument::Indented));
}

QJsonObject readJsonObject(const QString& path, qint64 maxBytes)
{
    const QFileInfo info(path);
    if (!info.exists())
        throw Error(QStringLiteral("%1 does not exist.").arg(path));
    if (!info.isFile())
        throw Error(QStringLiteral("%1 is not a regular file.").arg(path));
    if (info.size() > maxBytes)
        throw Error(QStringLiteral("%1 is %2 MB, too large for a RankLab JSON file.").arg(path).arg(info.size() >> 20));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("cannot read %1: %2.").arg(path, file.errorString()));
    // Sized by the file, not by the limit: a small file costs a small buffer.
    const QByteArray bytes = file.read(std::min(maxBytes, info.size()) + 1);
    if (bytes.size() > maxBytes)
        throw Error(QStringLiteral("%1 is too large for a RankLab JSON file.").arg(path));
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError)
        throw Error(QStringLiteral("%1 is not a valid JSON object (%2 at byte %3).").arg(path, error.errorString()).arg(error.offset));
    if (!doc.isObject())
        throw Error(QStringLiteral("%1 holds a JSON %2 where a JSON object was expected.")
                        .arg(path, doc.isArray() ? QStringLiteral("array") : QStringLiteral("value")));
    return doc.object();
}

QStringList jsonDifferences(const QJsonObject& there, const QJsonObject& now)
{
    QStringList out;
    const auto text = [](const QJsonValue& v) {
        if (v.isObject())
            return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
        if (v.isArray())
            return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
        if (v.isString())
            return QStringLiteral("'%1'").arg(v.toString());
        if (v.isDouble())
            return QString::number(v.toDouble(), 'g', 10);
        if (v.isBool())
            return QString::fromLatin1(v.toBool() ? "true" : "false");
        return QStringLiteral("null");
    };
    const std::function<void(const QJsonObject&, const QJsonObject&, const QString&)> walk =
        [&](const QJsonObject& a, const QJsonObject& b, const QString& prefix) {
            QStringList keys = a.keys() + b.keys();
            keys.removeDuplicates();
            keys.sort();
            for (const QString& key : keys) {
                const QJsonValue va = a.value(key), vb = b.value(key);
                if (va == vb)
                    continue;
                const QString name = prefix + key;
                if (va.isObject() && vb.isObject())
                    walk(va.toObject(), vb.toObject(), name + QLatin1Char('.'));
                else if (va.isUndefined())
                    out << QStringLiteral("%1: absent there, %2 now").arg(name, text(vb));
                else if (vb.isUndefined())
                    out << QStringLiteral("%1: %2 there, absent now").arg(name, text(va));
                else
                    out << QStringLiteral("%1: %2 there, %3 now").arg(name, text(va), text(vb));
            }
        };
    walk(there, now, QString());
    return out;
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

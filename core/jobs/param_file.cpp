#include "core/jobs/param_file.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLocale>
#include <QRegularExpression>

#include "core/error.h"
#include "core/printable_text.h"
#include "core/io/atomic_file.h"

namespace ranklab {

namespace {

QString scalarText(const QJsonValue& v, bool* ok)
{
    *ok = true;
    if (v.isString())
        return v.toString();
    if (v.isDouble()) {
        const double d = v.toDouble();
        return QString::number(d, 'g', QLocale::FloatingPointShortest); // 0.05 stays "0.05", 3 stays "3"
    }
    *ok = false;
    return {};
}

} // namespace

ParamFile readParamFile(const QString& path)
{
    const QJsonObject root = io::readJsonObject(path);
    const QJsonValue version = root.value(QStringLiteral("ranklab_params"));
    if (!version.isDouble() || version.toInt() != 1)
        throw Error(QStringLiteral("%1 is not a RankLab parameter file (\"ranklab_params\": 1 is missing).").arg(path));
    ParamFile file;
    file.path = path;
    file.command = root.value(QStringLiteral("command")).toString().trimmed();
    if (file.command.isEmpty())
        throw Error(QStringLiteral("%1 names no \"command\" (sweep, basis-train, train, spectrum, ron, …).").arg(path));
    file.title = root.value(QStringLiteral("title")).toString();
    file.description = root.value(QStringLiteral("description")).toString();
    const QJsonValue options = root.value(QStringLiteral("options"));
    if (!options.isUndefined() && !options.isObject())
        throw Error(QStringLiteral("%1: \"options\" must be a JSON object of option names and values.").arg(path));
    static const QRegularExpression kName(QStringLiteral("^[a-z0-9][a-z0-9-]*$"));
    const QJsonObject o = options.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!kName.match(it.key()).hasMatch())
            throw Error(QStringLiteral("%1: \"%2\" is not an option name (write long names without dashes, e.g. \"epochs\").")
                            .arg(path, printableText(it.key())));
        const QJsonValue v = it.value();
        bool ok = true;
        QString text;
        if (v.isBool()) {
            if (!v.toBool())
                continue; // a flag that is off is simply not given
            text = QStringLiteral("1");
        } else if (v.isArray()) {
            QStringList parts;
            for (const QJsonValue& item : v.toArray()) {
                parts << scalarText(item, &ok);
                if (!ok)
                    break;
            }
            text = parts.join(QLatin1Char(','));
            file.lists.insert(it.key(), parts);
        } else {
            text = scalarText(v, &ok);
        }
        if (!ok)
            throw Error(QStringLiteral("%1: option \"%2\" must be a string, a number, true/false or a list of them.")
                            .arg(path, printableText(it.key())));
        file.options.insert(it.key(), text);
    }
    return file;
}

} // namespace ranklab

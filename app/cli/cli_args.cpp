#include "app/cli/cli_args.h"

#include <cmath>
#include <limits>

#include "core/jobs/param_file.h"

namespace ranklab::cli {

ArgParser::ArgParser(QString command, QString summary) : command_(std::move(command)), summary_(std::move(summary))
{
    add({QStringLiteral("help"), {}, QStringLiteral("show this help and exit"), {}});
    add({QStringLiteral("params"), QStringLiteral("FILE"),
         QStringLiteral("read options from a parameter file (resources/examples/); options given here win"), {}});
}

ArgParser& ArgParser::add(const OptionSpec& option)
{
    options_.push_back(option);
    return *this;
}

const OptionSpec* ArgParser::find(const QString& name) const
{
    for (const OptionSpec& o : options_)
        if (o.name == name)
            return &o;
    return nullptr;
}

void ArgParser::parse(const QStringList& args)
{
    for (int i = 0; i < args.size(); ++i) {
        const QString& arg = args[i];
        if (!arg.startsWith(QLatin1String("--")))
            throw UsageError(QStringLiteral("unexpected argument '%1' for '%2'.").arg(arg, command_));
        QString name = arg.mid(2), inlineValue;
        bool hasInline = false;
        if (const int eq = name.indexOf(QLatin1Char('=')); eq >= 0) {
            inlineValue = name.mid(eq + 1);
            name = name.left(eq);
            hasInline = true;
        }
        const OptionSpec* option = find(name);
        if (!option)
            throw UsageError(QStringLiteral("'%1' has no option --%2.").arg(command_, name));
        if (name == QLatin1String("help")) {
            help_ = true;
            continue;
        }
        if (values_.contains(name))
            throw UsageError(QStringLiteral("--%1 is given twice.").arg(name));
        if (option->valueName.isEmpty()) {
            if (hasInline)
                throw UsageError(QStringLiteral("--%1 is a flag and takes no value.").arg(name));
            values_.insert(name, QStringLiteral("1"));
            continue;
        }
        if (hasInline) {
            values_.insert(name, inlineValue);
            continue;
        }
        if (i + 1 >= args.size())
            throw UsageError(QStringLiteral("--%1 needs a value (%2).").arg(name, option->valueName));
        values_.insert(name, args[++i]);
    }
    if (values_.contains(QStringLiteral("params")) && !help_)
        mergeParamFile(values_.value(QStringLiteral("params")));
}

void ArgParser::mergeParamFile(const QString& path)
{
    const ParamFile file = readParamFile(path); // ranklab::Error (exit 1) for a missing or malformed file
    if (file.command != command_)
        throw UsageError(QStringLiteral("%1 is a parameter file for '%2', not '%3'.").arg(path, file.command, command_));
    for (auto it = file.options.begin(); it != file.options.end(); ++it) {
        const OptionSpec* option = find(it.key());
        if (!option || it.key() == QLatin1String("help") || it.key() == QLatin1String("params"))
            throw UsageError(QStringLiteral("%1: '%2' has no option --%3.").arg(path, command_, it.key()));
        if (values_.contains(it.key()))
            continue; // the command line wins
        if (option->valueName.isEmpty() && it.value() != QLatin1String("1"))
            throw UsageError(QStringLiteral("%1: --%2 is a flag; write true or leave it out.").arg(path, it.key()));
        values_.insert(it.key(), it.value());
    }
}

QString ArgParser::helpText() const
{
    QString text = QStringLiteral("Usage: ranklab-cli %1 [options]\n\n%2\n\nOptions:\n").arg(command_, summary_);
    for (const OptionSpec& o : options_) {
        QString left = QStringLiteral("  --") + o.name;
        if (!o.valueName.isEmpty())
            left += QLatin1Char(' ') + o.valueName;
        QString help = o.help;
        if (!o.defaultValue.isEmpty())
            help += QStringLiteral(" (default: %1)").arg(o.defaultValue);
        text += left.leftJustified(30) + (left.size() >= 30 ? QStringLiteral("\n") + QString(30, QLatin1Char(' ')) : QString())
            + help + QLatin1Char('\n');
    }
    return text;
}

bool ArgParser::isSet(const QString& name) const
{
    return values_.contains(name);
}

QString ArgParser::value(const QString& name) const
{
    if (values_.contains(name))
        return values_.value(name);
    const OptionSpec* o = find(name);
    return o ? o->defaultValue : QString();
}

QString ArgParser::required(const QString& name) const
{
    const QString v = value(name);
    if (v.isEmpty())
        throw UsageError(QStringLiteral("'%1' needs --%2.").arg(command_, name));
    return v;
}

int ArgParser::intValue(const QString& name, int min, int max) const
{
    if (value(name).trimmed().isEmpty())
        throw UsageError(min == max ? QStringLiteral("'%1' needs --%2 %3.").arg(command_, name).arg(min)
                                    : QStringLiteral("'%1' needs --%2, a whole number from %3 to %4.")
                                          .arg(command_, name)
                                          .arg(min)
                                          .arg(max));
    bool ok = false;
    const int v = value(name).toInt(&ok);
    if (!ok || v < min || v > max)
        throw UsageError(QStringLiteral("--%1 must be a whole number from %2 to %3, not '%4'.")
                             .arg(name)
                             .arg(min)
                             .arg(max)
                             .arg(value(name)));
    return v;
}

double ArgParser::doubleValue(const QString& name, double min, double max) const
{
    bool ok = false;
    const double v = value(name).toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < min || v > max)
        throw UsageError(QStringLiteral("--%1 must be a number from %2 to %3, not '%4'.")
                             .arg(name)
                             .arg(min)
                             .arg(max)
                             .arg(value(name)));
    return v;
}

quint64 ArgParser::uint64Value(const QString& name) const
{
    bool ok = false;
    const quint64 v = value(name).toULongLong(&ok);
    if (!ok)
        throw UsageError(QStringLiteral("--%1 must be a non-negative whole number, not '%2'.").arg(name, value(name)));
    return v;
}

QVector<double> ArgParser::doubleList(const QString& name) const
{
    QVector<double> list;
    if (value(name).isEmpty())
        return list;
    for (const QString& part : value(name).split(QLatin1Char(','))) {
        bool ok = false;
        const double v = part.trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(v))
            throw UsageError(QStringLiteral("--%1 must be a comma-separated list of numbers, not '%2'.").arg(name, value(name)));
        list.push_back(v);
    }
    return list;
}

QString ArgParser::choice(const QString& name, const QStringList& choices) const
{
    const QString v = value(name);
    if (!choices.contains(v))
        throw UsageError(QStringLiteral("--%1 must be one of %2, not '%3'.").arg(name, choices.join(QStringLiteral(", ")), v));
    return v;
}

} // namespace ranklab::cli

#include "core/jobs/params.h"

#include <algorithm>
#include <cmath>

#include <QJsonArray>

#include "core/error.h"
#include "core/jobs/param_file.h"
#include "core/printable_text.h"

namespace ranklab {

namespace {

QString boundText(double v, ParamType type)
{
    if (type == ParamType::Int)
        return QString::number(qint64(v));
    return QString::number(v); // 1e-06, 1e+06, 0.001: as the CLI always wrote its bounds
}

QString rangeText(const ParamDecl& d)
{
    const bool lo = std::isfinite(d.min), hi = std::isfinite(d.max);
    if (d.type == ParamType::Int)
        return QStringLiteral("a whole number from %1 to %2").arg(boundText(d.min, d.type), boundText(d.max, d.type));
    if (lo && hi) {
        if (d.minOpen || d.maxOpen)
            return QStringLiteral("a number in %1%2, %3%4")
                .arg(d.minOpen ? QLatin1Char('(') : QLatin1Char('['))
                .arg(boundText(d.min, d.type), boundText(d.max, d.type))
                .arg(d.maxOpen ? QLatin1Char(')') : QLatin1Char(']'));
        return QStringLiteral("a number from %1 to %2").arg(boundText(d.min, d.type), boundText(d.max, d.type));
    }
    if (lo)
        return QStringLiteral("a number %1 %2").arg(d.minOpen ? QStringLiteral(">") : QStringLiteral(">=")).arg(boundText(d.min, d.type));
    if (hi)
        return QStringLiteral("a number %1 %2").arg(d.maxOpen ? QStringLiteral("<") : QStringLiteral("<=")).arg(boundText(d.max, d.type));
    return QStringLiteral("a number");
}

bool inRange(double v, const ParamDecl& d)
{
    if (d.minOpen ? !(v > d.min) : !(v >= d.min))
        return false;
    if (d.maxOpen ? !(v < d.max) : !(v <= d.max))
        return false;
    return true;
}

} // namespace

QString paramTypeName(ParamType type)
{
    switch (type) {
    case ParamType::Flag: return QStringLiteral("flag");
    case ParamType::Int: return QStringLiteral("int");
    case ParamType::UInt64: return QStringLiteral("uint64");
    case ParamType::Double: return QStringLiteral("double");
    case ParamType::Text: return QStringLiteral("text");
    case ParamType::Choice: return QStringLiteral("choice");
    case ParamType::Layers: return QStringLiteral("layers");
    case ParamType::File: return QStringLiteral("file");
    case ParamType::SaveFile: return QStringLiteral("save-file");
    case ParamType::Dir: return QStringLiteral("dir");
    case ParamType::DoubleList: return QStringLiteral("double-list");
    case ParamType::Repeated: return QStringLiteral("repeated");
    }
    return QStringLiteral("text");
}

// ---- ParamSchema ----

ParamSchema& ParamSchema::add(ParamDecl decl)
{
    for (ParamDecl& d : decls_)
        if (d.name == decl.name) {
            d = std::move(decl); // a kind may redeclare a shared option (e.g. a different default)
            return *this;
        }
    decls_.push_back(std::move(decl));
    return *this;
}

namespace {
ParamDecl declared(ParamType type, const QString& name, const QString& valueName, const QString& help, const QString& defaultValue,
                   const QString& group)
{
    ParamDecl d;
    d.name = name;
    d.type = type;
    d.valueName = valueName;
    d.help = help;
    d.defaultValue = defaultValue;
    d.group = group;
    return d;
}
} // namespace

ParamSchema& ParamSchema::flag(const QString& name, const QString& help, const QString& group)
{
    return add(declared(ParamType::Flag, name, {}, help, {}, group));
}

ParamSchema& ParamSchema::integer(const QString& name, const QString& valueName, const QString& help,
                                  const QString& defaultValue, double min, double max, const QString& group)
{
    ParamDecl d = declared(ParamType::Int, name, valueName, help, defaultValue, group);
    d.min = min;
    d.max = max;
    return add(d);
}

ParamSchema& ParamSchema::number(const QString& name, const QString& valueName, const QString& help,
                                 const QString& defaultValue, double min, double max, const QString& group)
{
    ParamDecl d = declared(ParamType::Double, name, valueName, help, defaultValue, group);
    d.min = min;
    d.max = max;
    return add(d);
}

ParamSchema& ParamSchema::choice(const QString& name, const QStringList& choices, const QString& help,
                                 const QString& defaultValue, const QString& group)
{
    ParamDecl d = declared(ParamType::Choice, name, choices.join(QLatin1Char('|')), help, defaultValue, group);
    d.choices = choices;
    return add(d);
}

ParamSchema& ParamSchema::text(const QString& name, const QString& valueName, const QString& help,
                               const QString& defaultValue, const QString& group)
{
    return typed(ParamType::Text, name, valueName, help, defaultValue, group);
}

ParamSchema& ParamSchema::typed(ParamType type, const QString& name, const QString& valueName, const QString& help,
                                const QString& defaultValue, const QString& group)
{
    return add(declared(type, name, valueName, help, defaultValue, group));
}

ParamSchema& ParamSchema::req()
{
    decls_.back().required = true;
    return *this;
}

ParamSchema& ParamSchema::presentationOnly()
{
    decls_.back().presentation = true;
    return *this;
}

ParamSchema& ParamSchema::shownAs(const QString& valueName)
{
    decls_.back().valueName = valueName;
    return *this;
}

ParamSchema& ParamSchema::noun(const QString& choiceNoun)
{
    decls_.back().choiceNoun = choiceNoun;
    return *this;
}

ParamSchema& ParamSchema::openEnds(bool min, bool max)
{
    decls_.back().minOpen = min;
    decls_.back().maxOpen = max;
    return *this;
}

ParamSchema& ParamSchema::remove(const QString& name)
{
    decls_.erase(std::remove_if(decls_.begin(), decls_.end(), [&name](const ParamDecl& d) { return d.name == name; }), decls_.end());
    return *this;
}

ParamSchema& ParamSchema::setDefault(const QString& name, const QString& defaultValue, const QString& help)
{
    for (ParamDecl& d : decls_)
        if (d.name == name) {
            d.defaultValue = defaultValue;
            if (!help.isEmpty())
                d.help = help;
        }
    return *this;
}

const ParamDecl* ParamSchema::find(const QString& name) const
{
    for (const ParamDecl& d : decls_)
        if (d.name == name)
            return &d;
    return nullptr;
}

QJsonArray ParamSchema::toJson() const
{
    QJsonArray list;
    for (const ParamDecl& d : decls_) {
        QJsonObject o{{QStringLiteral("name"), d.name},
                      {QStringLiteral("type"), paramTypeName(d.type)},
                      {QStringLiteral("help"), d.help},
                      {QStringLiteral("group"), d.group},
                      {QStringLiteral("required"), d.required}};
        if (!d.valueName.isEmpty())
            o.insert(QStringLiteral("value_name"), d.valueName);
        if (!d.defaultValue.isEmpty())
            o.insert(QStringLiteral("default"), d.defaultValue);
        if (std::isfinite(d.min))
            o.insert(d.minOpen ? QStringLiteral("min_exclusive") : QStringLiteral("min"), d.min);
        if (std::isfinite(d.max))
            o.insert(d.maxOpen ? QStringLiteral("max_exclusive") : QStringLiteral("max"), d.max);
        if (!d.choices.isEmpty())
            o.insert(QStringLiteral("choices"), QJsonArray::fromStringList(d.choices));
        if (d.presentation)
            o.insert(QStringLiteral("presentation"), true);
        list.append(o);
    }
    return list;
}

// ---- Params ----

Params::Params(QString command, const ParamSchema* schema) : command_(std::move(command)), schema_(schema) {}

const ParamDecl& Params::decl(const QString& name) const
{
    const ParamDecl* d = schema_ ? schema_->find(name) : nullptr;
    if (!d)
        throw OptionError(QStringLiteral("'%1' has no option --%2.").arg(command_, printableText(name)));
    return *d;
}

void Params::set(const QString& name, const QString& value)
{
    const ParamDecl& d = decl(name);
    if (d.type == ParamType::Repeated && values_.contains(name))
        values_[name] += QLatin1Char('\n') + value;
    else
        values_.insert(name, d.type == ParamType::Flag ? QStringLiteral("1") : value);
}

void Params::setList(const QString& name, const QStringList& values)
{
    decl(name);
    if (values.isEmpty())
        values_.remove(name);
    else
        values_.insert(name, values.join(QLatin1Char('\n')));
}

void Params::unset(const QString& name)
{
    values_.remove(name);
}

bool Params::isSet(const QString& name) const
{
    return values_.contains(name);
}

QString Params::value(const QString& name) const
{
    if (values_.contains(name))
        return values_.value(name);
    const ParamDecl* d = schema_ ? schema_->find(name) : nullptr;
    return d ? d->defaultValue : QString();
}

QString Params::required(const QString& name) const
{
    const QString v = value(name);
    if (v.isEmpty())
        throw OptionError(QStringLiteral("'%1' needs --%2.").arg(command_, name));
    return v;
}

int Params::intValue(const QString& name) const
{
    const ParamDecl& d = decl(name);
    return intValue(name, int(std::max(d.min, -2147483648.0)), int(std::min(d.max, 2147483647.0)));
}

int Params::intValue(const QString& name, int min, int max) const
{
    const QString text = value(name).trimmed();
    if (text.isEmpty())
        throw OptionError(min == max ? QStringLiteral("'%1' needs --%2 %3.").arg(command_, name).arg(min)
                                     : QStringLiteral("'%1' needs --%2, a whole number from %3 to %4.")
                                           .arg(command_, name)
                                           .arg(min)
                                           .arg(max));
    bool ok = false;
    const int v = text.toInt(&ok);
    if (!ok || v < min || v > max)
        throw OptionError(QStringLiteral("--%1 must be a whole number from %2 to %3, not '%4'.")
                              .arg(name)
                              .arg(min)
                              .arg(max)
                              .arg(printableText(value(name))));
    return v;
}

double Params::doubleValue(const QString& name) const
{
    const ParamDecl& d = decl(name);
    const QString text = value(name).trimmed();
    if (text.isEmpty())
        throw OptionError(QStringLiteral("'%1' needs --%2, %3.").arg(command_, name, rangeText(d)));
    bool ok = false;
    const double v = text.toDouble(&ok);
    if (!ok || !std::isfinite(v) || !inRange(v, d))
        throw OptionError(QStringLiteral("--%1 must be %2, not '%3'.").arg(name, rangeText(d), printableText(value(name))));
    return v;
}

quint64 Params::uint64Value(const QString& name) const
{
    bool ok = false;
    const quint64 v = value(name).trimmed().toULongLong(&ok);
    if (!ok)
        throw OptionError(QStringLiteral("--%1 must be a non-negative whole number, not '%2'.").arg(name, printableText(value(name))));
    return v;
}

QVector<double> Params::doubleList(const QString& name) const
{
    QVector<double> list;
    const QString text = value(name);
    if (text.isEmpty())
        return list;
    for (const QString& part : text.split(QLatin1Char(','))) {
        bool ok = false;
        const double v = part.trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(v))
            throw OptionError(QStringLiteral("--%1 must be a comma-separated list of numbers, not '%2'.").arg(name, printableText(text)));
        list.push_back(v);
    }
    return list;
}

QString Params::choice(const QString& name) const
{
    const ParamDecl& d = decl(name);
    const QString v = value(name);
    for (const QString& c : d.choices)
        if (c.compare(v.trimmed(), Qt::CaseInsensitive) == 0)
            return c; // "Output" is "output", as the CLI always took it
    if (!d.choices.contains(v) && !d.choiceNoun.isEmpty())
        throw OptionError(QStringLiteral("unknown %1 '%2'; known %1s: %3.").arg(d.choiceNoun, printableText(v), d.choices.join(QStringLiteral(", "))));
    if (!d.choices.contains(v))
        throw OptionError(QStringLiteral("--%1 must be one of %2, not '%3'.").arg(name, d.choices.join(QStringLiteral(", ")), printableText(v)));
    return v;
}

QStringList Params::list(const QString& name) const
{
    const QString v = value(name);
    return v.isEmpty() ? QStringList() : v.split(QLatin1Char('\n'));
}

void Params::parseCommandLine(const QStringList& args)
{
    QString paramsFile;
    for (int i = 0; i < args.size(); ++i) {
        const QString& arg = args[i];
        if (!arg.startsWith(QLatin1String("--")))
            throw OptionError(QStringLiteral("unexpected argument '%1' for '%2'.").arg(printableText(arg), command_));
        QString name = arg.mid(2), inlineValue;
        bool hasInline = false;
        if (const int eq = name.indexOf(QLatin1Char('=')); eq >= 0) {
            inlineValue = name.mid(eq + 1);
            name = name.left(eq);
            hasInline = true;
        }
        if (name == QLatin1String("help")) {
            help_ = true;
            continue;
        }
        if (name == QLatin1String("params")) {
            if (!hasInline && i + 1 >= args.size())
                throw OptionError(QStringLiteral("--params needs a value (FILE)."));
            if (!paramsFile.isEmpty())
                throw OptionError(QStringLiteral("--params is given twice."));
            paramsFile = hasInline ? inlineValue : args[++i];
            continue;
        }
        const ParamDecl& d = decl(name);
        if (values_.contains(name) && d.type != ParamType::Repeated)
            throw OptionError(QStringLiteral("--%1 is given twice.").arg(name));
        if (d.type == ParamType::Flag) {
            if (hasInline)
                throw OptionError(QStringLiteral("--%1 is a flag and takes no value.").arg(name));
            set(name, QStringLiteral("1"));
            continue;
        }
        if (hasInline) {
            set(name, inlineValue);
            continue;
        }
        if (i + 1 >= args.size())
            throw OptionError(QStringLiteral("--%1 needs a value (%2).").arg(name, d.valueName));
        set(name, args[++i]);
    }
    if (!paramsFile.isEmpty() && !help_) {
        const ParamFile file = readParamFile(paramsFile); // ranklab::Error (exit 1) for a missing or malformed file
        merge(file);
    }
}

void Params::merge(const ParamFile& file)
{
    if (file.command != command_)
        throw OptionError(QStringLiteral("%1 is a parameter file for '%2', not '%3'.").arg(file.path, file.command, command_));
    for (auto it = file.options.begin(); it != file.options.end(); ++it) {
        const ParamDecl* d = schema_ ? schema_->find(it.key()) : nullptr;
        if (!d)
            throw OptionError(QStringLiteral("%1: '%2' has no option --%3.").arg(file.path, command_, it.key()));
        if (values_.contains(it.key()))
            continue; // the command line wins
        if (d->type == ParamType::Flag && it.value() != QLatin1String("1"))
            throw OptionError(QStringLiteral("%1: --%2 is a flag; write true or leave it out.").arg(file.path, it.key()));
        if (d->type == ParamType::Repeated && file.lists.contains(it.key()))
            setList(it.key(), file.lists.value(it.key()));
        else
            values_.insert(it.key(), it.value());
    }
}

void Params::validate() const
{
    if (!schema_)
        return;
    for (const ParamDecl& d : schema_->decls()) {
        if (d.required && value(d.name).trimmed().isEmpty())
            throw OptionError(QStringLiteral("'%1' needs --%2.").arg(command_, d.name));
        if (!values_.contains(d.name))
            continue;
        switch (d.type) {
        case ParamType::Int: intValue(d.name); break;
        case ParamType::UInt64: uint64Value(d.name); break;
        case ParamType::Double: doubleValue(d.name); break;
        case ParamType::Choice: choice(d.name); break;
        case ParamType::DoubleList: doubleList(d.name); break;
        default: break;
        }
    }
}

QJsonObject Params::toJson(const QStringList& leaveOut) const
{
    QJsonObject options;
    for (auto it = values_.begin(); it != values_.end(); ++it) {
        const ParamDecl* d = schema_ ? schema_->find(it.key()) : nullptr;
        if (!d || d->presentation || leaveOut.contains(it.key()))
            continue;
        if (d->type == ParamType::Flag)
            options.insert(it.key(), true);
        else if (d->type == ParamType::Repeated)
            options.insert(it.key(), QJsonArray::fromStringList(it.value().split(QLatin1Char('\n'))));
        else
            options.insert(it.key(), it.value());
    }
    return QJsonObject{{QStringLiteral("ranklab_params"), 1}, {QStringLiteral("command"), command_}, {QStringLiteral("options"), options}};
}

QString helpText(const QString& command, const QString& summary, const ParamSchema& schema, bool withParamsFile)
{
    QString text = QStringLiteral("Usage: ranklab-cli %1 [options]\n\n%2\n\nOptions:\n").arg(command, summary);
    auto line = [&text](const QString& left, const QString& help) {
        text += left.leftJustified(30) + (left.size() >= 30 ? QStringLiteral("\n") + QString(30, QLatin1Char(' ')) : QString()) + help
            + QLatin1Char('\n');
    };
    line(QStringLiteral("  --help"), QStringLiteral("show this help and exit"));
    if (withParamsFile)
        line(QStringLiteral("  --params FILE"), QStringLiteral("read options from a parameter file (resources/examples/, a run's job.json); options given here win"));
    for (const ParamDecl& d : schema.decls()) {
        QString left = QStringLiteral("  --") + d.name;
        if (!d.valueName.isEmpty())
            left += QLatin1Char(' ') + d.valueName;
        QString help = d.help;
        if (d.required)
            help += QStringLiteral(" (required)");
        if (!d.defaultValue.isEmpty())
            help += QStringLiteral(" (default: %1)").arg(d.defaultValue);
        line(left, help);
    }
    return text;
}

} // namespace ranklab

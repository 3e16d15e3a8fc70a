#pragma once

#include <stdexcept>

#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ranklab::cli {

/// A wrong command line: printed with the command's usage hint, exit code 2.
class UsageError final : public std::runtime_error {
public:
    explicit UsageError(const QString& sentence) : std::runtime_error(sentence.toStdString()) {}
};

/// One `--name VALUE` option or `--name` flag of a command.
struct OptionSpec {
    QString name;        ///< without the leading dashes
    QString valueName;   ///< empty: a flag
    QString help;
    QString defaultValue;
};

/// The options of one subcommand: declared, parsed, and turned into typed values with clear errors.
class ArgParser final {
public:
    ArgParser(QString command, QString summary);
    ArgParser& add(const OptionSpec& option);
    /// Parses `args` (after the command word). `--help` anywhere sets helpRequested(). Throws UsageError
    /// for unknown options, missing values or repeated options. `--params FILE` (every command has it)
    /// adds the file's options (core/jobs/param_file.h) that the command line does not give; a file for
    /// another command or with an option this command lacks is a UsageError, an unreadable one a
    /// ranklab::Error.
    void parse(const QStringList& args);
    bool helpRequested() const { return help_; }
    QString helpText() const;

    bool isSet(const QString& name) const;
    QString value(const QString& name) const;          ///< given value, else the default
    QString required(const QString& name) const;       ///< UsageError if not given
    int intValue(const QString& name, int min, int max) const;
    double doubleValue(const QString& name, double min, double max) const;
    quint64 uint64Value(const QString& name) const;
    QVector<double> doubleList(const QString& name) const; ///< comma-separated; empty if not given
    /// One of `choices`; UsageError listing them otherwise.
    QString choice(const QString& name, const QStringList& choices) const;

private:
    const OptionSpec* find(const QString& name) const;
    /// Adds the options of the parameter file `path` that the command line did not give.
    void mergeParamFile(const QString& path);
    QString command_, summary_;
    QVector<OptionSpec> options_;
    QMap<QString, QString> values_;
    bool help_ = false;
};

} // namespace ranklab::cli

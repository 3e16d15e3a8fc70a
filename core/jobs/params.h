#pragma once
// A job's parameters, declared once. Torch-free.
//
// Every job kind (core/jobs/job_kind.h) declares a ParamSchema: each parameter's name (ranklab-cli's long
// option without dashes), type, default, range or choices, help text and group. Everything else is
// derived from it: the CLI's options and --help, the GUI's form (ui/schema_form.h), parameter files,
// job.json in a run folder (what `ranklab-cli rerun` and the GUI's Re-run read), and `ranklab-cli schema`.
//
// A Params holds the values of one job as text, exactly as a command line would give them; the typed
// getters check them against the declaration, so the CLI, the GUI and a parameter file accept and refuse
// the same values with the same sentence (an OptionError: exit 2 in the CLI, a dialog in the GUI).

#include <limits>

#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ranklab {

struct ParamFile;

enum class ParamType {
    Flag,       ///< present or not (`--deterministic`)
    Int,        ///< whole number in [min, max]
    UInt64,     ///< non-negative whole number (seeds)
    Double,     ///< finite number in [min, max] (open ends with minOpen/maxOpen)
    Text,       ///< free text (sizes like "0.5", layer group lists, …)
    Choice,     ///< one of `choices`
    Layers,     ///< a layer selection: all, indices 4,15, ranges 1-5, names (checked once the model is known)
    File,       ///< a file to read
    SaveFile,   ///< a file to write
    Dir,        ///< a folder (run folders: created if missing)
    DoubleList, ///< comma-separated numbers
    Repeated,   ///< the option may repeat (`--group light=1-5 --group heavy=6-9`); values kept in order
};

/// The name of `type` in `ranklab-cli schema --json` ("int", "double", "layers", …).
QString paramTypeName(ParamType type);

/// One declared parameter.
struct ParamDecl {
    QString name;         ///< long option name without dashes
    ParamType type = ParamType::Text;
    QString valueName;    ///< placeholder in --help (N, FILE, …); empty for flags
    QString help;
    QString defaultValue; ///< as text; empty: no default (optional, or `required`)
    QString group;        ///< "model", "data", "training", "output", or empty (the kind's own)
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    bool minOpen = false, maxOpen = false; ///< the bound itself is excluded
    QStringList choices;  ///< Choice
    /// Choice: the thing chosen, for the refusal "unknown model 'x'; known models: …" (empty: "--name must
    /// be one of …").
    QString choiceNoun;
    bool required = false;
    /// Shapes how results are shown, not what is computed (--json, --quiet): never stored in job.json.
    bool presentation = false;
};

/// The declared parameters of one kind, in the order --help and the form show them.
class ParamSchema final {
public:
    ParamSchema& add(ParamDecl decl);
    /// Shorthands for the common cases (group, valueName and range as named).
    ParamSchema& flag(const QString& name, const QString& help, const QString& group = {});
    ParamSchema& integer(const QString& name, const QString& valueName, const QString& help, const QString& defaultValue,
                         double min, double max, const QString& group = {});
    ParamSchema& number(const QString& name, const QString& valueName, const QString& help, const QString& defaultValue,
                        double min, double max, const QString& group = {});
    ParamSchema& choice(const QString& name, const QStringList& choices, const QString& help, const QString& defaultValue,
                        const QString& group = {});
    ParamSchema& text(const QString& name, const QString& valueName, const QString& help, const QString& defaultValue = {},
                      const QString& group = {});
    ParamSchema& typed(ParamType type, const QString& name, const QString& valueName, const QString& help,
                       const QString& defaultValue = {}, const QString& group = {});
    /// Marks the last added parameter required / presentation-only.
    ParamSchema& req();
    ParamSchema& presentationOnly();
    /// The last added parameter's placeholder in --help ("F" instead of "weight|output|pair").
    ParamSchema& shownAs(const QString& valueName);
    /// The last added Choice's noun for "unknown objective 'x'; known objectives: …".
    ParamSchema& noun(const QString& choiceNoun);
    /// Excludes the last added number's lower and/or upper bound: (0, 1), [0, 1).
    ParamSchema& openEnds(bool min, bool max);
    /// Changes the default (and help) of an already declared parameter, e.g. prune's lower learning rate.
    /// Drops a shared parameter a kind does not take (sanity-check has no --init-weights).
    ParamSchema& remove(const QString& name);
    ParamSchema& setDefault(const QString& name, const QString& defaultValue, const QString& help = {});

    const QVector<ParamDecl>& decls() const { return decls_; }
    const ParamDecl* find(const QString& name) const;
    QJsonArray toJson() const;

private:
    QVector<ParamDecl> decls_;
};

/// The values of one job. `command` names its kind. Unset parameters read as their declared default.
class Params final {
public:
    Params() = default;
    Params(QString command, const ParamSchema* schema);

    const QString& command() const { return command_; }
    const ParamSchema* schema() const { return schema_; }

    /// Sets a value (for a Repeated parameter: appends). Throws OptionError for an undeclared name.
    void set(const QString& name, const QString& value);
    void setList(const QString& name, const QStringList& values);
    void unset(const QString& name);
    bool isSet(const QString& name) const;
    /// Given value, else the declared default.
    QString value(const QString& name) const;
    /// Every value given (not defaults), name → text ("1" for a flag; Repeated: lines joined by '\n').
    const QMap<QString, QString>& given() const { return values_; }

    QString required(const QString& name) const;          ///< OptionError naming the option if empty
    bool flag(const QString& name) const { return isSet(name); }
    int intValue(const QString& name) const;               ///< in the declared range
    int intValue(const QString& name, int min, int max) const; ///< in a range known only now (≤ epochs, …)
    double doubleValue(const QString& name) const;         ///< in the declared range
    quint64 uint64Value(const QString& name) const;
    QVector<double> doubleList(const QString& name) const; ///< empty if not given
    QString choice(const QString& name) const;             ///< one of the declared choices (any case), as declared
    QStringList list(const QString& name) const;           ///< a Repeated parameter's values

    /// Reads `--name value`, `--name=value` and flags. `--help` sets helpRequested(); `--params FILE`
    /// merges that parameter file (command-line values win). Throws OptionError for unknown options,
    /// missing values, repeats of a non-Repeated option, a file for another command.
    void parseCommandLine(const QStringList& args);
    bool helpRequested() const { return help_; }
    /// Adds the file's options that are not set yet (OptionError for options this kind lacks).
    void merge(const ParamFile& file);
    /// Checks every given value against its declaration (type, range, choices) and that required
    /// parameters are given. Throws OptionError with the first problem.
    void validate() const;

    /// {"ranklab_params": 1, "command", "options"}: a parameter file (`--params`) and job.json.
    /// Presentation options are left out; so are those named in `leaveOut`.
    QJsonObject toJson(const QStringList& leaveOut = {}) const;

private:
    const ParamDecl& decl(const QString& name) const;
    QString command_;
    const ParamSchema* schema_ = nullptr;
    QMap<QString, QString> values_;
    bool help_ = false;
};

/// `ranklab-cli COMMAND --help`: usage line, summary, options by group with defaults and ranges.
/// `withParamsFile`: list --params (every kind takes it; `schema` and `rerun` do not).
QString helpText(const QString& command, const QString& summary, const ParamSchema& schema, bool withParamsFile = true);

} // namespace ranklab

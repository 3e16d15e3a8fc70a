#pragma once
// Parameter files: one experiment's options in a small JSON file that both ranklab-cli (`--params FILE`)
// and the GUI (File → Open parameter file…) read — the ready-made walk-throughs live in
// resources/examples/. Torch-free.
//
// Format:
//   {"ranklab_params": 1, "command": "sweep", "title": "…", "description": "…",
//    "options": {"model": "lenet5", "layers": "all", "epochs": 3, "lr": 0.05, "json": true}}
// `options` uses ranklab-cli's long option names without dashes. Values: strings as written, numbers
// as their shortest exact decimal, `true` for a flag (false: the flag is not given), arrays as a
// comma-separated list. Options given on the command line win over the file's.

#include <QMap>
#include <QString>
#include <QStringList>

namespace ranklab {

struct ParamFile {
    QString path;                    ///< as given
    QString command;                 ///< ranklab-cli command word ("sweep", "ron", …)
    QString title;                   ///< one line for menus and logs (may be empty)
    QString description;             ///< free text (may be empty)
    QMap<QString, QString> options;  ///< option name → value ("1" for a flag)
    QMap<QString, QStringList> lists; ///< the items of options given as JSON arrays (repeated options)
};

/// Reads and checks a parameter file; throws ranklab::Error with one sentence naming the file and the
/// problem (missing, not JSON, unknown format version, no command, an option value that is an object or
/// null, a name with dashes or spaces).
ParamFile readParamFile(const QString& path);

} // namespace ranklab

// ranklab-cli: every RankLab experiment, headless. Exit 0 success, 1 runtime failure, 2 usage error,
// 130 cancelled (resumable). The commands are the registered job kinds (core/jobs/job_kind.h): their
// options, --help and JSON come from each kind's parameter schema.
#include <cstdio>
#include <exception>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include "app/cli/cli_context.h"
#include "core/error.h"
#include "core/jobs/job_kind.h"
#include "ranklab/version.h"

namespace ranklab::cli {

namespace {

void printUsage(std::FILE* to)
{
    std::fprintf(to, "Usage: ranklab-cli <command> [options]   (ranklab-cli <command> --help for its options)\n\nCommands:\n");
    for (const JobKind* k : JobKinds::all())
        std::fprintf(to, "  %-13s %s\n", qPrintable(k->id), qPrintable(k->summary));
    std::fprintf(to, "  %-13s %s\n", "rerun", "run a run folder's job again from its job.json (any kind), into a new folder or in place");
    std::fprintf(to, "  %-13s %s\n", "schema", "the declared parameters of every command (or one), as text or --json");
    std::fprintf(to, "\n  --version  print the version\n  --help     this help\n");
}

void printJsonLine(const QJsonObject& object)
{
    std::fprintf(stdout, "%s\n", QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

QJsonObject kindJson(const JobKind& k)
{
    return QJsonObject{{QStringLiteral("command"), k.id},
                       {QStringLiteral("title"), k.title},
                       {QStringLiteral("menu"), k.menu},
                       {QStringLiteral("summary"), k.summary},
                       {QStringLiteral("help"), k.help},
                       {QStringLiteral("run_folder_param"), k.runFolderParam},
                       {QStringLiteral("resume_param"), k.resumeParam},
                       {QStringLiteral("layers_param"), k.layersParam},
                       {QStringLiteral("weights_param"), k.weightsParam},
                       {QStringLiteral("completion_files"), QJsonArray::fromStringList(k.completionFiles)},
                       {QStringLiteral("params"), k.schema.toJson()}};
}

/// Runs `params` of `kind` and prints the result: the text, or with --json the report as one JSON line.
int runAndPrint(const JobKind& kind, const Params& params)
{
    const bool hasQuiet = kind.schema.find(QStringLiteral("quiet")) != nullptr;
    CliContext context(hasQuiet && params.flag(QStringLiteral("quiet")));
    const JobResult result = runJob(kind, params, context);
    if (result.outcome == JobOutcome::Cancelled) {
        std::fprintf(stderr, "ranklab-cli: %s\n", qPrintable(result.resumeHint));
        return 130;
    }
    const bool json = kind.schema.find(QStringLiteral("json")) && params.flag(QStringLiteral("json"));
    if (json && !result.plainOutput) {
        printJsonLine(result.report);
    } else if (!result.text.isEmpty()) {
        std::fputs(result.text.toUtf8().constData(), stdout);
        if (!result.text.endsWith(QLatin1Char('\n')))
            std::fputc('\n', stdout);
    }
    return 0;
}

int runKind(const JobKind& kind, const QStringList& args)
{
    Params params = kind.params();
    params.parseCommandLine(args);
    if (params.helpRequested()) {
        std::fputs(qPrintable(helpText(kind.id, kind.help, kind.schema)), stdout);
        return 0;
    }
    return runAndPrint(kind, params);
}

int runSchema(const QStringList& args)
{
    bool json = false;
    QString only;
    for (const QString& a : args) {
        if (a == QLatin1String("--json"))
            json = true;
        else if (a == QLatin1String("--help")) {
            ParamSchema options;
            options.flag(QStringLiteral("json"), QStringLiteral("print the schema as JSON (for scripts and other front-ends)"));
            std::fputs(qPrintable(helpText(QStringLiteral("schema [COMMAND]"),
                                           QStringLiteral("The declared parameters of every command (or of COMMAND): name, type, default, "
                                                          "range or choices, help, group."),
                                           options, false)),
                       stdout);
            return 0;
        } else if (a.startsWith(QLatin1String("--")))
            throw OptionError(QStringLiteral("'schema' has no option %1.").arg(a));
        else if (only.isEmpty())
            only = a;
        else
            throw OptionError(QStringLiteral("unexpected argument '%1' for 'schema'.").arg(a));
    }
    QVector<const JobKind*> kinds = JobKinds::all();
    if (!only.isEmpty()) {
        const JobKind* k = JobKinds::find(only);
        if (!k)
            throw OptionError(QStringLiteral("unknown command '%1'.").arg(only));
        kinds = {k};
    }
    if (json) {
        QJsonArray list;
        for (const JobKind* k : kinds)
            list.append(kindJson(*k));
        std::printf("%s\n", QJsonDocument(QJsonObject{{QStringLiteral("ranklab_schema"), 1},
                                                      {QStringLiteral("version"), QStringLiteral(RANKLAB_VERSION)},
                                                      {QStringLiteral("commands"), list}})
                                .toJson(QJsonDocument::Indented)
                                .constData());
        return 0;
    }
    for (const JobKind* k : kinds)
        std::printf("%s\n", qPrintable(helpText(k->id, k->help, k->schema)));
    return 0;
}

/// A folder next to `runDir` that does not exist yet: RUN-rerun, RUN-rerun-2, …
QString freshSibling(const QString& runDir)
{
    const QString base = QDir::cleanPath(QFileInfo(runDir).absoluteFilePath()) + QStringLiteral("-rerun");
    for (int n = 1;; ++n) {
        const QString candidate = n == 1 ? base : base + QStringLiteral("-%1").arg(n);
        if (!QFileInfo::exists(candidate))
            return candidate;
    }
}

int runRerun(const QStringList& args)
{
    QString runDir, out;
    bool inPlace = false, quiet = false, json = false;
    for (int i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        if (a == QLatin1String("--help")) {
            ParamSchema options;
            options.typed(ParamType::Dir, QStringLiteral("out"), QStringLiteral("DIR"),
                          QStringLiteral("the new run folder (default: RUN_DIR-rerun, -rerun-2, … next to it)"))
                .flag(QStringLiteral("continue"), QStringLiteral("continue an interrupted run in RUN_DIR itself (its --resume)"))
                .flag(QStringLiteral("quiet"), QStringLiteral("no progress on stderr"))
                .flag(QStringLiteral("json"), QStringLiteral("print the result as JSON on the last stdout line"));
            std::fputs(qPrintable(helpText(QStringLiteral("rerun RUN_DIR"),
                                           QStringLiteral("Runs a run folder's job again from its job.json, with the same parameters and seed "
                                                          "(any kind that writes a run folder: train, basis-train, sweep, groups, proxy-sweep, "
                                                          "spectrum, ron, prune, sanity-check)."),
                                           options, false)),
                       stdout);
            return 0;
        }
        if (a == QLatin1String("--out")) {
            if (i + 1 >= args.size())
                throw OptionError(QStringLiteral("--out needs a value (DIR)."));
            out = args[++i];
        } else if (a.startsWith(QLatin1String("--out="))) {
            out = a.mid(6);
        } else if (a == QLatin1String("--continue")) {
            inPlace = true;
        } else if (a == QLatin1String("--quiet")) {
            quiet = true;
        } else if (a == QLatin1String("--json")) {
            json = true;
        } else if (a.startsWith(QLatin1String("--"))) {
            throw OptionError(QStringLiteral("'rerun' has no option %1.").arg(a));
        } else if (runDir.isEmpty()) {
            runDir = a;
        } else {
            throw OptionError(QStringLiteral("unexpected argument '%1' for 'rerun'.").arg(a));
        }
    }
    if (runDir.isEmpty())
        throw OptionError(QStringLiteral("'rerun' needs the run folder to run again."));
    if (inPlace && !out.isEmpty())
        throw OptionError(QStringLiteral("--continue runs in the folder itself; it does not take --out."));
    if (!inPlace && out.isEmpty())
        out = freshSibling(runDir);
    Params params = readJob(runDir, inPlace ? QString() : out);
    const JobKind* kind = JobKinds::find(params.command());
    if (quiet && kind->schema.find(QStringLiteral("quiet")))
        params.set(QStringLiteral("quiet"), QStringLiteral("1"));
    if (json && kind->schema.find(QStringLiteral("json")))
        params.set(QStringLiteral("json"), QStringLiteral("1"));
    if (!quiet)
        std::fprintf(stderr, "ranklab-cli: %s %s into %s\n", inPlace ? "continuing" : "re-running", qPrintable(params.command()),
                     qPrintable(inPlace ? runDir : out));
    return runAndPrint(*kind, params);
}

/// A usage error: the sentence, the --help hint, exit 2.
int usageError(const QString& command, const std::exception& e)
{
    std::fprintf(stderr, "ranklab-cli %s: %s\nSee 'ranklab-cli %s --help'.\n", qPrintable(command), e.what(), qPrintable(command));
    return 2;
}

} // namespace
} // namespace ranklab::cli

int main(int argc, char** argv)
{
    using namespace ranklab;
    using namespace ranklab::cli;
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ranklab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RANKLAB_VERSION));
    QStringList args = QCoreApplication::arguments().mid(1);
    if (args.isEmpty()) {
        printUsage(stderr);
        return 2;
    }
    const QString command = args.takeFirst();
    if (command == QLatin1String("--version") || command == QLatin1String("version")) {
        std::printf("ranklab-cli %s\n", RANKLAB_VERSION);
        return 0;
    }
    if (command == QLatin1String("--help") || command == QLatin1String("help")) {
        printUsage(stdout);
        return 0;
    }
    installCancelHandler();
    silenceLibraryMessages();
    const JobKind* kind = JobKinds::find(command);
    if (!kind && command != QLatin1String("schema") && command != QLatin1String("rerun")) {
        std::fprintf(stderr, "ranklab-cli: unknown command '%s'.\n", qPrintable(command));
        printUsage(stderr);
        return 2;
    }
    try {
        if (command == QLatin1String("schema"))
            return runSchema(args);
        if (command == QLatin1String("rerun"))
            return runRerun(args);
        return runKind(*kind, args);
    } catch (const OptionError& e) {
        return usageError(command, e);
    } catch (const Error& e) {
        std::fprintf(stderr, "ranklab-cli %s: error: %s\n", qPrintable(command), e.what());
        return 1;
    } catch (const std::exception& e) {
        // LibTorch errors carry a backtrace: only their first line, as one sentence.
        std::fprintf(stderr, "ranklab-cli %s: error: %s\n", qPrintable(command), qPrintable(errorSentence(e)));
        return 1;
    }
}

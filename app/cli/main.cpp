// ranklab-cli: every RankLab experiment, headless. Exit 0 success, 1 runtime failure, 2 usage error.
#include <csignal>
#include <cstdio>
#include <exception>

#include <QCoreApplication>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "core/error.h"
#include "ranklab/version.h"

namespace ranklab::cli {

namespace {
std::atomic_bool gCancel{false};

void onSignal(int)
{
    if (gCancel.exchange(true)) // second signal: stop now
        std::_Exit(130);
}

struct Command {
    const char* name;
    int (*run)(const QStringList&);
    const char* summary;
};

const Command kCommands[] = {
    {"info", runInfo, "list a model's layers: index, name, shapes, parameters, FLOPs"},
    {"train", runTrain, "train a model into a run folder (resumable)"},
    {"eval", runEval, "evaluate weights on a test split"},
    {"export", runExport, "write weights as a PyTorch state dict"},
    {"basis-train", runBasisTrain, "training with skip: basis convs first, then full convs (paper A)"},
    {"sanity-check", runSanityCheck, "paper A §4.3: baseline, bases extracted by QR/SVD, training from 0.7 of the schedule"},
    {"prune", runPrune, "L1-norm filter pruning with fine-tuning (the baseline RON stacks on, paper B Table 4)"},
    {"cost", runCost, "basis-convolution cost model per conv layer (paper A)"},
    {"sweep", runSweepCommand, "per-layer sensitivity sweep: one run per layer with basis convs (paper A, resumable)"},
    {"groups", runGroupsCommand, "sensitivity of named layer groups, e.g. light=1-5 heavy=16-20 (paper A)"},
    {"pareto", runParetoCommand, "compound estimates and the Pareto front of a sweep; --validate trains points (paper A)"},
    {"proxy-sweep", runProxySweepCommand, "training-free proxy of the sweep, same output format"},
    {"spectrum", runSpectrum, "singular values of layer outputs and EVBMF ranks (paper B)"},
    {"ron", runRon, "Reduced-Order Network student of a layer range, with report (paper B)"},
};

void printUsage(std::FILE* to)
{
    std::fprintf(to, "Usage: ranklab-cli <command> [options]   (ranklab-cli <command> --help for its options)\n\nCommands:\n");
    for (const Command& c : kCommands)
        std::fprintf(to, "  %-13s %s\n", c.name, c.summary);
    std::fprintf(to, "\n  --version  print the version\n  --help     this help\n");
}

/// A usage error (one the parser finds, or an option judged once the model or data are known): the
/// sentence, the --help hint, exit 2.
int usageError(const char* command, const std::exception& e)
{
    std::fprintf(stderr, "ranklab-cli %s: %s\nSee 'ranklab-cli %s --help'.\n", command, e.what(), command);
    return 2;
}
} // namespace

const std::atomic_bool* cancelFlag()
{
    return &gCancel;
}

void installCancelHandler()
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

} // namespace ranklab::cli

int main(int argc, char** argv)
{
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
    ranklab::silenceLibraryMessages();
    for (const Command& c : kCommands) {
        if (command != QLatin1String(c.name))
            continue;
        try {
            return c.run(args);
        } catch (const UsageError& e) {
            return usageError(c.name, e);
        } catch (const ranklab::OptionError& e) {
            return usageError(c.name, e);
        } catch (const ranklab::Error& e) {
            std::fprintf(stderr, "ranklab-cli %s: error: %s\n", c.name, e.what());
            return 1;
        } catch (const std::exception& e) {
            // LibTorch errors carry a backtrace: only their first line, as one sentence.
            std::fprintf(stderr, "ranklab-cli %s: error: %s\n", c.name, qPrintable(ranklab::errorSentence(e)));
            return 1;
        }
    }
    std::fprintf(stderr, "ranklab-cli: unknown command '%s'.\n", qPrintable(command));
    printUsage(stderr);
    return 2;
}

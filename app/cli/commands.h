#pragma once

#include <atomic>

#include <QStringList>

namespace ranklab::cli {

/// Each subcommand: parses its own options, returns the process exit code (0 ok, 1 runtime failure);
/// UsageError (exit 2) and ranklab::Error (exit 1) propagate to main().
int runInfo(const QStringList& args);
int runTrain(const QStringList& args);
int runEval(const QStringList& args);
int runExport(const QStringList& args);
int runBasisTrain(const QStringList& args);
int runSanityCheck(const QStringList& args);
int runPrune(const QStringList& args);
int runCost(const QStringList& args);
int runSweepCommand(const QStringList& args);
int runGroupsCommand(const QStringList& args);
int runParetoCommand(const QStringList& args);
int runProxySweepCommand(const QStringList& args);
int runSpectrum(const QStringList& args);
int runRon(const QStringList& args);

/// Set by SIGINT/SIGTERM; long commands stop at the next batch and stay resumable.
const std::atomic_bool* cancelFlag();
void installCancelHandler();

} // namespace ranklab::cli

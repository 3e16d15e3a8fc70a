// Fuzz target: the files a workspace listing reads from every run folder (core/jobs/workspace.h
// Workspace::runs: params.json, sweep.json, run.json, summary.json, sensitivity.json). The input holds them
// separated by lines "%%", in the order of kLayout ("-" leaves a file out). runs() skips unreadable folders,
// so nothing but a crash or a foreign exception can come out of it.
#include "core/error.h"
#include "core/jobs/workspace.h"
#include "tests/fuzz/fuzz_input.h"

namespace {
const std::vector<QString> kLayout = {
    QStringLiteral("runs/a-train/params.json"),       QStringLiteral("runs/a-train/run.json"),
    QStringLiteral("runs/a-train/summary.json"),      QStringLiteral("runs/b-sweep/sweep.json"),
    QStringLiteral("runs/b-sweep/run.json"),          QStringLiteral("runs/b-sweep/sensitivity.json"),
    QStringLiteral("runs/c-spectrum/run.json"),       QStringLiteral("runs/c-spectrum/spectrum.json"),
};
}

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString root = ranklab::fuzz::writeTree(QStringLiteral("workspace"), ranklab::fuzz::splitParts(data, size, kLayout.size()), kLayout);
    try {
        size_t n = 0;
        for (const ranklab::RunEntry& run : ranklab::Workspace(root).runs())
            n += run.kind.size() + run.name.size() + size_t(run.params.size() + run.summary.size()) + run.completed;
        (void)n;
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

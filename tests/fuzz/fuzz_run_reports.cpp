// Fuzz target: the result files of spectrum and RON runs as the workspace loader reads them
// (ui/workspace_loader.h loadSpectrum for spectrum.json, loadRonReport for report.json). The input holds
// spectrum.json, then a line "%%", then report.json ("-" leaves a file out).
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"
#include "ui/workspace_loader.h"

namespace {
const std::vector<QString> kLayout = {QStringLiteral("spectrum.json"), QStringLiteral("report.json")};
}

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString dir = ranklab::fuzz::writeTree(QStringLiteral("run"), ranklab::fuzz::splitParts(data, size, kLayout.size()), kLayout);
    try {
        QHash<int, int> ranks;
        size_t n = 0;
        for (const ranklab::ui::SpectrumCurve& c : ranklab::ui::loadSpectrum(dir, &ranks))
            n += size_t(c.values.size());
        (void)n;
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    try {
        (void)ranklab::ui::loadRonReport(dir).model.size();
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

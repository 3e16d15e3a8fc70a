// Fuzz target: a sweep folder (core/search/sweep_result.h loadSweep, then the sensitivity table and the
// Pareto front the GUI and `ranklab-cli pareto` compute from it). The input holds the folder's JSON files
// separated by lines "%%", in the order of kLayout ("-" leaves a file out).
#include "core/error.h"
#include "core/search/pareto.h"
#include "core/search/sweep_result.h"
#include "tests/fuzz/fuzz_input.h"

namespace {
const std::vector<QString> kLayout = {
    QStringLiteral("sweep.json"),           QStringLiteral("baseline/summary.json"), QStringLiteral("baseline/params.json"),
    QStringLiteral("layer-01/summary.json"), QStringLiteral("layer-01/params.json"), QStringLiteral("layer-02/summary.json"),
    QStringLiteral("layer-02/params.json"), QStringLiteral("group-light/summary.json"), QStringLiteral("group-light/params.json"),
    QStringLiteral("proxy/baseline.json"),  QStringLiteral("proxy/layer-01.json"),   QStringLiteral("proxy/layer-02.json"),
};
}

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace ranklab::search;
    const QString dir = ranklab::fuzz::writeTree(QStringLiteral("sweep"), ranklab::fuzz::splitParts(data, size, kLayout.size()), kLayout);
    try {
        const SweepResult sweep = loadSweep(dir);
        (void)sensitivityCsv(sweep).size();
        (void)sensitivityJson(sweep).size();
        // The GUI enumerates up to 12 entries; the fronts' own limits are pareto.h's business.
        if (!sweep.entries.isEmpty() && sweep.entries.size() <= 12) {
            (void)paretoFront(sweep, Objective::Size, CompoundRule::Mean).points.size();
            (void)paretoFront(sweep, Objective::Time, CompoundRule::Sum).points.size();
        }
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

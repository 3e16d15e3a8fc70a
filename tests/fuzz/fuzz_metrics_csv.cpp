// Fuzz target: a run's metrics.csv (core/train/metrics_file.h readMetricsCsv).
#include "core/error.h"
#include "core/train/metrics_file.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString path = ranklab::fuzz::writeInput(QStringLiteral("metrics.csv"), data, size);
    try {
        (void)ranklab::readMetricsCsv(path).size();
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

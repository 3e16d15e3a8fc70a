// Fuzz target: every JSON file of a run folder goes through core/io/atomic_file.h readJsonObject
// (params.json, summary.json, sweep.json, sensitivity.json, run.json, report.json, spectrum.json).
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString path = ranklab::fuzz::writeInput(QStringLiteral("summary.json"), data, size);
    try {
        (void)ranklab::io::readJsonObject(path).size();
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

// Fuzz target: parameter files (core/jobs/param_file.h readParamFile).
#include "core/error.h"
#include "core/jobs/param_file.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString path = ranklab::fuzz::writeInput(QStringLiteral("params.json"), data, size);
    try {
        const ranklab::ParamFile file = ranklab::readParamFile(path);
        size_t n = file.command.size();
        for (auto it = file.options.cbegin(); it != file.options.cend(); ++it)
            n += it.key().size() + it.value().size();
        (void)n;
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

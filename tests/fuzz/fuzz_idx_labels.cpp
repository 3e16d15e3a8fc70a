// Fuzz target: IDX label files, raw or gzip (core/data/idx_reader.h readIdxLabels).
#include "core/data/idx_reader.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString path = ranklab::fuzz::writeInput(QStringLiteral("labels-idx1-ubyte"), data, size);
    try {
        ranklab::fuzz::touch(ranklab::data::readIdxLabels(path));
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

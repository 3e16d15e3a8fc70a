// Fuzz target: RankLab checkpoints, .rlk (core/io/checkpoint.h readCheckpoint).
#include "core/error.h"
#include "core/io/checkpoint.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString path = ranklab::fuzz::writeInput(QStringLiteral("checkpoint.rlk"), data, size);
    ranklab::fuzz::readCheckpointChecked(path);
    return 0;
}

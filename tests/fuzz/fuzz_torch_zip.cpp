// Fuzz target: PyTorch weights files as bytes — torch.save zips, RankLab exports and checkpoints
// (core/io/weights.h readStateDict). Most mutations fail the zip's CRC-32 checks; fuzz_torch_records
// rebuilds a valid zip around mutated records to get past them.
#include "core/error.h"
#include "core/io/weights.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString path = ranklab::fuzz::writeInput(QStringLiteral("weights.pth"), data, size);
    ranklab::fuzz::readStateDictChecked(path);
    return 0;
}

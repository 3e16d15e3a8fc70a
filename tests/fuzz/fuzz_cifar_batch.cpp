// Fuzz target: CIFAR-10 binary batch files (core/data/cifar_reader.h readCifarBatch).
#include "core/data/cifar_reader.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString path = ranklab::fuzz::writeInput(QStringLiteral("data_batch_1.bin"), data, size);
    try {
        const ranklab::data::TensorDataset batch = ranklab::data::readCifarBatch(path);
        ranklab::fuzz::touch(batch.images);
        ranklab::fuzz::touch(batch.labels);
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

// Fuzz target: ImageFolder image decoding (core/data/image_folder.h readImageFolder on a folder whose one
// class holds the input as its one image, named by its format's magic bytes).
#include <cstring>

#include "core/data/image_folder.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto starts = [&](const char* magic) { return size >= std::strlen(magic) && std::memcmp(data, magic, std::strlen(magic)) == 0; };
    const char* suffix = starts("\xff\xd8") ? "jpg" : starts("BM") ? "bmp" : starts("GIF8") ? "gif" : "png";
    const QString root = ranklab::fuzz::writeTree(QStringLiteral("images"), {std::string(reinterpret_cast<const char*>(data), size)},
                                                  {QStringLiteral("class/image.") + QLatin1String(suffix)});
    try {
        const ranklab::data::ImageFolderSplits splits = ranklab::data::readImageFolder(root, 0.0, 1);
        ranklab::fuzz::touch(splits.train.images);
        ranklab::fuzz::touch(splits.train.labels);
    } catch (const ranklab::Error& e) {
        ranklab::fuzz::expectSentence(e);
    }
    return 0;
}

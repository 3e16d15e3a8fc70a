// Fuzz target: the records inside a PyTorch zip — data.pkl's pickle program and the tensor records it
// points to — behind a valid zip with correct CRC-32s, which mutated zip bytes (fuzz_torch_zip) rarely get
// past. The input is a list of records, each "<name>\n", a 4-byte little-endian length, then that many
// bytes (cut at the input's end); LibTorch's own zip writer turns them into a torch.save-style archive
// that goes to readStateDict and readCheckpoint. TorchScript archives (code/, constants.pkl) are left to
// fuzz_torchscript: with valid CRCs their mutated code would only test LibTorch's TorchScript compiler.
#include <cstring>
#include <set>

#include <caffe2/serialize/inline_container.h>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/weights.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ranklab::fuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    struct Record {
        std::string name;
        const uint8_t* bytes;
        size_t size;
    };
    std::vector<Record> records;
    std::set<std::string> names;
    size_t at = 0;
    while (at < size && records.size() < 32) {
        const auto* end = static_cast<const uint8_t*>(std::memchr(data + at, '\n', size - at));
        if (!end)
            break;
        std::string name(reinterpret_cast<const char*>(data + at), size_t(end - (data + at)));
        at = size_t(end - data) + 1;
        uint32_t length = 0;
        for (int i = 0; i < 4 && at < size; ++i, ++at)
            length |= uint32_t(data[at]) << (8 * i);
        const size_t take = std::min<size_t>(length, size - at);
        if (name.rfind("code/", 0) == 0 || name == "constants.pkl")
            return 0; // a TorchScript archive: see above
        // The writer adds "version" itself and refuses names twice; an empty name is no zip entry.
        // miniz refuses names of folders ("data/6/"): such an input is not a zip the writer can make.
        const bool folderName = !name.empty() && (name.back() == '/' || name.front() == '/' || name.find("//") != std::string::npos);
        if (!name.empty() && !folderName && name != "version" && name.find('\0') == std::string::npos && names.insert(name).second)
            records.push_back({name, data + at, take});
        at += take;
    }
    const QString path = QDir(ranklab::fuzz::scratchDir()).filePath(QStringLiteral("records.pth"));
    try {
        caffe2::serialize::PyTorchStreamWriter writer(QFile::encodeName(path).toStdString());
        for (const Record& r : records)
            writer.writeRecord(r.name, r.bytes, r.size);
        writer.writeEndOfFile();
    } catch (const c10::Error&) {
        return 0; // the writer refused the records: no archive to read (the harness's limit, not a finding)
    }
    ranklab::fuzz::readStateDictChecked(path);
    ranklab::fuzz::readCheckpointChecked(path);
    return 0;
}

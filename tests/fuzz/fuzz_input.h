#pragma once
// Shared by the fuzz targets: the input bytes as a file (most readers take a path), one-thread set-up, and a
// read of every byte a returned tensor claims so that an over-read shows up in the target's own
// (instrumented) code rather than later, or never, in LibTorch's.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>
#include <QTemporaryDir>

#include <torch/torch.h>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/weights.h"

namespace ranklab::fuzz {

/// One-thread torch, no Qt warnings on stderr (a damaged image or JSON file is the normal case here).
inline void initialize()
{
    setenv("OMP_NUM_THREADS", "1", 0);
    torch::set_num_threads(1);
    qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString&) {});
}

/// A scratch folder for this process, in memory (/dev/shm) where there is one; removed at exit.
inline QString scratchDir()
{
    static QTemporaryDir dir(QDir(QDir(QStringLiteral("/dev/shm")).exists() ? QStringLiteral("/dev/shm") : QDir::tempPath())
                                 .filePath(QStringLiteral("ranklab-fuzz-XXXXXX")));
    if (!dir.isValid()) {
        std::fprintf(stderr, "fuzz: cannot create a scratch folder\n");
        std::abort();
    }
    return dir.path();
}

/// Writes `size` bytes to `path` (an existing folder's file), replacing it.
inline void writeBytes(const QString& path, const uint8_t* data, size_t size)
{
    std::FILE* f = std::fopen(QFile::encodeName(path).constData(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
        std::fprintf(stderr, "fuzz: cannot write %s\n", qPrintable(path));
        std::abort();
    }
}

/// Writes the input to `name` in the scratch folder and returns its path.
inline QString writeInput(const QString& name, const uint8_t* data, size_t size)
{
    const QString path = QDir(scratchDir()).filePath(name);
    writeBytes(path, data, size);
    return path;
}

/// A reader's refusal must be one clear sentence: not empty, one line, ending with a period, never ending
/// with Qt's "(no error occurred)". Aborts (a finding) otherwise.
inline void expectSentence(const std::exception& e)
{
    const std::string what = e.what();
    // Qt's errorString() of a reader that failed without an error ends a sentence as "(no error occurred).";
    // the phrase elsewhere can be the input's own bytes quoted in the message.
    const std::string noError = "(no error occurred).";
    const bool endsNoError = what.size() >= noError.size() && what.compare(what.size() - noError.size(), noError.size(), noError) == 0;
    if (what.empty() || what.back() != '.' || endsNoError || what.find('\n') != std::string::npos) {
        std::fprintf(stderr, "fuzz: the error message is not one clear sentence: \"%s\"\n", what.c_str());
        std::abort();
    }
}

/// Splits the input at each line "%%" (the separator of multi-file inputs, e.g. a sweep folder's JSON
/// files): part i of at most `parts` goes to the i-th file of a target's fixed layout. Missing parts are
/// absent files.
inline std::vector<std::string> splitParts(const uint8_t* data, size_t size, size_t parts)
{
    const std::string input(reinterpret_cast<const char*>(data), size);
    const std::string separator = "\n%%\n";
    std::vector<std::string> out;
    size_t start = 0;
    while (out.size() + 1 < parts) {
        const size_t at = input.find(separator, start);
        if (at == std::string::npos)
            break;
        out.push_back(input.substr(start, at - start));
        start = at + separator.size();
    }
    out.push_back(input.substr(start));
    return out;
}

/// Writes `parts` to the files `layout` (relative to a fresh folder `name` in the scratch folder; a part
/// that is exactly "-" leaves its file out) and returns the folder.
inline QString writeTree(const QString& name, const std::vector<std::string>& parts, const std::vector<QString>& layout)
{
    QDir dir(QDir(scratchDir()).filePath(name));
    dir.removeRecursively();
    for (size_t i = 0; i < parts.size() && i < layout.size(); ++i) {
        if (parts[i] == "-")
            continue;
        const QString path = dir.filePath(layout[i]);
        QDir().mkpath(QFileInfo(path).absolutePath());
        writeBytes(path, reinterpret_cast<const uint8_t*>(parts[i].data()), parts[i].size());
    }
    QDir().mkpath(dir.path());
    return dir.path();
}

/// Reads every byte of the tensor's storage and checks that its view (offset, sizes, strides) lies inside
/// the storage; aborts (a finding) when it does not.
inline uint64_t touch(const torch::Tensor& t)
{
    if (!t.defined() || !t.has_storage())
        return 0;
    const c10::Storage& storage = t.storage();
    const auto* bytes = static_cast<const volatile unsigned char*>(storage.data());
    const size_t nbytes = storage.nbytes();
    uint64_t sum = 0;
    for (size_t i = 0; i < nbytes; ++i)
        sum += bytes[i];
    if (t.numel() > 0) {
        int64_t last = t.storage_offset();
        for (int64_t d = 0; d < t.dim(); ++d)
            last += (t.size(d) - 1) * t.stride(d);
        const uint64_t end = static_cast<uint64_t>(last + 1) * t.element_size();
        if (t.storage_offset() < 0 || end > nbytes) {
            std::fprintf(stderr, "fuzz: a tensor's view ends at byte %llu of a %zu-byte storage\n",
                         static_cast<unsigned long long>(end), nbytes);
            std::abort();
        }
    }
    return sum;
}

/// Reads `path` as weights (readStateDict: any format it detects) and touches every tensor; a refusal must
/// be one sentence.
inline void readStateDictChecked(const QString& path)
{
    try {
        for (const auto& [name, tensor] : ranklab::io::readStateDict(path))
            touch(tensor);
    } catch (const ranklab::Error& e) {
        expectSentence(e);
    }
}

/// Reads `path` as a RankLab checkpoint and touches every tensor; a refusal must be one sentence.
inline void readCheckpointChecked(const QString& path)
{
    try {
        const ranklab::io::Checkpoint c = ranklab::io::readCheckpoint(path);
        for (const auto& [name, tensor] : c.model)
            touch(tensor);
        for (const auto& [name, tensor] : c.optimizer)
            touch(tensor);
    } catch (const ranklab::Error& e) {
        expectSentence(e);
    }
}

} // namespace ranklab::fuzz

#include "core/data/idx_reader.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include <zlib.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include "core/error.h"

namespace ranklab::data {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
/// Refuse headers that promise more than this many payload bytes (a corrupt header, not a data set).
constexpr uint64_t kMaxPayloadBytes = uint64_t(1) << 36;

/// An open gzip (or raw: zlib reads those transparently) file, closed on scope exit.
class GzFile final {
public:
    explicit GzFile(const QString& path) : path_(path)
    {
        const QFileInfo info(path);
        if (!info.exists())
            throw Error(QStringLiteral("IDX file %1 does not exist.").arg(path));
        if (!info.isFile())
            throw Error(QStringLiteral("IDX file %1 is not a regular file.").arg(path));
        diskBytes_ = uint64_t(info.size());
        file_ = gzopen(QFile::encodeName(path).constData(), "rb");
        if (file_ == nullptr)
            throw Error(QStringLiteral("IDX file %1 cannot be opened.").arg(path));
        gzbuffer(file_, 1 << 18);
    }
    ~GzFile()
    {
        if (file_ != nullptr)
            gzclose(file_);
    }
    GzFile(const GzFile&) = delete;
    GzFile& operator=(const GzFile&) = delete;

    /// Reads up to `size` bytes; returns how many were read (less only at the end of the data).
    uint64_t read(void* dest, uint64_t size)
    {
        auto* out = static_cast<unsigned char*>(dest);
        uint64_t done = 0;
        while (done < size) {
            const uint64_t chunk = std::min<uint64_t>(size - done, uint64_t(1) << 30);
            const int got = gzread(file_, out + done, static_cast<unsigned>(chunk));
            if (got < 0) {
                int code = 0;
                const char* message = gzerror(file_, &code);
                throw Error(QStringLiteral("IDX file %1 cannot be read: %2.")
                                .arg(path_, QString::fromLocal8Bit(message)));
            }
            if (got == 0)
                break;
            done += static_cast<uint64_t>(got);
        }
        return done;
    }

    /// An upper bound of the bytes that can still follow after `consumed` were read: the rest of the file
    /// when it is raw, and deflate's largest expansion (1032:1) of the whole file when it is gzip.
    uint64_t mostBytesLeft(uint64_t consumed) const
    {
        if (gzdirect(file_))
            return diskBytes_ > consumed ? diskBytes_ - consumed : 0;
        return diskBytes_ * 1032 + 1024;
    }

    /// True if at least one more byte follows.
    bool hasMore()
    {
        unsigned char byte = 0;
        return read(&byte, 1) == 1;
    }

private:
    QString path_;
    gzFile file_ = nullptr;
    uint64_t diskBytes_ = 0;
};

uint32_t bigEndian32(const unsigned char* p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

QString hex32(uint32_t value)
{
    return QStringLiteral("0x%1").arg(value, 8, 16, QLatin1Char('0'));
}

/// Reads the magic number and `dims` dimension sizes; checks the magic number and that no size is zero.
std::vector<uint64_t> readHeader(GzFile& file, const QString& path, uint32_t magic, const char* kind)
{
    const int dims = static_cast<int>(magic & 0xff);
    std::array<unsigned char, 4> word{};
    if (file.read(word.data(), 4) != 4)
        throw Error(QStringLiteral("IDX file %1 is too short to hold an IDX header.").arg(path));
    const uint32_t found = bigEndian32(word.data());
    if (found != magic)
        throw Error(QStringLiteral("IDX file %1 has magic number %2, but an IDX %3 file starts with %4.")
                        .arg(path, hex32(found), QLatin1String(kind), hex32(magic)));
    std::vector<uint64_t> sizes;
    for (int d = 0; d < dims; ++d) {
        if (file.read(word.data(), 4) != 4)
            throw Error(QStringLiteral("IDX file %1 is too short to hold an IDX header.").arg(path));
        sizes.push_back(bigEndian32(word.data()));
        if (sizes.back() == 0)
            throw Error(QStringLiteral("IDX file %1 has a zero dimension in its header.").arg(path));
    }
    return sizes;
}

/// Reads exactly `bytes` payload bytes (after a header of `headerBytes`) and checks that nothing follows
/// them. A header promising more than the file can hold (GzFile::mostBytesLeft) is refused before any
/// allocation; otherwise memory grows with the bytes that actually arrive (1 MiB, doubling, chunks of at most
/// 64 MiB), never with what the header claims.
std::vector<uint8_t>* readPayload(GzFile& file, const QString& path, uint64_t headerBytes, uint64_t bytes,
                                  const QString& what)
{
    // A header that promises more than the file can hold is refused before anything is allocated.
    const uint64_t most = file.mostBytesLeft(headerBytes);
    if (bytes > most)
        throw Error(QStringLiteral("IDX file %1 is truncated: its header promises %2 (%3 bytes), but the file can "
                                   "hold at most %4.")
                        .arg(path, what)
                        .arg(bytes)
                        .arg(most));
    // Chunks grow with what has arrived (1 MiB, then doubling, at most 64 MiB).
    constexpr uint64_t kFirstChunk = uint64_t(1) << 20, kMaxChunk = uint64_t(64) << 20;
    auto buffer = std::make_unique<std::vector<uint8_t>>();
    uint64_t got = 0;
    while (got < bytes) {
        const uint64_t want = std::min(std::min(kMaxChunk, std::max(kFirstChunk, got)), bytes - got);
        buffer->resize(std::size_t(got + want));
        const uint64_t n = file.read(buffer->data() + got, want);
        got += n;
        if (n < want)
            break;
    }
    if (got != bytes)
        throw Error(QStringLiteral("IDX file %1 is truncated: its header promises %2 (%3 bytes), but only %4 "
                                   "bytes follow.")
                        .arg(path, what)
                        .arg(bytes)
                        .arg(got));
    if (file.hasMore())
        throw Error(QStringLiteral("IDX file %1 has extra bytes after the %2 its header promises.")
                        .arg(path, what));
    return buffer.release();
}

/// A uint8 tensor of `sizes` that owns `buffer` (no copy).
torch::Tensor tensorOwning(std::vector<uint8_t>* buffer, at::IntArrayRef sizes)
{
    return torch::from_blob(buffer->data(), sizes, [buffer](void*) { delete buffer; }, torch::kUInt8);
}

} // namespace

torch::Tensor readIdxImages(const QString& path)
{
    GzFile file(path);
    const std::vector<uint64_t> dims = readHeader(file, path, kImagesMagic, "image");
    const uint64_t n = dims[0], h = dims[1], w = dims[2];
    if (h > kMaxPayloadBytes / w || n > kMaxPayloadBytes / (h * w))
        throw Error(QStringLiteral("IDX file %1 has an implausible header (%2 images of %3×%4).")
                        .arg(path)
                        .arg(n)
                        .arg(h)
                        .arg(w));
    std::vector<uint8_t>* payload =
        readPayload(file, path, 16, n * h * w, QStringLiteral("%1 images of %2×%3").arg(n).arg(h).arg(w));
    return tensorOwning(payload, {int64_t(n), 1, int64_t(h), int64_t(w)});
}

torch::Tensor readIdxLabels(const QString& path)
{
    GzFile file(path);
    const std::vector<uint64_t> dims = readHeader(file, path, kLabelsMagic, "label");
    const uint64_t n = dims[0];
    if (n > kMaxPayloadBytes)
        throw Error(QStringLiteral("IDX file %1 has an implausible header (%2 labels).").arg(path).arg(n));
    std::vector<uint8_t>* payload = readPayload(file, path, 8, n, QStringLiteral("%1 labels").arg(n));
    return tensorOwning(payload, {int64_t(n)}).to(torch::kLong);
}

IdxSplit readIdxSplit(const QString& imagesPath, const QString& labelsPath)
{
    IdxSplit split{readIdxImages(imagesPath), readIdxLabels(labelsPath)};
    if (split.images.size(0) != split.labels.size(0))
        throw Error(QStringLiteral("IDX files %1 and %2 disagree: %3 images but %4 labels.")
                        .arg(imagesPath, labelsPath)
                        .arg(split.images.size(0))
                        .arg(split.labels.size(0)));
    return split;
}

QString findIdxFile(const QString& dir, const QString& baseName)
{
    const QDir folder(dir);
    // Some mirrors spell "train-images-idx3-ubyte" as "train-images.idx3-ubyte".
    QString dotted = baseName;
    dotted.replace(QStringLiteral("-idx"), QStringLiteral(".idx"));
    for (const QString& name : {baseName, dotted}) {
        for (const QString& file : {name + QStringLiteral(".gz"), name}) {
            const QString path = folder.filePath(file);
            if (QFileInfo::exists(path))
                return path;
        }
    }
    return folder.filePath(baseName + QStringLiteral(".gz"));
}

} // namespace ranklab::data

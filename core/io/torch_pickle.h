#pragma once

// Internal header (uses torch types): a reader for PyTorch's zip archives and the subset of Python's pickle
// format that torch.save and torch::pickle_save write. LibTorch's own torch::pickle_load rejects the
// collections.OrderedDict that model.state_dict() returns, hence this reader.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include <QString>

namespace caffe2::serialize {
class PyTorchStreamReader;
}

namespace ranklab::io::pickle {

struct Object;
/// A Python object produced by the unpickler; shared because pickle's memo lets one object appear in
/// several places (and be filled after it was referenced).
using Value = std::shared_ptr<Object>;

/// The Python types the unpickler can produce.
/// Opaque: an instance of a Python class the reader does not know (a whole pickled model, an
/// argparse.Namespace next to the weights, ...); it keeps the class name for messages and never runs code.
enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Storage, Tensor, Opaque };

/// One unpickled Python object. Only the fields that belong to `kind` are meaningful.
struct Object {
    Kind kind = Kind::None;
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0.0;
    std::string text;                                 ///< String, Bytes; Global and Opaque: "module.name"
    std::vector<Value> items;                         ///< Tuple, List; Opaque: its BUILD state, if any (a pickled
                                                      ///< nn.Module's __dict__: "_modules", "out_features", …)
    std::vector<std::pair<Value, Value>> entries;     ///< Dict, in insertion order (keys unique)
    std::unordered_map<std::string, std::size_t> index; ///< Dict: hashable key → position in entries
    torch::Tensor tensor;                             ///< Tensor; Storage: 1-D tensor over the whole record

    /// Dict only: the value stored under the string key `key`, or nullptr.
    Value find(const std::string& key) const;
};

/// A LibTorch (c10::Error) or other exception as a short clause for a message: first line, without
/// backtrace, source location or "[enforce fail at ...]" prefix, non-printable characters replaced.
QString torchErrorText(const std::exception& error);

/// The Python type name of a value for messages ("dict", "int", "torch.Tensor", ...).
QString typeName(const Value& value);

/// Resolves the argument of a BINPERSID opcode (torch: the tuple ('storage', type, key, location,
/// numel)) to a Storage value; throws ranklab::Error if it cannot.
using PersistentLoader = std::function<Value(const Value& persistentId)>;

/// The result of unpickling: the root object plus every object created on the way. Its destructor cuts
/// all links between containers before releasing them, so deeply nested or cyclic input can neither
/// overflow the stack nor leak. Copy out what you need (tensors, strings) before it goes.
class Unpickled final {
public:
    Unpickled() = default;
    Unpickled(Unpickled&& other) noexcept = default;
    Unpickled& operator=(Unpickled&&) = delete;
    Unpickled(const Unpickled&) = delete;
    Unpickled& operator=(const Unpickled&) = delete;
    ~Unpickled();

    /// Creates an object of `kind` owned by this arena.
    Value make(Kind kind);

    Value root;

private:
    std::vector<Value> objects_;
};

/// Unpickles `size` bytes (protocols 2 to 5; the opcodes torch.save, torch::pickle_save and Python's
/// pickle use for dicts, lists, tuples, numbers, strings, bytes and tensors). Calls are interpreted, never
/// executed: collections.OrderedDict, torch._utils._rebuild_tensor[_v2], _rebuild_parameter[_with_state]
/// and torch._tensor._rebuild_from_type_v2 build dicts and tensors (torch.jit._pickle's type tags and
/// typed lists are unwrapped); any other class becomes an Opaque
/// object carrying its name, so the caller can report it ("a pickled torchvision.models.resnet.ResNet")
/// when it is where weights were expected. Every read is bounds-checked and the stack, memo and object
/// count are capped: damaged input throws ranklab::Error naming `fileName`, it never crashes.
Unpickled unpickle(const char* data, std::size_t size, const PersistentLoader& loader, const QString& fileName);

/// The entries of a pickled dict name → tensor, in order. Throws ranklab::Error naming `fileName` if
/// `dict` is not a dict, a key is not a string or a value is not a tensor (saying what it is instead).
std::vector<std::pair<std::string, torch::Tensor>> tensorEntries(const Value& dict, const QString& fileName);

/// A PyTorch zip archive as written by torch.save (PyTorch ≥ 1.6), torch::pickle_save and torch.jit.save:
/// records `<archive>/data.pkl`, `<archive>/data/<key>`, `<archive>/version`, and for TorchScript also
/// `code/...` and `constants.pkl`. Record names here omit the `<archive>/` folder.
class TorchZip final {
public:
    /// Opens `path`. Throws ranklab::Error with one sentence if the file is missing, empty, a folder, in
    /// the legacy (pre-1.6, non-zip) torch.save format, or not a readable PyTorch zip archive.
    explicit TorchZip(const QString& path);
    ~TorchZip();
    TorchZip(const TorchZip&) = delete;
    TorchZip& operator=(const TorchZip&) = delete;

    /// The record names, without the archive folder.
    const std::vector<std::string>& records() const { return records_; }
    bool hasRecord(const std::string& name) const;
    /// True for torch.jit.save archives (a `code/` folder or `constants.pkl`).
    bool isTorchScript() const;
    /// The bytes of one record; throws ranklab::Error if it is missing, unreadable or fails its CRC-32.
    std::string readRecord(const std::string& name);
    /// Reads every record and checks its CRC-32 against the zip directory (LibTorch's reader does not);
    /// throws ranklab::Error naming the first damaged record. Done before handing a file to torch::jit::load.
    void verifyChecksums();
    /// Unpickles `data.pkl`, mapping each persistent id ('storage', torch.XStorage, key, location, numel)
    /// to the little-endian record `data/<key>` (read once per key and CRC-checked, tensors share it without
    /// copying; the location, e.g. "cuda:0", is ignored: tensors come back on the CPU).
    Unpickled unpickleData();
    /// For torch.jit.save archives: unpickles `data.pkl` and `constants.pkl` with the checks of
    /// unpickleData() (each storage fits its record `data/<key>` or `constants/<key>`, each tensor view fits
    /// its storage) and throws ranklab::Error naming the first that does not. Done before torch::jit::load,
    /// which trusts the pickle's sizes and would read past a short record.
    void verifyTorchScriptTensors();

    const QString& path() const { return path_; }
    /// The file name shown in messages (no folder).
    const QString& displayName() const { return displayName_; }

private:
    /// getRecord with errors turned into ranklab::Error and the CRC-32 checked.
    std::pair<at::DataPtr, std::size_t> fetch(const std::string& name);
    /// Unpickles `pickleRecord` with storages resolved to the records `<tensorFolder><key>`.
    Unpickled unpickleArchive(const std::string& pickleRecord, const std::string& tensorFolder);

    QString path_;
    QString displayName_;
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
    std::vector<std::string> records_;
    std::unordered_map<std::string, std::uint32_t> checksums_; ///< record name → CRC-32 from the zip directory
};

} // namespace ranklab::io::pickle

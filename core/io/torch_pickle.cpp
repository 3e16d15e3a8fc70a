#include "core/io/torch_pickle.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStringList>

#include <zlib.h>

#include "core/error.h"
#include "core/printable_text.h"

namespace ranklab::io::pickle {

namespace {

// Caps that no real state dict comes near; they bound memory and time on hostile or damaged input.
constexpr std::size_t kMaxStack = 1u << 20;
constexpr std::size_t kMaxMarks = 1u << 16;
constexpr std::size_t kMaxMemo = 1u << 22;
constexpr std::size_t kMaxObjects = 1u << 22;
constexpr std::size_t kMaxGlobalName = 256;
constexpr std::size_t kMaxDims = 64;

[[noreturn]] void damaged(const QString& fileName, const QString& detail)
{
    throw Error(QStringLiteral("%1 is damaged or not a weights file (%2).").arg(fileName, detail));
}

/// Maps "torch.FloatStorage" and friends to their element type.
bool storageDtype(const std::string& name, c10::ScalarType* type)
{
    static const std::pair<const char*, c10::ScalarType> table[] = {
        {"torch.FloatStorage", c10::kFloat},          {"torch.DoubleStorage", c10::kDouble},
        {"torch.HalfStorage", c10::kHalf},            {"torch.BFloat16Storage", c10::kBFloat16},
        {"torch.LongStorage", c10::kLong},            {"torch.IntStorage", c10::kInt},
        {"torch.ShortStorage", c10::kShort},          {"torch.CharStorage", c10::kChar},
        {"torch.ByteStorage", c10::kByte},            {"torch.BoolStorage", c10::kBool},
        {"torch.ComplexFloatStorage", c10::kComplexFloat},
        {"torch.ComplexDoubleStorage", c10::kComplexDouble},
    };
    for (const auto& [storageName, dtype] : table) {
        if (name == storageName) {
            *type = dtype;
            return true;
        }
    }
    return false;
}

/// The key under which a Dict indexes `key`, or an empty string for keys it does not index.
std::string indexKey(const Value& key)
{
    switch (key->kind) {
    case Kind::String: return "s" + key->text;
    case Kind::Int: return "i" + std::to_string(key->integer);
    case Kind::Bool: return "i" + std::to_string(key->boolean ? 1 : 0);
    case Kind::None: return "n";
    default: return {};
    }
}

void setItem(Object& dict, const Value& key, const Value& value)
{
    const std::string k = indexKey(key);
    if (!k.empty()) {
        const auto it = dict.index.find(k);
        if (it != dict.index.end()) {
            dict.entries[it->second].second = value;
            return;
        }
        dict.index.emplace(k, dict.entries.size());
    }
    dict.entries.emplace_back(key, value);
}

/// A pickle virtual machine restricted to data: it interprets the few torch/collections calls it knows
/// and turns every other class into an Opaque object.
class Unpickler final {
public:
    Unpickler(const char* data, std::size_t size, const PersistentLoader& loader, const QString& fileName)
        : data_(reinterpret_cast<const unsigned char*>(data)), size_(size), loader_(loader), fileName_(fileName)
    {
    }

    Unpickled run()
    {
        while (true) {
            const std::size_t opPos = pos_;
            const unsigned char op = readByte();
            if (op == '.') { // STOP
                if (stack_.size() != 1 || !marks_.empty())
                    fail(QStringLiteral("pickle stops with %1 values on its stack").arg(stack_.size()));
                doc_.root = stack_.back();
                stack_.clear();
                memo_.clear();
                return std::move(doc_);
            }
            step(op, opPos);
        }
    }

private:
    [[noreturn]] void fail(const QString& detail) const { damaged(fileName_, detail); }

    // --- raw reads, all bounds-checked ---------------------------------------------------------------
    void need(std::size_t n) const
    {
        if (n > size_ - pos_)
            fail(QStringLiteral("pickle data ends unexpectedly at byte %1").arg(size_));
    }
    unsigned char readByte()
    {
        need(1);
        return data_[pos_++];
    }
    std::uint64_t readLittle(std::size_t n)
    {
        need(n);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i)
            v |= std::uint64_t(data_[pos_ + i]) << (8 * i);
        pos_ += n;
        return v;
    }
    std::string readBytes(std::uint64_t n)
    {
        if (n > size_ - pos_)
            fail(QStringLiteral("a string of %1 bytes runs past the end of the pickle data").arg(n));
        std::string s(reinterpret_cast<const char*>(data_ + pos_), std::size_t(n));
        pos_ += std::size_t(n);
        return s;
    }
    std::string readLine()
    {
        const std::size_t limit = std::min(size_ - pos_, kMaxGlobalName);
        const void* nl = std::memchr(data_ + pos_, '\n', limit);
        if (!nl)
            fail(QStringLiteral("a class name at byte %1 is not terminated").arg(pos_));
        const std::size_t n = std::size_t(static_cast<const unsigned char*>(nl) - (data_ + pos_));
        std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
        pos_ += n + 1;
        return s;
    }

    // --- stack ----------------------------------------------------------------------------------------
    Value make(Kind kind)
    {
        if (++objects_ > kMaxObjects)
            fail(QStringLiteral("more than %1 objects in the pickle data").arg(kMaxObjects));
        return doc_.make(kind);
    }
    std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
    void push(Value v)
    {
        if (stack_.size() >= kMaxStack)
            fail(QStringLiteral("the pickle stack exceeds %1 values").arg(kMaxStack));
        stack_.push_back(std::move(v));
    }
    Value pop()
    {
        if (stack_.size() <= floor())
            fail(QStringLiteral("pickle stack underflow at byte %1").arg(pos_));
        Value v = std::move(stack_.back());
        stack_.pop_back();
        return v;
    }
    Value& top()
    {
        if (stack_.size() <= floor())
            fail(QStringLiteral("pickle stack underflow at byte %1").arg(pos_));
        return stack_.back();
    }
    /// Pops everything above the topmost MARK and the mark itself.
    std::vector<Value> popToMark()
    {
        if (marks_.empty())
            fail(QStringLiteral("pickle opcode without MARK at byte %1").arg(pos_));
        const std::size_t mark = marks_.back();
        marks_.pop_back();
        std::vector<Value> items(std::make_move_iterator(stack_.begin() + std::ptrdiff_t(mark)),
                                 std::make_move_iterator(stack_.end()));
        stack_.resize(mark);
        return items;
    }
    void memoPut(std::uint64_t key)
    {
        const Value v = top();
        if (memo_.size() >= kMaxMemo && memo_.find(key) == memo_.end())
            fail(QStringLiteral("the pickle memo exceeds %1 entries").arg(kMaxMemo));
        memo_[key] = v;
    }
    void memoGet(std::uint64_t key)
    {
        const auto it = memo_.find(key);
        if (it == memo_.end())
            fail(QStringLiteral("pickle memo key %1 is undefined").arg(key));
        push(it->second);
    }

    Value makeInt(std::int64_t v)
    {
        Value o = make(Kind::Int);
        o->integer = v;
        return o;
    }
    Value makeBool(bool v)
    {
        Value o = make(Kind::Bool);
        o->boolean = v;
        return o;
    }
    Value makeText(Kind kind, std::string text)
    {
        Value o = make(kind);
        o->text = std::move(text);
        return o;
    }
    Value makeTuple(std::vector<Value> items)
    {
        Value o = make(Kind::Tuple);
        o->items = std::move(items);
        return o;
    }
    /// LONG1/LONG4: little-endian two's complement of n bytes; RankLab needs at most 64 bits.
    Value readLong(std::uint64_t n)
    {
        if (n > 8)
            fail(QStringLiteral("an integer of %1 bytes is too large").arg(n));
        if (n == 0)
            return makeInt(0);
        std::uint64_t v = readLittle(std::size_t(n));
        if (n < 8 && (v >> (8 * n - 1)) & 1u)
            v |= ~std::uint64_t(0) << (8 * n);
        return makeInt(static_cast<std::int64_t>(v));
    }

    // --- interpreting calls ----------------------------------------------------------------------------
    std::int64_t intArg(const Value& v, const char* what) const
    {
        if (v->kind == Kind::Int)
            return v->integer;
        if (v->kind == Kind::Bool)
            return v->boolean ? 1 : 0;
        fail(QStringLiteral("%1 of a tensor is a %2, not an integer").arg(QLatin1String(what), typeName(v)));
    }
    std::vector<std::int64_t> intTuple(const Value& v, const char* what) const
    {
        if (v->kind != Kind::Tuple && v->kind != Kind::List)
            fail(QStringLiteral("%1 of a tensor is a %2, not a tuple").arg(QLatin1String(what), typeName(v)));
        if (v->items.size() > kMaxDims)
            fail(QStringLiteral("a tensor has %1 dimensions").arg(v->items.size()));
        std::vector<std::int64_t> out;
        for (const Value& item : v->items) {
            const std::int64_t x = intArg(item, what);
            if (x < 0)
                fail(QStringLiteral("a tensor has a negative %1").arg(QLatin1String(what)));
            out.push_back(x);
        }
        return out;
    }

    /// torch._utils._rebuild_tensor[_v2](storage, storage_offset, size, stride, ...).
    Value rebuildTensor(const std::vector<Value>& args)
    {
        if (args.size() < 4)
            fail(QStringLiteral("a tensor is rebuilt from %1 arguments instead of at least 4").arg(args.size()));
        if (args[0]->kind != Kind::Storage)
            fail(QStringLiteral("a tensor is rebuilt from a %1 instead of a storage").arg(typeName(args[0])));
        const torch::Tensor& storage = args[0]->tensor;
        const std::int64_t offset = intArg(args[1], "storage offset");
        const std::vector<std::int64_t> sizes = intTuple(args[2], "size");
        const std::vector<std::int64_t> strides = intTuple(args[3], "stride");
        if (offset < 0 || sizes.size() != strides.size())
            fail(QStringLiteral("a tensor has an invalid offset or stride"));
        // The view must lie inside the storage: offset + Σ (size_i − 1)·stride_i < numel.
        const std::int64_t limit = storage.numel();
        std::int64_t last = offset;
        std::int64_t numel = 1;
        bool empty = false;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            if (__builtin_mul_overflow(numel, sizes[i], &numel) || numel > (std::int64_t(1) << 48))
                fail(QStringLiteral("a tensor's shape is implausibly large"));
            if (sizes[i] == 0) {
                empty = true;
                continue;
            }
            std::int64_t span = 0;
            if (__builtin_mul_overflow(sizes[i] - 1, strides[i], &span) || __builtin_add_overflow(last, span, &last))
                fail(QStringLiteral("a tensor's shape overflows"));
        }
        if (empty ? offset > limit : last >= limit)
            fail(QStringLiteral("a tensor reaches past the end of its storage"));
        Value out = make(Kind::Tensor);
        out->tensor = storage.as_strided(sizes, strides, offset);
        return out;
    }

    Value call(const Value& callable, const Value& argsValue)
    {
        if (callable->kind != Kind::Global)
            return makeText(Kind::Opaque, callable->kind == Kind::Opaque ? callable->text : std::string("call"));
        if (argsValue->kind != Kind::Tuple)
            fail(QStringLiteral("the arguments of %1 are not a tuple").arg(printableText(callable->text)));
        const std::string& name = callable->text;
        const std::vector<Value>& args = argsValue->items;
        if (name == "collections.OrderedDict" || name == "builtins.dict") {
            if (!args.empty())
                return makeText(Kind::Opaque, name);
            return make(Kind::Dict);
        }
        if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
            return rebuildTensor(args);
        if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
            if (args.empty() || args[0]->kind != Kind::Tensor)
                fail(QStringLiteral("a parameter is rebuilt from something other than a tensor"));
            return args[0];
        }
        if (name == "torch.jit._pickle.restore_type_tag" || name == "torch.jit._pickle.build_intlist"
            || name == "torch.jit._pickle.build_tensorlist" || name == "torch.jit._pickle.build_doublelist"
            || name == "torch.jit._pickle.build_boollist") {
            // torch::pickle_save's type annotations (obj, "Dict[str, Tensor]") and specialised lists (list,).
            if (args.empty())
                fail(QStringLiteral("%1 without arguments").arg(printableText(name)));
            return args[0];
        }
        if (name == "torch._tensor._rebuild_from_type_v2") {
            // (func, type, args, state): the tensor subclass is dropped, the tensor kept.
            if (args.size() < 3)
                fail(QStringLiteral("a tensor subclass is rebuilt from too few arguments"));
            return call(args[0], args[2]);
        }
        if (name == "_codecs.encode" && args.size() == 2 && args[0]->kind == Kind::String) {
            // Protocol 2's way of pickling bytes: encode(latin-1 text) — decode UTF-8 back to bytes.
            const QString text = QString::fromUtf8(args[0]->text.data(), qsizetype(args[0]->text.size()));
            return makeText(Kind::Bytes, text.toLatin1().toStdString());
        }
        return makeText(Kind::Opaque, name);
    }

    // --- one opcode -----------------------------------------------------------------------------------
    void step(unsigned char op, std::size_t opPos)
    {
        switch (op) {
        case 0x80: { // PROTO
            const unsigned char proto = readByte();
            if (proto < 2 || proto > 5)
                fail(QStringLiteral("pickle protocol %1 is not supported").arg(proto));
            break;
        }
        case 0x95: // FRAME: a length hint only
            readLittle(8);
            break;
        case '(': // MARK
            if (marks_.size() >= kMaxMarks)
                fail(QStringLiteral("too many nested MARKs in the pickle data"));
            marks_.push_back(stack_.size());
            break;
        case '0': // POP
            pop();
            break;
        case '1': // POP_MARK
            popToMark();
            break;
        case '2': // DUP
            push(top());
            break;
        case 'N': push(make(Kind::None)); break;
        case 0x88: push(makeBool(true)); break;  // NEWTRUE
        case 0x89: push(makeBool(false)); break; // NEWFALSE
        case 'J': push(makeInt(static_cast<std::int32_t>(readLittle(4)))); break; // BININT
        case 'K': push(makeInt(std::int64_t(readLittle(1)))); break;               // BININT1
        case 'M': push(makeInt(std::int64_t(readLittle(2)))); break;               // BININT2
        case 0x8a: push(readLong(readLittle(1))); break;                           // LONG1
        case 0x8b: push(readLong(readLittle(4))); break;                           // LONG4
        case 'G': { // BINFLOAT: big-endian IEEE double
            need(8);
            std::uint64_t bits = 0;
            for (int i = 0; i < 8; ++i)
                bits = (bits << 8) | data_[pos_ + std::size_t(i)];
            pos_ += 8;
            Value o = make(Kind::Float);
            std::memcpy(&o->real, &bits, sizeof bits);
            push(o);
            break;
        }
        case 'X': push(makeText(Kind::String, readBytes(readLittle(4)))); break;   // BINUNICODE
        case 0x8c: push(makeText(Kind::String, readBytes(readLittle(1)))); break;  // SHORT_BINUNICODE
        case 0x8d: push(makeText(Kind::String, readBytes(readLittle(8)))); break;  // BINUNICODE8
        case 'T': push(makeText(Kind::String, readBytes(readLittle(4)))); break;   // BINSTRING (Python 2)
        case 'U': push(makeText(Kind::String, readBytes(readLittle(1)))); break;   // SHORT_BINSTRING
        case 'B': push(makeText(Kind::Bytes, readBytes(readLittle(4)))); break;    // BINBYTES
        case 'C': push(makeText(Kind::Bytes, readBytes(readLittle(1)))); break;    // SHORT_BINBYTES
        case 0x8e: push(makeText(Kind::Bytes, readBytes(readLittle(8)))); break;   // BINBYTES8
        case 0x96: push(makeText(Kind::Bytes, readBytes(readLittle(8)))); break;   // BYTEARRAY8
        case ')': push(makeTuple({})); break;                                      // EMPTY_TUPLE
        case 't': push(makeTuple(popToMark())); break;                             // TUPLE
        case 0x85: { // TUPLE1
            Value a = pop();
            push(makeTuple({a}));
            break;
        }
        case 0x86: { // TUPLE2
            Value b = pop();
            Value a = pop();
            push(makeTuple({a, b}));
            break;
        }
        case 0x87: { // TUPLE3
            Value c = pop();
            Value b = pop();
            Value a = pop();
            push(makeTuple({a, b, c}));
            break;
        }
        case ']': push(make(Kind::List)); break; // EMPTY_LIST
        case 'l': {                              // LIST
            Value list = make(Kind::List);
            list->items = popToMark();
            push(list);
            break;
        }
        case '}': push(make(Kind::Dict)); break; // EMPTY_DICT
        case 'd': {                              // DICT
            std::vector<Value> items = popToMark();
            if (items.size() % 2)
                fail(QStringLiteral("a dict has an odd number of items"));
            Value dict = make(Kind::Dict);
            for (std::size_t i = 0; i < items.size(); i += 2)
                setItem(*dict, items[i], items[i + 1]);
            push(dict);
            break;
        }
        case 0x8f: push(makeText(Kind::Opaque, "builtins.set")); break; // EMPTY_SET
        case 0x90: popToMark(); top(); break;                              // ADDITEMS (contents dropped)
        case 0x91:                                                         // FROZENSET
            popToMark();
            push(makeText(Kind::Opaque, "builtins.frozenset"));
            break;
        case 'q': memoPut(readLittle(1)); break;  // BINPUT
        case 'r': memoPut(readLittle(4)); break;  // LONG_BINPUT
        case 0x94: memoPut(memo_.size()); break;  // MEMOIZE
        case 'h': memoGet(readLittle(1)); break;  // BINGET
        case 'j': memoGet(readLittle(4)); break;  // LONG_BINGET
        case 'c': {                               // GLOBAL
            std::string module = readLine();
            std::string name = readLine();
            push(makeText(Kind::Global, module + "." + name));
            break;
        }
        case 0x93: { // STACK_GLOBAL
            Value name = pop();
            Value module = pop();
            if (name->kind != Kind::String || module->kind != Kind::String)
                fail(QStringLiteral("STACK_GLOBAL without a module and class name"));
            push(makeText(Kind::Global, module->text + "." + name->text));
            break;
        }
        case 'Q': { // BINPERSID
            Value pid = pop();
            Value storage = loader_(pid);
            if (!storage)
                fail(QStringLiteral("an unresolvable persistent id"));
            push(storage);
            break;
        }
        case 'R': { // REDUCE
            Value args = pop();
            Value callable = pop();
            push(call(callable, args));
            break;
        }
        case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
            Value args = pop();
            Value cls = pop();
            if (cls->kind == Kind::Global && (cls->text == "collections.OrderedDict" || cls->text == "builtins.dict"))
                push(make(Kind::Dict));
            else
                push(makeText(Kind::Opaque, cls->kind == Kind::Global ? cls->text : std::string("object")));
            break;
        }
        case 0x92: { // NEWOBJ_EX
            pop();
            pop();
            Value cls = pop();
            push(makeText(Kind::Opaque, cls->kind == Kind::Global ? cls->text : std::string("object")));
            break;
        }
        case 'b': { // BUILD: obj.__setstate__(state); an opaque object keeps its state for messages, others drop it
            Value state = pop();
            const Value& obj = top();
            if (obj->kind != Kind::Dict && obj->kind != Kind::Tensor && obj->kind != Kind::Opaque
                && obj->kind != Kind::List)
                fail(QStringLiteral("BUILD on a %1 at byte %2").arg(typeName(obj)).arg(opPos));
            if (obj->kind == Kind::Opaque)
                obj->items.assign(1, std::move(state));
            break;
        }
        case 's': { // SETITEM
            Value value = pop();
            Value key = pop();
            const Value& dict = top();
            if (dict->kind == Kind::Dict)
                setItem(*dict, key, value);
            else if (dict->kind != Kind::Opaque)
                fail(QStringLiteral("SETITEM on a %1 at byte %2").arg(typeName(dict)).arg(opPos));
            break;
        }
        case 'u': { // SETITEMS
            std::vector<Value> items = popToMark();
            if (items.size() % 2)
                fail(QStringLiteral("SETITEMS with an odd number of items at byte %1").arg(opPos));
            const Value& dict = top();
            if (dict->kind == Kind::Dict) {
                for (std::size_t i = 0; i < items.size(); i += 2)
                    setItem(*dict, items[i], items[i + 1]);
            } else if (dict->kind != Kind::Opaque) {
                fail(QStringLiteral("SETITEMS on a %1 at byte %2").arg(typeName(dict)).arg(opPos));
            }
            break;
        }
        case 'a': { // APPEND
            Value value = pop();
            const Value& list = top();
            if (list->kind == Kind::List)
                list->items.push_back(value);
            else if (list->kind != Kind::Opaque)
                fail(QStringLiteral("APPEND on a %1 at byte %2").arg(typeName(list)).arg(opPos));
            break;
        }
        case 'e': { // APPENDS
            std::vector<Value> items = popToMark();
            const Value& list = top();
            if (list->kind == Kind::List)
                list->items.insert(list->items.end(), items.begin(), items.end());
            else if (list->kind != Kind::Opaque)
                fail(QStringLiteral("APPENDS on a %1 at byte %2").arg(typeName(list)).arg(opPos));
            break;
        }
        default:
            fail(QStringLiteral("unsupported pickle opcode 0x%1 at byte %2")
                     .arg(unsigned(op), 2, 16, QLatin1Char('0'))
                     .arg(opPos));
        }
    }

    const unsigned char* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    const PersistentLoader& loader_;
    QString fileName_;
    std::vector<Value> stack_;
    std::vector<std::size_t> marks_;
    std::unordered_map<std::uint64_t, Value> memo_;
    std::size_t objects_ = 0;
    Unpickled doc_; // last: destroyed first, cutting the links before stack_ and memo_ let go
};

/// Reads a file through QFile for PyTorchStreamReader; reads past the end come back short, never
/// out of bounds.
class QFileReadAdapter final : public caffe2::serialize::ReadAdapterInterface {
public:
    explicit QFileReadAdapter(const QString& path) : file_(path) {}
    bool open()
    {
        if (!file_.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
            return false;
        size_ = std::size_t(std::max<qint64>(0, file_.size()));
        return true;
    }
    QString errorString() const { return file_.errorString(); }
    std::size_t size() const override { return size_; }
    std::size_t read(std::uint64_t pos, void* buf, std::size_t n, const char* /*what*/) const override
    {
        if (pos >= size_)
            return 0;
        n = std::min<std::size_t>(n, size_ - std::size_t(pos));
        if (!file_.seek(qint64(pos)))
            return 0;
        const qint64 got = file_.read(static_cast<char*>(buf), qint64(n));
        return got < 0 ? 0 : std::size_t(got);
    }

private:
    mutable QFile file_;
    std::size_t size_ = 0;
};

std::uint64_t little(const unsigned char* p, int n)
{
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
        v |= std::uint64_t(p[i]) << (8 * i);
    return v;
}

/// Reads the zip central directory (zip64 included) of `file`: record name without the archive folder →
/// CRC-32 of its uncompressed bytes. LibTorch's reader skips these checks; RankLab does them so that damaged
/// bytes are reported instead of loaded (or fed to TorchScript's parser). Returns false if unreadable.
/// A record whose declared size the file cannot hold (stored: more than the file; deflated: more than
/// deflate's 1032:1 expansion of it) is named in `oversized`: LibTorch would allocate that size first.
bool readZipChecksums(const QFileReadAdapter& file, std::unordered_map<std::string, std::uint32_t>& out,
                      std::string* oversized)
{
    const std::uint64_t size = file.size();
    if (size < 22)
        return false;
    const std::uint64_t tailSize = std::min<std::uint64_t>(size, 65535 + 22);
    std::vector<unsigned char> tail(tailSize);
    if (file.read(size - tailSize, tail.data(), tailSize, "") != tailSize)
        return false;
    std::int64_t eocd = -1;
    for (std::int64_t i = std::int64_t(tailSize) - 22; i >= 0; --i) {
        if (std::memcmp(tail.data() + i, "PK\x05\x06", 4) == 0) {
            eocd = i;
            break;
        }
    }
    if (eocd < 0)
        return false;
    std::uint64_t entries = little(&tail[std::size_t(eocd) + 10], 2);
    std::uint64_t cdSize = little(&tail[std::size_t(eocd) + 12], 4);
    std::uint64_t cdOffset = little(&tail[std::size_t(eocd) + 16], 4);
    if (entries == 0xffff || cdSize == 0xffffffffu || cdOffset == 0xffffffffu) {
        // zip64: the locator (20 bytes) precedes the end record and points at the zip64 end record.
        if (eocd < 20 || std::memcmp(tail.data() + eocd - 20, "PK\x06\x07", 4) != 0)
            return false;
        const std::uint64_t zip64At = little(&tail[std::size_t(eocd) - 20 + 8], 8);
        unsigned char rec[56];
        if (zip64At > size || size - zip64At < sizeof rec || file.read(zip64At, rec, sizeof rec, "") != sizeof rec
            || std::memcmp(rec, "PK\x06\x06", 4) != 0)
            return false;
        entries = little(rec + 32, 8);
        cdSize = little(rec + 40, 8);
        cdOffset = little(rec + 48, 8);
    }
    if (cdOffset > size || cdSize > size - cdOffset || cdSize > (std::uint64_t(1) << 30) || entries > cdSize / 46)
        return false;
    std::vector<unsigned char> cd(cdSize);
    if (file.read(cdOffset, cd.data(), cdSize, "") != cdSize)
        return false;
    std::size_t at = 0;
    for (std::uint64_t i = 0; i < entries; ++i) {
        if (cd.size() - at < 46 || std::memcmp(cd.data() + at, "PK\x01\x02", 4) != 0)
            return false;
        const auto crc = std::uint32_t(little(&cd[at + 16], 4));
        const std::size_t nameLength = little(&cd[at + 28], 2);
        const std::size_t extraLength = little(&cd[at + 30], 2);
        const std::size_t commentLength = little(&cd[at + 32], 2);
        if (cd.size() - at - 46 < nameLength + extraLength + commentLength)
            return false;
        const std::string name(reinterpret_cast<const char*>(&cd[at + 46]), nameLength);
        const std::size_t slash = name.find('/');
        out[slash == std::string::npos ? name : name.substr(slash + 1)] = crc;
        const std::uint64_t method = little(&cd[at + 10], 2);
        std::uint64_t declared = little(&cd[at + 24], 4);
        if (declared == 0xffffffffu) {
            // zip64: the uncompressed size is the first field of the extra block 0x0001.
            std::size_t e = at + 46 + nameLength;
            const std::size_t end = e + extraLength;
            while (end - e >= 4) {
                const std::uint64_t id = little(&cd[e], 2), length = little(&cd[e + 2], 2);
                if (end - e - 4 < length)
                    break;
                if (id == 1 && length >= 8)
                    declared = little(&cd[e + 4], 8);
                e += 4 + length;
            }
        }
        const std::uint64_t most = method == 0 ? size : size * 1032;
        if (declared > most && oversized && oversized->empty())
            *oversized = name;
        at += 46 + nameLength + extraLength + commentLength;
    }
    return true;
}

std::uint32_t crc32Of(const void* data, std::size_t size)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    const auto* p = static_cast<const Bytef*>(data);
    while (size > 0) {
        const std::size_t n = std::min<std::size_t>(size, std::size_t(1) << 30);
        crc = crc32(crc, p, uInt(n));
        p += n;
        size -= n;
    }
    return std::uint32_t(crc);
}

} // namespace

QString torchErrorText(const std::exception& error)
{
    const auto* c10error = dynamic_cast<const c10::Error*>(&error);
    QString text = QString::fromUtf8(c10error ? c10error->what_without_backtrace() : error.what());
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    text = lines.isEmpty() ? QString() : lines.first();
    static const QRegularExpression enforce(QStringLiteral("^\\[enforce fail at [^\\]]*\\][\\s.]*"));
    text.remove(enforce);
    for (const QString& tail : {QStringLiteral("(Could this error message be improved"), QStringLiteral(" (at "),
                                QStringLiteral("Exception raised from")}) {
        const int at = text.indexOf(tail);
        if (at > 0)
            text.truncate(at);
    }
    for (QChar& c : text)
        if (!c.isPrint())
            c = QLatin1Char('?');
    text = text.trimmed();
    while (text.endsWith(QLatin1Char('.')))
        text.chop(1);
    if (text.size() > 160)
        text = text.left(157) + QStringLiteral("...");
    return text.isEmpty() ? QStringLiteral("unknown error") : text;
}

Value Object::find(const std::string& key) const
{
    const auto it = index.find("s" + key);
    return it == index.end() ? nullptr : entries[it->second].second;
}

QString typeName(const Value& value)
{
    if (!value)
        return QStringLiteral("nothing");
    switch (value->kind) {
    case Kind::None: return QStringLiteral("None");
    case Kind::Bool: return QStringLiteral("bool");
    case Kind::Int: return QStringLiteral("int");
    case Kind::Float: return QStringLiteral("float");
    case Kind::String: return QStringLiteral("str");
    case Kind::Bytes: return QStringLiteral("bytes");
    case Kind::Tuple: return QStringLiteral("tuple");
    case Kind::List: return QStringLiteral("list");
    case Kind::Dict: return QStringLiteral("dict");
    case Kind::Global: return QStringLiteral("reference to %1").arg(printableText(value->text));
    case Kind::Storage: return QStringLiteral("torch storage");
    case Kind::Tensor: return QStringLiteral("tensor");
    case Kind::Opaque: return printableText(value->text);
    }
    return QStringLiteral("object");
}

std::vector<std::pair<std::string, torch::Tensor>> tensorEntries(const Value& dict, const QString& fileName)
{
    if (!dict || dict->kind != Kind::Dict)
        throw Error(QStringLiteral("%1 holds a %2, not a dict of named tensors.").arg(fileName, typeName(dict)));
    std::vector<std::pair<std::string, torch::Tensor>> out;
    out.reserve(dict->entries.size());
    for (const auto& [key, value] : dict->entries) {
        if (key->kind != Kind::String)
            throw Error(QStringLiteral("%1 holds a dict with a %2 key where layer names were expected.")
                            .arg(fileName, typeName(key)));
        if (value->kind != Kind::Tensor)
            throw Error(QStringLiteral("%1 holds a %2 under '%3' where a tensor was expected.")
                            .arg(fileName, typeName(value), printableText(key->text)));
        out.emplace_back(key->text, value->tensor);
    }
    return out;
}

Unpickled::~Unpickled()
{
    // Cut every link while objects_ still holds each object, so no release cascades recursively.
    for (const Value& object : objects_) {
        object->items.clear();
        object->entries.clear();
        object->index.clear();
    }
}

Value Unpickled::make(Kind kind)
{
    Value v = std::make_shared<Object>();
    v->kind = kind;
    objects_.push_back(v);
    return v;
}

Unpickled unpickle(const char* data, std::size_t size, const PersistentLoader& loader, const QString& fileName)
{
    try {
        return Unpickler(data, size, loader, fileName).run();
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        damaged(fileName, QStringLiteral("its pickle data needs more memory than is available"));
    } catch (const c10::Error& e) {
        damaged(fileName, torchErrorText(e));
    } catch (const std::exception& e) {
        damaged(fileName, torchErrorText(e));
    }
}

// --- TorchZip ----------------------------------------------------------------------------------------

TorchZip::TorchZip(const QString& path) : path_(path), displayName_(QFileInfo(path).fileName())
{
    const QFileInfo info(path);
    if (path.isEmpty())
        throw Error("no weights file was given.");
    if (!info.exists())
        throw Error(QStringLiteral("%1 does not exist.").arg(path));
    if (info.isDir())
        throw Error(QStringLiteral("%1 is a folder, not a weights file.").arg(path));
    auto adapter = std::make_shared<QFileReadAdapter>(path);
    if (!adapter->open())
        throw Error(QStringLiteral("cannot read %1: %2.").arg(path, adapter->errorString()));
    if (adapter->size() == 0)
        throw Error(QStringLiteral("%1 is empty.").arg(displayName_));

    char head[14] = {};
    const std::size_t got = adapter->read(0, head, sizeof head, "");
    static const char legacyMagic[14] = {'\x80', '\x02', '\x8a', '\x0a', '\x6c', '\xfc', '\x9c',
                                         '\x46', '\xf9', '\x20', '\x6a', '\xa8', '\x50', '\x19'};
    if (got == sizeof head && std::memcmp(head, legacyMagic, sizeof head) == 0)
        throw Error(QStringLiteral("%1 was written in PyTorch's legacy (pre-1.6) format, which RankLab cannot "
                                   "read; re-save it with torch.save(torch.load(path), path) in PyTorch 1.6 or "
                                   "newer.")
                        .arg(displayName_));
    if (got < 4 || std::memcmp(head, "PK\x03\x04", 4) != 0) {
        if (static_cast<unsigned char>(head[0]) == 0x80)
            throw Error(QStringLiteral("%1 is a plain Python pickle, not a torch.save file; save the weights with "
                                       "torch.save(model.state_dict(), path).")
                            .arg(displayName_));
        throw Error(QStringLiteral("%1 is not a PyTorch, TorchScript or RankLab weights file.").arg(displayName_));
    }

    // The directory is checked first: LibTorch's reader allocates each record's declared size when it reads it.
    std::string oversized;
    try {
        if (!readZipChecksums(*adapter, checksums_, &oversized))
            damaged(displayName_, QStringLiteral("its zip directory cannot be read"));
    } catch (const std::bad_alloc&) {
        damaged(displayName_, QStringLiteral("its zip directory is implausibly large"));
    }
    if (!oversized.empty())
        damaged(displayName_, QStringLiteral("record %1 claims more bytes than the file can hold").arg(printableText(oversized)));
    try {
        reader_ = std::make_unique<caffe2::serialize::PyTorchStreamReader>(adapter);
        records_ = reader_->getAllRecords();
    } catch (const c10::Error& e) {
        damaged(displayName_, torchErrorText(e));
    } catch (const std::bad_alloc&) {
        damaged(displayName_, QStringLiteral("its zip directory is implausibly large"));
    } catch (const std::exception& e) {
        damaged(displayName_, torchErrorText(e));
    }
    for (const std::string& record : records_)
        if (!checksums_.count(record))
            damaged(displayName_, QStringLiteral("record %1 is missing from the zip directory").arg(printableText(record)));
}

TorchZip::~TorchZip() = default;

bool TorchZip::hasRecord(const std::string& name) const
{
    // Every record is in the zip directory (checked on opening), and the directory holds only records.
    return checksums_.count(name) > 0;
}

bool TorchZip::isTorchScript() const
{
    return std::any_of(records_.begin(), records_.end(), [](const std::string& r) {
        return r == "constants.pkl" || r.rfind("code/", 0) == 0;
    });
}

std::pair<at::DataPtr, std::size_t> TorchZip::fetch(const std::string& name)
{
    const QString record = QString::fromStdString(name);
    if (!hasRecord(name))
        damaged(displayName_, QStringLiteral("the archive has no %1 record").arg(record));
    std::pair<at::DataPtr, std::size_t> out;
    try {
        auto [data, size] = reader_->getRecord(name);
        out = {std::move(data), size};
    } catch (const c10::Error& e) {
        damaged(displayName_, torchErrorText(e));
    } catch (const std::bad_alloc&) {
        damaged(displayName_, QStringLiteral("record %1 is implausibly large").arg(record));
    } catch (const std::exception& e) {
        damaged(displayName_, torchErrorText(e));
    }
    if (crc32Of(out.first.get(), out.second) != checksums_.at(name))
        damaged(displayName_, QStringLiteral("the checksum of %1 does not match").arg(record));
    return out;
}

std::string TorchZip::readRecord(const std::string& name)
{
    const auto [data, size] = fetch(name);
    return std::string(static_cast<const char*>(data.get()), size);
}

void TorchZip::verifyChecksums()
{
    for (const std::string& record : records_)
        fetch(record);
}

Unpickled TorchZip::unpickleData()
{
    return unpickleArchive("data.pkl", "data/");
}

void TorchZip::verifyTorchScriptTensors()
{
    // torch::jit::load sizes each storage by the numel its pickle claims, not by the record's length, and
    // never checks a tensor's view against its storage: a short record is then read past its end. Unpickling
    // both archives with RankLab's reader checks every storage against its record and every view against
    // its storage first.
    if (hasRecord("data.pkl"))
        unpickleArchive("data.pkl", "data/");
    if (hasRecord("constants.pkl"))
        unpickleArchive("constants.pkl", "constants/");
}

Unpickled TorchZip::unpickleArchive(const std::string& pickleRecord, const std::string& tensorFolder)
{
    const std::string pkl = readRecord(pickleRecord);
    if (hasRecord("byteorder") && readRecord("byteorder") != "little")
        throw Error(QStringLiteral("%1 was written on a big-endian machine, which RankLab cannot read.").arg(displayName_));

    std::unordered_map<std::string, Value> storages;
    const PersistentLoader loader = [&](const Value& pid) -> Value {
        if (pid->kind != Kind::Tuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::String
            || pid->items[0]->text != "storage")
            damaged(displayName_, QStringLiteral("a tensor refers to its data in an unknown way"));
        const Value& type = pid->items[1];
        const Value& key = pid->items[2];
        const Value& numelValue = pid->items[4];
        if (type->kind != Kind::Global || key->kind != Kind::String || numelValue->kind != Kind::Int
            || numelValue->integer < 0)
            damaged(displayName_, QStringLiteral("a tensor's storage reference is malformed"));
        c10::ScalarType dtype{};
        if (!storageDtype(type->text, &dtype))
            throw Error(QStringLiteral("%1 holds tensors of type %2, which RankLab cannot read.")
                            .arg(displayName_, printableText(type->text)));
        const auto cached = storages.find(key->text);
        if (cached != storages.end()) {
            if (cached->second->tensor.scalar_type() != dtype)
                damaged(displayName_, QStringLiteral("storage %1 is used with two element types")
                                          .arg(printableText(key->text)));
            return cached->second;
        }
        const std::string record = tensorFolder + key->text;
        if (!hasRecord(record))
            damaged(displayName_, QStringLiteral("tensor data %1 is missing").arg(printableText(record)));
        const std::int64_t numel = numelValue->integer;
        const std::size_t itemSize = c10::elementSize(dtype);
        auto [data, bytes] = fetch(record);
        if (std::uint64_t(numel) > bytes / itemSize)
            damaged(displayName_, QStringLiteral("tensor data %1 holds %2 bytes, fewer than its %3 elements need")
                                      .arg(printableText(record))
                                      .arg(bytes)
                                      .arg(numel));
        // The tensor owns the record's buffer: no copy.
        c10::Storage storage(c10::Storage::use_byte_size_t(), bytes, std::move(data), nullptr, false);
        Value out = std::make_shared<Object>();
        out->kind = Kind::Storage;
        out->tensor = torch::empty({0}, torch::TensorOptions().dtype(dtype)).set_(storage, 0, {numel}, {1});
        storages.emplace(key->text, out);
        return out;
    };
    return unpickle(pkl.data(), pkl.size(), loader, displayName_);
}

} // namespace ranklab::io::pickle

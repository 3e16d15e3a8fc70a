#pragma once
// Torch-free: one table of (JSON key, struct member) pairs per struct, from which both the struct's toJson
// and its fromJson follow, so the writer of a run file and its reader cannot disagree on a key or a unit.
//
//   static const JsonFields<EvalResult>& fields() {
//       static const auto f = JsonFields<EvalResult>().add("top1", &EvalResult::top1).add("samples", &EvalResult::samples);
//       return f;
//   }
//   QJsonObject toJson(const EvalResult& r) { return fields().write(r); }
//   EvalResult evalResultFromJson(const QJsonObject& o) { return fields().read(o); }
//
// Reading is lenient like every reader of RankLab's files: a missing key keeps the member's default (files of
// older versions lack newer keys); a key of the wrong JSON type reads as that default too.

#include <functional>
#include <limits>
#include <type_traits>
#include <vector>

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QVector>

namespace ranklab {

template <class T>
class JsonFields {
public:
    /// A number, count, flag or text member stored under `key` (64-bit counts as JSON numbers).
    template <class M>
    JsonFields& add(const char* key, M T::*member)
    {
        static_assert(std::is_arithmetic_v<M> || std::is_same_v<M, QString>, "use custom() for this member type");
        fields_.push_back({QString::fromLatin1(key),
                           [member](const T& t) { return scalarToJson(t.*member); },
                           [member](T& t, const QJsonValue& v) { t.*member = scalarFromJson(v, t.*member); }});
        return *this;
    }
    /// As add(), but the key is left out of the file while the member holds `unset`, and a file without it
    /// reads back as `unset`: for options added later (files written before them stay equal) and figures only
    /// some runs have (no placeholder for readers to misread).
    template <class M>
    JsonFields& addUnless(const char* key, M T::*member, M unset)
    {
        static_assert(std::is_arithmetic_v<M> || std::is_same_v<M, QString>, "use custom() for this member type");
        fields_.push_back({QString::fromLatin1(key),
                           [member, unset](const T& t) {
                               return t.*member == unset ? QJsonValue(QJsonValue::Undefined) : scalarToJson(t.*member);
                           },
                           [member](T& t, const QJsonValue& v) { t.*member = scalarFromJson(v, t.*member); }});
        return *this;
    }
    /// A double member where a negative value means "not measured": written as null, read back as -1.
    JsonFields& optional(const char* key, double T::*member)
    {
        fields_.push_back({QString::fromLatin1(key),
                           [member](const T& t) { return t.*member < 0 ? QJsonValue() : QJsonValue(t.*member); },
                           [member](T& t, const QJsonValue& v) { t.*member = v.isDouble() ? v.toDouble() : -1; }});
        return *this;
    }
    /// A list of numbers (layer indices, singular values).
    template <class List>
    JsonFields& numbers(const char* key, List T::*member)
    {
        fields_.push_back({QString::fromLatin1(key),
                           [member](const T& t) {
                               QJsonArray a;
                               for (const auto& x : t.*member)
                                   a.append(double(x));
                               return QJsonValue(a);
                           },
                           [member](T& t, const QJsonValue& v) {
                               if (!v.isArray())
                                   return;
                               List out;
                               for (const QJsonValue& x : v.toArray())
                                   out.push_back(scalarFromJson(x, typename List::value_type()));
                               t.*member = out;
                           }});
        return *this;
    }
    /// A nested struct with its own table.
    template <class S>
    JsonFields& object(const char* key, S T::*member, const JsonFields<S>& inner)
    {
        fields_.push_back({QString::fromLatin1(key), [member, &inner](const T& t) { return QJsonValue(inner.write(t.*member)); },
                           [member, &inner](T& t, const QJsonValue& v) {
                               if (v.isObject())
                                   t.*member = inner.read(v.toObject());
                           }});
        return *this;
    }
    /// A list of nested structs with their own table.
    template <class S>
    JsonFields& objects(const char* key, QVector<S> T::*member, const JsonFields<S>& inner)
    {
        fields_.push_back({QString::fromLatin1(key),
                           [member, &inner](const T& t) {
                               QJsonArray a;
                               for (const S& s : t.*member)
                                   a.append(inner.write(s));
                               return QJsonValue(a);
                           },
                           [member, &inner](T& t, const QJsonValue& v) {
                               if (!v.isArray())
                                   return;
                               QVector<S> out;
                               for (const QJsonValue& x : v.toArray())
                                   out.push_back(inner.read(x.toObject()));
                               t.*member = out;
                           }});
        return *this;
    }
    /// Anything else, with its own two converters; a writer returning QJsonValue::Undefined leaves the key out.
    JsonFields& custom(const char* key, std::function<QJsonValue(const T&)> write, std::function<void(T&, const QJsonValue&)> read)
    {
        fields_.push_back({QString::fromLatin1(key), std::move(write), std::move(read)});
        return *this;
    }

    QJsonObject write(const T& value) const
    {
        QJsonObject o;
        for (const Field& f : fields_) {
            const QJsonValue v = f.write(value);
            if (!v.isUndefined()) // a custom field leaves itself out by writing Undefined
                o.insert(f.key, v);
        }
        return o;
    }
    /// `into` with every key of the table that `json` holds read into it.
    T read(const QJsonObject& json, T into = T()) const
    {
        for (const Field& f : fields_) {
            const auto it = json.constFind(f.key);
            if (it != json.constEnd())
                f.read(into, *it);
        }
        return into;
    }
    /// The keys of the table, in declaration order (tests, documentation).
    QStringList keys() const
    {
        QStringList out;
        for (const Field& f : fields_)
            out << f.key;
        return out;
    }

private:
    struct Field {
        QString key;
        std::function<QJsonValue(const T&)> write;
        std::function<void(T&, const QJsonValue&)> read;
    };

    template <class M>
    static QJsonValue scalarToJson(const M& v)
    {
        if constexpr (std::is_same_v<M, QString> || std::is_same_v<M, bool>)
            return QJsonValue(v);
        else
            return QJsonValue(double(v));
    }
    template <class M>
    static M scalarFromJson(const QJsonValue& v, const M& current)
    {
        if constexpr (std::is_same_v<M, QString>)
            return v.isString() ? v.toString() : current;
        else if constexpr (std::is_same_v<M, bool>)
            return v.isBool() ? v.toBool() : current;
        else if constexpr (std::is_floating_point_v<M>)
            return v.isDouble() ? M(v.toDouble()) : current;
        else {
            // Integers: a number outside the type's range (a damaged or hostile file) keeps the default
            // instead of an undefined conversion.
            if (!v.isDouble())
                return current;
            const double d = v.toDouble();
            const double lo = double(std::numeric_limits<M>::lowest()), hi = double(std::numeric_limits<M>::max());
            return d >= lo && d < hi ? M(d) : current;
        }
    }

    QVector<Field> fields_;
};

} // namespace ranklab

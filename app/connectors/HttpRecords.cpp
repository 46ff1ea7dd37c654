#include "HttpRecords.h"

#include "model/SyncError.h"

#include <nlohmann/json.hpp>

#include <QSet>

#include <algorithm>
#include <charconv>

namespace syncdesk {

using simdjson::dom::element_type;

namespace {

// The value as T where its type was checked first, so the conversion cannot fail.
template <typename T>
T valueAs(simdjson::dom::element value)
{
    T out{};
    [[maybe_unused]] const simdjson::error_code error = value.get(out);
    return out;
}

} // namespace

HttpRecords::HttpRecords(simdjson::dom::parser &parser, const QByteArray &body, const QString &where)
{
    // simdjson reads up to SIMDJSON_PADDING bytes past the end: a body allocated with that
    // much room (HttpResponseParser::BodyPadding) is parsed where it is, any other is copied
    // into the parser's padded buffer first.
    // (capacity() counts room before the data too; data_ptr() has no const overload and
    // neither it nor freeSpaceAtEnd() changes or detaches anything.)
    const bool padded = const_cast<QByteArray &>(body).data_ptr().freeSpaceAtEnd()
                        >= qsizetype(simdjson::SIMDJSON_PADDING);
    // Room for pages somewhat larger than this one: a list's pages differ by a few bytes, and
    // each new largest page would otherwise make the parser reallocate (and fault in) its
    // buffers again. Where that fails, parse() sizes them itself or names the problem.
    const auto size = size_t(body.size());
    if (size > parser.capacity()) {
        [[maybe_unused]] const simdjson::error_code roomy =
            parser.allocate(std::min(parser.max_capacity(), size + size / 4), parser.max_depth());
    }
    const simdjson::error_code error =
        parser.parse(reinterpret_cast<const uint8_t *>(body.constData()), size, !padded)
            .get(m_document);
    if (error)
        throw SyncError(QStringLiteral("%1: the response is not valid JSON (%2, in %3 bytes)")
                            .arg(where, QString::fromUtf8(simdjson::error_message(error)),
                                 QString::number(body.size())));
}

HttpRecords::HttpRecords(simdjson::dom::parser &parser, const QByteArray &body, const QString &recordsAt,
                         const QString &recordAt, const QString &where)
    : HttpRecords(parser, body, where)
{
    const std::optional<Value> list = at(m_document, recordsAt.toStdString());
    if (!list)
        throw SyncError(QStringLiteral("%1: the records pointer '%2' names nothing in the response")
                            .arg(where, recordsAt));
    if (list->type() != element_type::ARRAY)
        throw SyncError(QStringLiteral("%1: the records pointer '%2' names %3, not an array")
                            .arg(where, recordsAt.isEmpty() ? QStringLiteral("\"\" (the body)") : recordsAt,
                                 typeName(*list)));
    const auto array = valueAs<simdjson::dom::array>(*list);
    m_records.reserve(array.size());
    const std::string inner = recordAt.toStdString();
    size_t i = 0;
    for (const Value element : array) {
        const std::optional<Value> record = at(element, inner);
        if (!record || record->type() != element_type::OBJECT)
            throw SyncError(QStringLiteral("%1: record %2 is %3, not an object")
                                .arg(where, QString::number(i),
                                     record ? typeName(*record)
                                            : QStringLiteral("missing (record pointer '%1')").arg(recordAt)));
        m_records.push_back(*record);
        ++i;
    }
}

HttpRecords HttpRecords::single(simdjson::dom::parser &parser, const QByteArray &body,
                                const QString &recordAt, const QString &where)
{
    HttpRecords r(parser, body, where);
    const std::optional<Value> record = at(r.m_document, recordAt.toStdString());
    if (!record)
        throw SyncError(QStringLiteral("%1: the record pointer '%2' names nothing in the response")
                            .arg(where, recordAt));
    if (record->type() != element_type::OBJECT)
        throw SyncError(QStringLiteral("%1: the record is %2, not an object").arg(where, typeName(*record)));
    r.m_records.push_back(*record);
    return r;
}

std::optional<HttpRecords::Value> HttpRecords::at(Value from, std::string_view pointer)
{
    if (pointer.empty())
        return from;
    Value found;
    if (from.at_pointer(pointer).get(found))
        return std::nullopt;
    return found;
}

std::optional<HttpRecords::Value> HttpRecords::member(size_t i, std::string_view name) const
{
    if (!name.empty() && name.front() == '/')
        return at(m_records[i], name);
    const auto record = valueAs<simdjson::dom::object>(m_records[i]); // checked when read
    Value found;
    if (record.at_key(name).get(found))
        return std::nullopt;
    return found;
}

bool HttpRecords::isNumber(Value value)
{
    const element_type t = value.type();
    return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

std::string HttpRecords::canonicalJson(Value value)
{
    const element_type t = value.type();
    if (t != element_type::OBJECT && t != element_type::ARRAY)
        return simdjson::minify(value);
    // nlohmann keeps objects' members sorted: the canonical order, whatever the server's.
    return nlohmann::json::parse(simdjson::minify(value)).dump(-1, ' ', false,
                                                               nlohmann::json::error_handler_t::replace);
}

RawValue HttpRecords::raw(const std::optional<Value> &value, std::string &storage)
{
    if (!value)
        return RawValue::null();
    switch (value->type()) {
    case element_type::NULL_VALUE:
        return RawValue::null();
    case element_type::STRING: {
        return RawValue::text(valueAs<std::string_view>(*value));
    }
    case element_type::BOOL: {
        return RawValue::text(valueAs<bool>(*value) ? "true" : "false");
    }
    case element_type::INT64: {
        return RawValue::ofInteger(valueAs<int64_t>(*value));
    }
    case element_type::UINT64: {
        storage = std::to_string(valueAs<uint64_t>(*value));
        return RawValue::text(storage);
    }
    case element_type::DOUBLE: {
        char buffer[32];
        const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, valueAs<double>(*value));
        storage.assign(buffer, ec == std::errc() ? end : buffer);
        return RawValue::text(storage);
    }
    case element_type::OBJECT:
    case element_type::ARRAY:
        storage = canonicalJson(*value);
        return RawValue::text(storage);
    }
    return RawValue::null();
}

QString HttpRecords::typeName(Value value)
{
    switch (value.type()) {
    case element_type::NULL_VALUE: return QStringLiteral("null");
    case element_type::STRING: return QStringLiteral("a string");
    case element_type::BOOL: return QStringLiteral("a boolean");
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return QStringLiteral("a number");
    case element_type::OBJECT: return QStringLiteral("an object");
    case element_type::ARRAY: return QStringLiteral("an array");
    }
    return QStringLiteral("not a JSON value");
}

QStringList HttpRecords::memberNames() const
{
    QStringList names;
    QSet<QString> seen;
    for (const Value record : m_records) {
        for (const simdjson::dom::key_value_pair member : valueAs<simdjson::dom::object>(record)) {
            const QString name = QString::fromUtf8(member.key.data(), qsizetype(member.key.size()));
            if (!seen.contains(name)) {
                seen.insert(name);
                names << name;
            }
        }
    }
    return names;
}

} // namespace syncdesk

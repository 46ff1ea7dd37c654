#include "HttpRecords.h"

#include "model/SyncError.h"

#include <QSet>

namespace syncdesk {

namespace {

nlohmann::json parse(const QByteArray &body, const QString &where)
{
    try {
        return nlohmann::json::parse(body.constBegin(), body.constEnd());
    } catch (const nlohmann::json::parse_error &e) {
        // The parser's own words name the byte and what it expected; no body text is quoted.
        throw SyncError(QStringLiteral("%1: the response is not valid JSON (at byte %2 of %3)")
                            .arg(where).arg(e.byte).arg(body.size()));
    }
}

const nlohmann::json *at(const nlohmann::json &from, const std::string &pointer)
{
    if (pointer.empty())
        return &from;
    try {
        const nlohmann::json::json_pointer p(pointer);
        if (!from.contains(p))
            return nullptr;
        return &from.at(p);
    } catch (const nlohmann::json::exception &) {
        return nullptr; // a pointer through a non-object, or an array index that is not a number
    }
}

} // namespace

HttpRecords::HttpRecords(const QByteArray &body, const QString &recordsAt, const QString &recordAt,
                         const QString &where)
    : m_document(parse(body, where))
{
    collect(recordsAt, recordAt, where);
}

HttpRecords HttpRecords::single(const QByteArray &body, const QString &recordAt, const QString &where)
{
    HttpRecords r;
    r.m_document = parse(body, where);
    const nlohmann::json *record = at(r.m_document, recordAt.toStdString());
    if (!record)
        throw SyncError(QStringLiteral("%1: the record pointer '%2' names nothing in the response")
                            .arg(where, recordAt));
    if (!record->is_object())
        throw SyncError(QStringLiteral("%1: the record is %2, not an object").arg(where, typeName(*record)));
    r.m_records.push_back(record);
    return r;
}

void HttpRecords::collect(const QString &recordsAt, const QString &recordAt, const QString &where)
{
    const nlohmann::json *list = at(m_document, recordsAt.toStdString());
    if (!list)
        throw SyncError(QStringLiteral("%1: the records pointer '%2' names nothing in the response")
                            .arg(where, recordsAt));
    if (!list->is_array())
        throw SyncError(QStringLiteral("%1: the records pointer '%2' names %3, not an array")
                            .arg(where, recordsAt.isEmpty() ? QStringLiteral("\"\" (the body)") : recordsAt,
                                 typeName(*list)));
    m_records.reserve(list->size());
    const std::string inner = recordAt.toStdString();
    size_t i = 0;
    for (const nlohmann::json &element : *list) {
        const nlohmann::json *record = at(element, inner);
        if (!record || !record->is_object())
            throw SyncError(QStringLiteral("%1: record %2 is %3, not an object")
                                .arg(where)
                                .arg(i)
                                .arg(record ? typeName(*record)
                                            : QStringLiteral("missing (record pointer '%1')").arg(recordAt)));
        m_records.push_back(record);
        ++i;
    }
}

const nlohmann::json *HttpRecords::member(size_t i, const std::string &name) const
{
    const nlohmann::json &record = *m_records[i];
    if (!name.empty() && name.front() == '/')
        return at(record, name);
    const auto it = record.find(name);
    return it == record.end() ? nullptr : &*it;
}

RawValue HttpRecords::raw(const nlohmann::json *value, std::string &storage)
{
    if (!value)
        return RawValue::null();
    switch (value->type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
        return RawValue::null();
    case nlohmann::json::value_t::string: {
        const std::string &s = value->get_ref<const std::string &>();
        return RawValue::text(s);
    }
    case nlohmann::json::value_t::boolean:
        return RawValue::text(value->get<bool>() ? "true" : "false");
    case nlohmann::json::value_t::number_integer:
        return RawValue::ofInteger(value->get<qint64>());
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
    case nlohmann::json::value_t::object:
    case nlohmann::json::value_t::array:
    case nlohmann::json::value_t::binary:
        storage = value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return RawValue::text(storage);
    }
    return RawValue::null();
}

QString HttpRecords::typeName(const nlohmann::json &value)
{
    switch (value.type()) {
    case nlohmann::json::value_t::null: return QStringLiteral("null");
    case nlohmann::json::value_t::string: return QStringLiteral("a string");
    case nlohmann::json::value_t::boolean: return QStringLiteral("a boolean");
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return QStringLiteral("a number");
    case nlohmann::json::value_t::object: return QStringLiteral("an object");
    case nlohmann::json::value_t::array: return QStringLiteral("an array");
    default: return QStringLiteral("not a JSON value");
    }
}

QStringList HttpRecords::memberNames() const
{
    QStringList names;
    QSet<QString> seen;
    for (const nlohmann::json *record : m_records) {
        for (auto it = record->begin(); it != record->end(); ++it) {
            const QString name = QString::fromStdString(it.key());
            if (!seen.contains(name)) {
                seen.insert(name);
                names << name;
            }
        }
    }
    return names;
}

} // namespace syncdesk

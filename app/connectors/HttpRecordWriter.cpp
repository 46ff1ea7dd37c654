#include "HttpRecordWriter.h"

#include "HttpClient.h"
#include "model/SyncError.h"

#include <nlohmann/json.hpp>

#include <QUrlQuery>

namespace syncdesk {

using Json = nlohmann::json;

namespace {

// The top-level member a field names: itself, or a pointer's first token ("/address/city":
// "address"), unescaped as RFC 6901 says.
std::string topMember(const QString &name)
{
    if (!name.startsWith(u'/'))
        return name.toStdString();
    QString token = name.mid(1).section(u'/', 0, 0);
    token.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
    return token.toStdString();
}

Json::json_pointer pointerOf(const QString &name)
{
    if (name.startsWith(u'/'))
        return Json::json_pointer(name.toStdString());
    QString escaped = name;
    escaped.replace(QStringLiteral("~"), QStringLiteral("~0")).replace(QStringLiteral("/"), QStringLiteral("~1"));
    return Json::json_pointer('/' + escaped.toStdString());
}

// A canonical field text as the JSON value the server keeps: of the type the member has now,
// or of its column's class where it has no value yet.
Json jsonValue(const FieldText &value, FieldClass cls, const Json *current, const QString &name,
               const QString &where)
{
    if (!value)
        return nullptr;
    const std::string text = value->toStdString();
    Json::value_t type = current && !current->is_null() ? current->type() : Json::value_t::null;
    if (type == Json::value_t::null)
        type = cls == FieldClass::Numeric   ? Json::value_t::number_float
               : cls == FieldClass::Boolean ? Json::value_t::boolean
                                            : Json::value_t::string;
    switch (type) {
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: {
        Json number = Json::parse(text, nullptr, false);
        if (!number.is_number())
            throw SyncError(QStringLiteral("%1: field '%2': '%3' is not a number JSON can hold; "
                                           "nothing was written")
                                .arg(where, name, QString::fromStdString(text)));
        return number;
    }
    case Json::value_t::boolean:
        if (text == "true" || text == "false")
            return text == "true";
        throw SyncError(QStringLiteral("%1: field '%2': '%3' is not a boolean; nothing was written")
                            .arg(where, name, QString::fromStdString(text)));
    case Json::value_t::object:
    case Json::value_t::array: {
        // Compared as canonical JSON text: written back as the structure it names.
        Json structured = Json::parse(text, nullptr, false);
        if (!structured.is_discarded())
            return structured;
        return text;
    }
    default:
        return text;
    }
}

// Sets the member `name` (a name or a pointer) of `record`, keeping the JSON type it has.
void setMember(Json &record, const QString &name, const FieldText &value, FieldClass cls, const QString &where)
{
    const Json::json_pointer pointer = pointerOf(name);
    const Json *current = record.contains(pointer) ? &record.at(pointer) : nullptr;
    Json v = jsonValue(value, cls, current, name, where);
    try {
        record[pointer] = std::move(v);
    } catch (const Json::exception &) {
        throw SyncError(QStringLiteral("%1: field '%2' cannot be set: a member on its path is not an "
                                       "object in the record; nothing was written")
                            .arg(where, name));
    }
}

QByteArray bodyText(const Json &j)
{
    return QByteArray::fromStdString(j.dump());
}

} // namespace

QString HttpWriteRequest::text() const
{
    QString out = QString::fromLatin1(method) + u' ' + url.toDisplayString(QUrl::RemoveUserInfo);
    for (const auto &[name, value] : headers)
        out += QStringLiteral("  %1: %2").arg(QString::fromLatin1(name), QString::fromUtf8(value));
    if (!body.isEmpty())
        out += QStringLiteral("  ") + QString::fromUtf8(body);
    return out;
}

HttpRecordWriter::HttpRecordWriter(const HttpSideSpec &side, const ScanRequest &request, QUrl itemUrl,
                                   QUrl collectionUrl, QString where)
    : m_side(side), m_request(request), m_itemUrl(std::move(itemUrl)),
      m_collectionUrl(std::move(collectionUrl)), m_where(std::move(where))
{
}

HttpWriteRequest HttpRecordWriter::request(const HttpItemRead &current, const KeyText &key,
                                           const std::optional<QList<FieldText>> &values) const
{
    const HttpWrite &w = m_side.write;
    const bool exists = current.exists;
    HttpWriteRequest out;
    out.url = m_itemUrl;

    Json record = Json::object();
    if (exists) {
        Json document = Json::parse(current.body.constData(), current.body.constData() + current.body.size(),
                                    nullptr, false);
        const Json::json_pointer at(m_side.itemRecord.toStdString());
        if (document.is_discarded() || !document.contains(at) || !document.at(at).is_object())
            throw SyncError(QStringLiteral("%1: the record's body is not a JSON object at '%2'; nothing "
                                           "was written")
                                .arg(m_where, m_side.itemRecord));
        record = document.at(at);
    }

    // The condition the server checks, from the record as read.
    std::optional<Json> version;
    if (exists && w.condition == HttpWrite::Condition::Etag) {
        if (current.etag.isEmpty())
            throw SyncError(QStringLiteral("%1: the API sent no ETag with the record, so the write "
                                           "cannot be conditional (write.condition \"etag\"); nothing "
                                           "was written: use \"none\" or \"version\"")
                                .arg(m_where));
        if (current.etag.startsWith("W/"))
            throw SyncError(QStringLiteral("%1: the API's ETag is weak (%2), which If-Match never "
                                           "matches; nothing was written: use write.condition \"none\" "
                                           "or \"version\"")
                                .arg(m_where, QString::fromUtf8(current.etag)));
        out.headers.append({QByteArrayLiteral("If-Match"), current.etag});
    } else if (exists && w.condition == HttpWrite::Condition::Version) {
        const Json::json_pointer at = pointerOf(w.version);
        if (!record.contains(at) || record.at(at).is_null())
            throw SyncError(QStringLiteral("%1: the record has no version member '%2' to send back; "
                                           "nothing was written")
                                .arg(m_where, w.version));
        version = record.at(at);
    } else if (!exists && w.create == HttpWrite::Create::Put && w.condition == HttpWrite::Condition::Etag) {
        out.headers.append({QByteArrayLiteral("If-None-Match"), QByteArrayLiteral("*")});
    }

    if (!values) {
        out.method = "DELETE";
        if (version) {
            const QString v = version->is_string() ? QString::fromStdString(version->get<std::string>())
                                                   : QString::fromStdString(version->dump());
            if (!w.versionParam.isEmpty()) {
                QUrlQuery query(out.url);
                query.removeAllQueryItems(w.versionParam);
                query.addQueryItem(w.versionParam, QString::fromLatin1(QUrl::toPercentEncoding(v)));
                out.url.setQuery(query.query(QUrl::FullyEncoded), QUrl::StrictMode);
            } else {
                out.headers.append({QByteArrayLiteral("If-Match"), '"' + v.toUtf8() + '"'});
            }
        }
        return out;
    }

    Json changed = record;
    if (!exists) {
        // A new record carries its key, typed as the flow compares it.
        for (qsizetype k = 0; k < m_request.keys.size(); ++k)
            setMember(changed, m_request.keys[k].name,
                      key.value(k) ? FieldText(key.value(k)->toUtf8()) : FieldText(),
                      m_request.keys[k].cls, m_where);
    }
    for (qsizetype f = 0; f < m_request.fields.size(); ++f)
        setMember(changed, m_request.fields[f].name, values->value(f), m_request.fields[f].cls, m_where);

    if (!exists) {
        out.method = w.create == HttpWrite::Create::Put ? "PUT" : "POST";
        if (w.create == HttpWrite::Create::Post)
            out.url = m_collectionUrl;
        out.body = bodyText(changed);
        return out;
    }
    if (w.update == HttpWrite::Update::Put) {
        out.method = "PUT";
        out.body = bodyText(changed); // the version member, as read, is in it
        return out;
    }
    out.method = "PATCH";
    Json patch = Json::object();
    for (const ColumnInfo &c : m_request.fields) {
        const std::string top = topMember(c.name);
        patch[top] = changed.contains(top) ? changed[top] : Json(nullptr);
    }
    if (version)
        patch[pointerOf(w.version)] = *version;
    out.body = bodyText(patch);
    return out;
}

} // namespace syncdesk

#include "WorkspaceLoader.h"

#include "JsonDuplicateCheck.h"
#include "SyncError.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

#include <libpq-fe.h>

#include <cmath>
#include <memory>

namespace syncdesk {

namespace {

QString typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("a boolean");
    case QJsonValue::Double: return QStringLiteral("a number");
    case QJsonValue::String: return QStringLiteral("a string");
    case QJsonValue::Array: return QStringLiteral("an array");
    case QJsonValue::Object: return QStringLiteral("an object");
    case QJsonValue::Undefined: return QStringLiteral("missing");
    }
    return {};
}

// PostgreSQL keeps NAMEDATALEN - 1 bytes of an identifier and cuts the rest without an error,
// so a longer table or column name in the file would quietly address another one.
constexpr qsizetype PgMaxIdentifierBytes = 63;

bool isControl(QChar c)
{
    return c.unicode() < 0x20 || c.unicode() == 0x7f;
}

QString codePoint(QChar c)
{
    return QStringLiteral("U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0')).toUpper();
}

// Messages are one line whatever the file holds: control characters quoted from it (a key, a
// name) are shown as JSON escapes.
QString printable(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (isControl(c))
            out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

// Walks the document keeping the JSON location of what it reads, so every error can name it.
class Reader
{
public:
    explicit Reader(QString file) : m_file(std::move(file)) {}

    [[noreturn]] void fail(const QString &location, const QString &what) const
    {
        throw SyncError(printable(QStringLiteral("%1: %2: %3").arg(m_file, location, what)));
    }

    // A name the file gives a system, flow, table, schema or column. A control character is
    // never meant: a NUL cuts the name short wherever it becomes a C string (libpq, SQLite),
    // the others do not show when the name is printed. `what` says whose name it is
    // ("flow 'devices': source table name"); `postgres`: the name is an identifier there.
    void name(const QString &value, const QString &at, const QString &what, bool postgres) const
    {
        for (const QChar c : value) {
            if (isControl(c))
                fail(at, QStringLiteral("%1 contains a control character (%2)")
                             .arg(what, codePoint(c)));
        }
        const qsizetype bytes = value.toUtf8().size();
        if (postgres && bytes > PgMaxIdentifierBytes)
            fail(at, QStringLiteral("%1 '%2' is %3 bytes; PostgreSQL allows at most %4")
                         .arg(what, value, QString::number(bytes),
                              QString::number(PgMaxIdentifierBytes)));
    }

    // A file path: a NUL would cut it short where it is opened, so another file would be used.
    void path(const QString &value, const QString &at, const QString &what) const
    {
        if (value.contains(QChar(0)))
            fail(at, QStringLiteral("%1 contains a NUL character (U+0000)").arg(what));
    }

    void onlyKeys(const QJsonObject &o, const QString &at, const QStringList &allowed) const
    {
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!allowed.contains(it.key()))
                fail(at + u'.' + it.key(),
                     QStringLiteral("unknown key (allowed here: %1)").arg(allowed.join(u", ")));
        }
    }

    QJsonObject object(const QJsonValue &v, const QString &at) const
    {
        if (!v.isObject())
            fail(at, QStringLiteral("must be an object, found %1").arg(typeName(v)));
        return v.toObject();
    }

    QJsonArray array(const QJsonValue &v, const QString &at) const
    {
        if (!v.isArray())
            fail(at, QStringLiteral("must be an array, found %1").arg(typeName(v)));
        return v.toArray();
    }

    QString string(const QJsonValue &v, const QString &at) const
    {
        if (!v.isString())
            fail(at, QStringLiteral("must be a string, found %1").arg(typeName(v)));
        const QString s = v.toString();
        if (s.isEmpty())
            fail(at, QStringLiteral("must not be empty"));
        return s;
    }

    QString optionalString(const QJsonObject &o, const QString &key, const QString &at,
                           const QString &fallback) const
    {
        return o.contains(key) ? string(o.value(key), at + u'.' + key) : fallback;
    }

    const QString &file() const { return m_file; }

private:
    QString m_file;
};

void checkConninfo(const Reader &r, const QString &conninfo, const QString &at)
{
    char *err = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
        PQconninfoParse(conninfo.toUtf8().constData(), &err), &PQconninfoFree);
    if (!options) {
        // libpq's message quotes the offending part of the string, which may be a password:
        // keep its words, drop every quoted fragment.
        QString why = err ? QString::fromUtf8(err).trimmed() : QStringLiteral("cannot be parsed");
        PQfreemem(err);
        why.replace(QRegularExpression(QStringLiteral("\"[^\"]*\"?")), QStringLiteral("\"…\""));
        r.fail(at, QStringLiteral("not a valid libpq connection string or URI (%1)").arg(why));
    }
    for (PQconninfoOption *o = options.get(); o->keyword; ++o) {
        if (qstrcmp(o->keyword, "password") == 0 && o->val && *o->val) {
            r.fail(at, QStringLiteral("contains a password; passwords never live in the workspace "
                                      "file: use ~/.pgpass, a pg_service.conf service or "
                                      "PGPASSWORD"));
        }
    }
}

TableRef tableRef(const Reader &r, const QJsonObject &side, const QString &at)
{
    TableRef ref;
    const QString table = r.string(side.value(u"table"), at + QStringLiteral(".table"));
    if (side.contains(u"schema")) {
        // Explicit schema: the table name is taken verbatim, dots and all.
        ref.schema = r.string(side.value(u"schema"), at + QStringLiteral(".schema"));
        ref.name = table;
        return ref;
    }
    const qsizetype dot = table.indexOf(u'.');
    if (dot < 0) {
        ref.name = table;
    } else {
        ref.schema = table.left(dot);
        ref.name = table.mid(dot + 1);
        if (ref.schema.isEmpty() || ref.name.isEmpty() || ref.name.contains(u'.'))
            r.fail(at + QStringLiteral(".table"),
                   QStringLiteral("'%1' must be 'table' or 'schema.table' (use \"schema\" for "
                                  "names that contain dots)").arg(table));
    }
    return ref;
}

// Where a flow's names are checked: `flow` prefixes messages ("flow 'devices': "), and each
// side says whether its names are PostgreSQL identifiers.
struct NameContext
{
    QString flow;
    bool sourcePostgres = false;
    bool targetPostgres = false;
};

// `noun` names the list in messages: "key column" or "field".
QList<ColumnPair> columns(const Reader &r, const QJsonValue &v, const QString &at, bool nonEmpty,
                          const NameContext &names, const QString &noun)
{
    const QJsonArray arr = r.array(v, at);
    if (nonEmpty && arr.isEmpty())
        r.fail(at, QStringLiteral("must name at least one column"));
    QList<ColumnPair> out;
    QSet<QString> seenSource, seenTarget;
    for (qsizetype i = 0; i < arr.size(); ++i) {
        const QString where = QStringLiteral("%1[%2]").arg(at).arg(i);
        ColumnPair c;
        if (arr[i].isObject()) {
            const QJsonObject o = arr[i].toObject();
            r.onlyKeys(o, where, {QStringLiteral("source"), QStringLiteral("target")});
            c.source = r.string(o.value(u"source"), where + QStringLiteral(".source"));
            r.name(c.source, where + QStringLiteral(".source"),
                   QStringLiteral("%1source %2 name").arg(names.flow, noun), names.sourcePostgres);
            c.target = r.string(o.value(u"target"), where + QStringLiteral(".target"));
            r.name(c.target, where + QStringLiteral(".target"),
                   QStringLiteral("%1target %2 name").arg(names.flow, noun), names.targetPostgres);
        } else if (arr[i].isString()) {
            c.source = c.target = r.string(arr[i], where);
            r.name(c.source, where, QStringLiteral("%1%2 name").arg(names.flow, noun),
                   names.sourcePostgres || names.targetPostgres);
        } else {
            r.fail(where, QStringLiteral("must be a column name or {\"source\": ..., \"target\": "
                                         "...}, found %1").arg(typeName(arr[i])));
        }
        if (seenSource.contains(c.source) || seenTarget.contains(c.target))
            r.fail(where, QStringLiteral("column '%1' is listed twice").arg(c.source));
        seenSource.insert(c.source);
        seenTarget.insert(c.target);
        out.append(c);
    }
    return out;
}

// A JSON pointer (RFC 6901) the file gives: "" or "/a/b".
void jsonPointer(const Reader &r, const QString &value, const QString &at)
{
    if (!value.isEmpty() && !value.startsWith(u'/'))
        r.fail(at, QStringLiteral("'%1' is not a JSON pointer (it is \"\" or starts with '/')").arg(value));
    r.name(value, at, QStringLiteral("JSON pointer"), false);
}

int boundedInt(const Reader &r, const QJsonObject &o, const QString &key, const QString &at,
               int fallback, int lowest, int highest)
{
    if (!o.contains(key))
        return fallback;
    const QJsonValue v = o.value(key);
    const double d = v.toDouble(-1e300);
    if (!v.isDouble() || d != std::floor(d) || d < lowest || d > highest)
        r.fail(at + u'.' + key, QStringLiteral("must be a whole number between %1 and %2")
                                    .arg(lowest).arg(highest));
    return int(d);
}

void readHttpSystem(const Reader &r, const QJsonObject &o, const QString &at, const QDir &base,
                    const QStringList &common, SystemSpec &s)
{
    r.onlyKeys(o, at, common + QStringList{QStringLiteral("base_url"), QStringLiteral("headers"),
                                           QStringLiteral("max_requests_per_second"),
                                           QStringLiteral("max_concurrent_requests"),
                                           QStringLiteral("ca_file"), QStringLiteral("max_body_bytes"),
                                           QStringLiteral("timeout_seconds")});
    HttpSystemSpec &h = s.http;
    h.raw = o;
    const QString where = QStringLiteral("system '%1' (http)").arg(s.name);
    s.url = r.string(o.value(u"base_url"), at + QStringLiteral(".base_url"));
    const QUrl url(s.url, QUrl::StrictMode);
    // The user-info check comes first, and no message repeats the URL: it may hold a password.
    if (!QUrl(s.url, QUrl::TolerantMode).userInfo().isEmpty() || s.url.contains(u'@'))
        r.fail(at + QStringLiteral(".base_url"),
               QStringLiteral("%1: the URL carries a user or password; secrets never live in the "
                              "workspace file: use \"headers\" with {\"env\": NAME}").arg(where));
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty())
        r.fail(at + QStringLiteral(".base_url"),
               QStringLiteral("%1: not an http:// or https:// URL with a host").arg(where));
    if (url.hasQuery() || url.hasFragment())
        r.fail(at + QStringLiteral(".base_url"),
               QStringLiteral("%1: the base URL must not carry a query or fragment (put them in the "
                              "flow side's \"resource\")").arg(where));
    while (s.url.endsWith(u'/'))
        s.url.chop(1);
    if (o.contains(u"headers")) {
        const QJsonObject headers = r.object(o.value(u"headers"), at + QStringLiteral(".headers"));
        for (auto it = headers.begin(); it != headers.end(); ++it) {
            const QString hat = at + QStringLiteral(".headers.") + it.key();
            HttpHeader header;
            header.name = it.key();
            static const QRegularExpression token(QStringLiteral("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"));
            if (!token.match(header.name).hasMatch())
                r.fail(hat, QStringLiteral("'%1' is not a valid header name").arg(header.name));
            if (it.value().isString()) {
                // A header that carries credentials takes them from the environment: a
                // literal would put the secret in the file (the message never repeats it).
                static const QRegularExpression secret(
                    QStringLiteral("auth|token|key|secret|password|cookie|session|signature"),
                    QRegularExpression::CaseInsensitiveOption);
                if (secret.match(header.name).hasMatch())
                    r.fail(hat, QStringLiteral("header %1 carries credentials: give it as {\"env\": "
                                               "NAME, \"prefix\": …}, never as text in the file")
                                    .arg(header.name));
                header.literal = it.value().toString();
                r.name(header.literal, hat, QStringLiteral("header value"), false);
            } else {
                const QJsonObject v = r.object(it.value(), hat);
                r.onlyKeys(v, hat, {QStringLiteral("env"), QStringLiteral("keychain"), QStringLiteral("prefix")});
                if (!v.contains(u"env") && !v.contains(u"keychain"))
                    r.fail(hat, QStringLiteral("needs \"env\" (an environment variable) or \"keychain\" "
                                               "(a desktop keychain entry) for its value"));
                if (v.contains(u"env"))
                    header.env = r.string(v.value(u"env"), hat + QStringLiteral(".env"));
                if (v.contains(u"keychain")) {
                    header.keychain = r.string(v.value(u"keychain"), hat + QStringLiteral(".keychain"));
                    r.name(header.keychain, hat + QStringLiteral(".keychain"), QStringLiteral("keychain entry"), false);
                }
                if (v.contains(u"prefix")) {
                    if (!v.value(u"prefix").isString())
                        r.fail(hat + QStringLiteral(".prefix"), QStringLiteral("must be a string"));
                    header.prefix = v.value(u"prefix").toString();
                }
            }
            h.headers.append(header);
        }
    }
    if (o.contains(u"max_requests_per_second")) {
        const QJsonValue v = o.value(u"max_requests_per_second");
        if (!v.isDouble() || !(v.toDouble() > 0 && v.toDouble() <= 10000))
            r.fail(at + QStringLiteral(".max_requests_per_second"),
                   QStringLiteral("must be a number above 0 and at most 10000"));
        h.maxRequestsPerSecond = v.toDouble();
    }
    h.maxConcurrentRequests = boundedInt(r, o, QStringLiteral("max_concurrent_requests"), at, 4, 1, 64);
    h.timeoutSeconds = boundedInt(r, o, QStringLiteral("timeout_seconds"), at, 30, 1, 3600);
    h.maxBodyBytes = qint64(boundedInt(r, o, QStringLiteral("max_body_bytes"), at, 64 << 20, 1024,
                                       1 << 30));
    if (o.contains(u"ca_file")) {
        h.caFile = QDir::cleanPath(base.absoluteFilePath(
            r.string(o.value(u"ca_file"), at + QStringLiteral(".ca_file"))));
        r.path(h.caFile, at + QStringLiteral(".ca_file"), QStringLiteral("the CA file path"));
    }
}

// How resolutions write a side's records (HttpWrite): each choice named, none guessed.
void readHttpWrite(const Reader &r, const QJsonValue &v, const QString &at, HttpWrite &w)
{
    const QJsonObject o = r.object(v, at);
    r.onlyKeys(o, at, {QStringLiteral("update"), QStringLiteral("create"), QStringLiteral("condition"),
                       QStringLiteral("version"), QStringLiteral("version_param")});
    const QString update = r.optionalString(o, QStringLiteral("update"), at, QStringLiteral("patch"));
    if (update == u"patch")
        w.update = HttpWrite::Update::Patch;
    else if (update == u"put")
        w.update = HttpWrite::Update::Put;
    else
        r.fail(at + QStringLiteral(".update"),
               QStringLiteral("unknown update method '%1' (expected patch or put)").arg(update));
    const QString create = r.optionalString(o, QStringLiteral("create"), at, QStringLiteral("post"));
    if (create == u"post")
        w.create = HttpWrite::Create::Post;
    else if (create == u"put")
        w.create = HttpWrite::Create::Put;
    else
        r.fail(at + QStringLiteral(".create"),
               QStringLiteral("unknown create method '%1' (expected post or put)").arg(create));
    const QString condition = r.optionalString(o, QStringLiteral("condition"), at, QStringLiteral("none"));
    if (condition == u"none")
        w.condition = HttpWrite::Condition::None;
    else if (condition == u"etag")
        w.condition = HttpWrite::Condition::Etag;
    else if (condition == u"version")
        w.condition = HttpWrite::Condition::Version;
    else
        r.fail(at + QStringLiteral(".condition"),
               QStringLiteral("unknown condition '%1' (expected none, etag or version)").arg(condition));
    w.version = r.optionalString(o, QStringLiteral("version"), at, QString());
    w.versionParam = r.optionalString(o, QStringLiteral("version_param"), at, QString());
    if (w.condition == HttpWrite::Condition::Version && w.version.isEmpty())
        r.fail(at + QStringLiteral(".version"),
               QStringLiteral("condition \"version\" needs the member the server checks (CouchDB: \"_rev\")"));
    if (w.condition != HttpWrite::Condition::Version && (!w.version.isEmpty() || !w.versionParam.isEmpty()))
        r.fail(at + (w.version.isEmpty() ? QStringLiteral(".version_param") : QStringLiteral(".version")),
               QStringLiteral("is used only with \"condition\": \"version\""));
    r.name(w.version, at + QStringLiteral(".version"), QStringLiteral("version member name"), false);
    if (w.version.startsWith(u'/'))
        r.fail(at + QStringLiteral(".version"),
               QStringLiteral("must name a member of the record itself, not a JSON pointer"));
}

// A side's webhook receiver. The secret can only come from the environment: a literal one
// would sit in a file that is shared and versioned.
HttpWebhook readWebhook(const Reader &r, const QJsonValue &v, const QString &at)
{
    const QJsonObject o = r.object(v, at);
    r.onlyKeys(o, at, {QStringLiteral("listen"), QStringLiteral("path"), QStringLiteral("secret"),
                       QStringLiteral("scheme"), QStringLiteral("record"), QStringLiteral("tolerance_seconds"),
                       QStringLiteral("max_body_bytes"), QStringLiteral("max_connections")});
    HttpWebhook w;
    const QString listen = r.string(o.value(u"listen"), at + QStringLiteral(".listen"));
    const qsizetype colon = listen.lastIndexOf(u':');
    bool portOk = false;
    const uint port = colon > 0 ? listen.mid(colon + 1).toUInt(&portOk) : 0;
    w.host = colon > 0 ? listen.left(colon) : QString();
    if (w.host.startsWith(u'[') && w.host.endsWith(u']'))
        w.host = w.host.mid(1, w.host.size() - 2);
    static const QRegularExpression ipv4(QStringLiteral("^(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}$"));
    static const QRegularExpression ipv6(QStringLiteral("^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$"));
    const bool address = ipv4.match(w.host).hasMatch() || ipv6.match(w.host).hasMatch();
    if (!portOk || port == 0 || port > 65535 || !address)
        r.fail(at + QStringLiteral(".listen"),
               QStringLiteral("must be an IP address and port, such as \"127.0.0.1:8088\""));
    w.port = quint16(port);
    w.path = r.string(o.value(u"path"), at + QStringLiteral(".path"));
    r.name(w.path, at + QStringLiteral(".path"), QStringLiteral("webhook path"), false);
    if (!w.path.startsWith(u'/') || w.path.contains(u'?') || w.path.contains(u' '))
        r.fail(at + QStringLiteral(".path"), QStringLiteral("must be a URL path starting with '/', such as \"/hooks/crm\""));
    const QJsonValue secret = o.value(u"secret");
    const QJsonObject so = secret.toObject();
    if (!secret.isObject() || (!so.contains(u"env") && !so.contains(u"keychain")))
        r.fail(at + QStringLiteral(".secret"),
               QStringLiteral("must be {\"env\": NAME} or {\"keychain\": ENTRY}: the signing secret is read "
                              "from the environment or the desktop keychain, never written in the file"));
    r.onlyKeys(so, at + QStringLiteral(".secret"), {QStringLiteral("env"), QStringLiteral("keychain")});
    if (so.contains(u"env")) {
        w.secretEnv = r.string(so.value(u"env"), at + QStringLiteral(".secret.env"));
        r.name(w.secretEnv, at + QStringLiteral(".secret.env"), QStringLiteral("environment variable name"), false);
    }
    if (so.contains(u"keychain")) {
        w.secretKeychain = r.string(so.value(u"keychain"), at + QStringLiteral(".secret.keychain"));
        r.name(w.secretKeychain, at + QStringLiteral(".secret.keychain"), QStringLiteral("keychain entry"), false);
    }
    const QString scheme = r.optionalString(o, QStringLiteral("scheme"), at, QStringLiteral("standard-webhooks"));
    if (scheme == u"standard-webhooks")
        w.scheme = HttpWebhook::Scheme::StandardWebhooks;
    else if (scheme == u"github")
        w.scheme = HttpWebhook::Scheme::GitHub;
    else
        r.fail(at + QStringLiteral(".scheme"),
               QStringLiteral("unknown scheme '%1' (expected standard-webhooks or github)").arg(scheme));
    // Standard Webhooks puts the payload's object under "data"; GitHub names it per event.
    w.record = r.optionalString(o, QStringLiteral("record"), at,
                                w.scheme == HttpWebhook::Scheme::StandardWebhooks ? QStringLiteral("/data") : QString());
    jsonPointer(r, w.record, at + QStringLiteral(".record"));
    w.toleranceSeconds = boundedInt(r, o, QStringLiteral("tolerance_seconds"), at, 300, 1, 3600);
    w.maxBodyBytes = boundedInt(r, o, QStringLiteral("max_body_bytes"), at, 1 << 20, 256, 64 << 20);
    w.maxConnections = boundedInt(r, o, QStringLiteral("max_connections"), at, 16, 1, 1024);
    return w;
}

void readHttpSide(const Reader &r, const QJsonObject &o, const QString &where, FlowSide &side)
{
    r.onlyKeys(o, where, {QStringLiteral("system"), QStringLiteral("resource"),
                          QStringLiteral("records"), QStringLiteral("record"),
                          QStringLiteral("item"), QStringLiteral("item_record"),
                          QStringLiteral("page"), QStringLiteral("updated_at"),
                          QStringLiteral("updated_since_param"), QStringLiteral("webhook"),
                          QStringLiteral("write"), QStringLiteral("changes")});
    auto spec = std::make_shared<HttpSideSpec>();
    HttpSideSpec &h = *spec;
    side.table.http = spec;
    h.raw = o;
    h.resource = r.string(o.value(u"resource"), where + QStringLiteral(".resource"));
    r.name(h.resource, where + QStringLiteral(".resource"), QStringLiteral("resource"), false);
    while (h.resource.startsWith(u'/'))
        h.resource.remove(0, 1);
    side.table.name = h.resource;
    for (const auto &[key, target] : {std::pair{QStringLiteral("records"), &h.records},
                                      std::pair{QStringLiteral("record"), &h.record},
                                      std::pair{QStringLiteral("item_record"), &h.itemRecord}}) {
        if (!o.contains(key))
            continue;
        if (!o.value(key).isString())
            r.fail(where + u'.' + key, QStringLiteral("must be a JSON pointer string"));
        *target = o.value(key).toString();
        jsonPointer(r, *target, where + u'.' + key);
    }
    h.item = r.optionalString(o, QStringLiteral("item"), where, QString());
    r.name(h.item, where + QStringLiteral(".item"), QStringLiteral("item path"), false);
    // Relative to base_url like the resource: a leading '/' would drop the base URL's path.
    while (h.item.startsWith(u'/'))
        h.item.remove(0, 1);
    side.updatedAt = r.optionalString(o, QStringLiteral("updated_at"), where, QString());
    h.updatedSinceParam = r.optionalString(o, QStringLiteral("updated_since_param"), where, QString());
    if (!h.updatedSinceParam.isEmpty() && side.updatedAt.isEmpty())
        r.fail(where + QStringLiteral(".updated_since_param"),
               QStringLiteral("needs \"updated_at\": the member whose value the parameter filters on"));
    h.changes = r.optionalString(o, QStringLiteral("changes"), where, QString());
    r.name(h.changes, where + QStringLiteral(".changes"), QStringLiteral("changes path"), false);
    while (h.changes.startsWith(u'/'))
        h.changes.remove(0, 1);
    if (o.contains(u"webhook"))
        h.webhook = readWebhook(r, o.value(u"webhook"), where + QStringLiteral(".webhook"));
    if (o.contains(u"write"))
        readHttpWrite(r, o.value(u"write"), where + QStringLiteral(".write"), h.write);
    if (!o.contains(u"page"))
        return;
    const QString pat = where + QStringLiteral(".page");
    const QJsonObject p = r.object(o.value(u"page"), pat);
    HttpPaging &pg = h.page;
    const QString style = r.optionalString(p, QStringLiteral("style"), pat, QStringLiteral("link"));
    QStringList allowed{QStringLiteral("style")};
    if (style == u"none") {
        pg.style = HttpPaging::Style::None;
    } else if (style == u"link") {
        pg.style = HttpPaging::Style::Link;
        allowed << QStringLiteral("size_param") << QStringLiteral("size");
    } else if (style == u"page") {
        pg.style = HttpPaging::Style::Page;
        allowed << QStringLiteral("page_param") << QStringLiteral("size_param")
                << QStringLiteral("size") << QStringLiteral("first_page");
    } else if (style == u"offset") {
        pg.style = HttpPaging::Style::Offset;
        allowed << QStringLiteral("offset_param") << QStringLiteral("limit_param") << QStringLiteral("size");
    } else if (style == u"cursor") {
        pg.style = HttpPaging::Style::Cursor;
        allowed << QStringLiteral("cursor_at") << QStringLiteral("cursor_param")
                << QStringLiteral("size_param") << QStringLiteral("size");
    } else {
        r.fail(pat + QStringLiteral(".style"),
               QStringLiteral("unknown page style '%1' (expected link, page, offset, cursor or none)")
                   .arg(style));
    }
    r.onlyKeys(p, pat, allowed);
    pg.pageParam = r.optionalString(p, QStringLiteral("page_param"), pat, pg.pageParam);
    pg.sizeParamSet = p.contains(u"size_param");
    pg.sizeParam = r.optionalString(p, QStringLiteral("size_param"), pat, pg.sizeParam);
    pg.offsetParam = r.optionalString(p, QStringLiteral("offset_param"), pat, pg.offsetParam);
    pg.limitParam = r.optionalString(p, QStringLiteral("limit_param"), pat, pg.limitParam);
    pg.cursorParam = r.optionalString(p, QStringLiteral("cursor_param"), pat, pg.cursorParam);
    pg.size = boundedInt(r, p, QStringLiteral("size"), pat, 100, 1, 100000);
    pg.firstPage = boundedInt(r, p, QStringLiteral("first_page"), pat, 1, 0, 1);
    if (pg.style == HttpPaging::Style::Cursor) {
        if (!p.value(u"cursor_at").isString())
            r.fail(pat + QStringLiteral(".cursor_at"),
                   QStringLiteral("must be the JSON pointer to the next cursor in a page's body"));
        pg.cursorAt = p.value(u"cursor_at").toString();
        jsonPointer(r, pg.cursorAt, pat + QStringLiteral(".cursor_at"));
    }
}

SystemSpec readSystem(const Reader &r, const QJsonValue &v, const QString &at, const QDir &base)
{
    const QJsonObject o = r.object(v, at);
    SystemSpec s;
    s.name = r.string(o.value(u"name"), at + QStringLiteral(".name"));
    r.name(s.name, at + QStringLiteral(".name"), QStringLiteral("system name"), false);
    const QString kind = r.string(o.value(u"kind"), at + QStringLiteral(".kind"));
    // Keys later parts of the system read are listed so they are not refused as typos.
    const QStringList common{QStringLiteral("name"), QStringLiteral("kind"),
                             QStringLiteral("feed"), QStringLiteral("description")};
    if (kind == u"postgres") {
        s.kind = SystemKind::Postgres;
        r.onlyKeys(o, at, common + QStringList{QStringLiteral("conninfo")});
        s.conninfo = r.string(o.value(u"conninfo"), at + QStringLiteral(".conninfo"));
        checkConninfo(r, s.conninfo, at + QStringLiteral(".conninfo"));
    } else if (kind == u"sqlite") {
        s.kind = SystemKind::Sqlite;
        r.onlyKeys(o, at, common + QStringList{QStringLiteral("path")});
        s.path = QDir::cleanPath(
            base.absoluteFilePath(r.string(o.value(u"path"), at + QStringLiteral(".path"))));
        const QString where = QStringLiteral("system '%1' (sqlite): path").arg(s.name);
        r.path(s.path, at + QStringLiteral(".path"), where);
        // A missing file is the connector's to report when it opens it (it may appear by
        // then); a folder never becomes a database.
        if (QFileInfo(s.path).isDir())
            r.fail(at + QStringLiteral(".path"),
                   QStringLiteral("%1 %2 is a directory").arg(where, s.path));
    } else if (kind == u"http") {
        s.kind = SystemKind::Http;
        readHttpSystem(r, o, at, base, common, s);
    } else {
        r.fail(at + QStringLiteral(".kind"),
               QStringLiteral("unknown kind '%1' (expected postgres, sqlite or http)").arg(kind));
    }
    s.feed = r.optionalString(o, QStringLiteral("feed"), at, QStringLiteral("auto"));
    const QStringList feeds = s.kind == SystemKind::Postgres
                                  ? QStringList{QStringLiteral("auto"), QStringLiteral("logical"),
                                                QStringLiteral("notify"), QStringLiteral("polling"),
                                                QStringLiteral("rescan")}
                                  : s.kind == SystemKind::Http
                                  ? QStringList{QStringLiteral("auto"), QStringLiteral("polling"),
                                                QStringLiteral("rescan")}
                                  : QStringList{QStringLiteral("auto"), QStringLiteral("polling")};
    if (!feeds.contains(s.feed))
        r.fail(at + QStringLiteral(".feed"),
               QStringLiteral("unknown feed '%1' for a %2 system (expected %3)")
                   .arg(s.feed, kind, feeds.join(QStringLiteral(", "))));
    return s;
}

FlowSide readSide(const Reader &r, const QJsonObject &flow, const QString &sideName,
                  const QString &at, const Workspace &ws, const QString &flowName)
{
    const QString where = at + u'.' + sideName;
    const QJsonObject o = r.object(flow.value(sideName), where);
    FlowSide side;
    side.system = r.string(o.value(u"system"), where + QStringLiteral(".system"));
    if (!ws.system(side.system))
        r.fail(where + QStringLiteral(".system"),
               QStringLiteral("names system '%1', which is not defined in systems")
                   .arg(side.system));
    if (ws.system(side.system)->kind == SystemKind::Http) {
        readHttpSide(r, o, where, side);
        return side;
    }
    r.onlyKeys(o, where, {QStringLiteral("system"), QStringLiteral("table"),
                          QStringLiteral("schema"), QStringLiteral("updated_at")});
    side.table = tableRef(r, o, where);
    const bool postgres = ws.system(side.system)->kind == SystemKind::Postgres;
    const QString whose = QStringLiteral("flow '%1': %2").arg(flowName, sideName);
    r.name(side.table.schema,
           where + (o.contains(u"schema") ? QStringLiteral(".schema") : QStringLiteral(".table")),
           whose + QStringLiteral(" schema name"), postgres);
    r.name(side.table.name, where + QStringLiteral(".table"), whose + QStringLiteral(" table name"),
           postgres);
    side.updatedAt = r.optionalString(o, QStringLiteral("updated_at"), where, QString());
    r.name(side.updatedAt, where + QStringLiteral(".updated_at"),
           whose + QStringLiteral(" updated_at column name"), postgres);
    return side;
}

int wholeSeconds(const Reader &r, const QJsonObject &o, const QString &key, const QString &at, int fallback)
{
    if (!o.contains(key))
        return fallback;
    const QJsonValue v = o.value(key);
    const double seconds = v.toDouble(-1);
    if (!v.isDouble() || !(seconds >= 1 && seconds <= 86400) || seconds != std::floor(seconds))
        r.fail(at + u'.' + key, QStringLiteral("must be a whole number of seconds between 1 and 86400"));
    return int(seconds);
}

ProbeSpec readProbe(const Reader &r, const QJsonValue &v, const QString &at, const Workspace &ws,
                    const FlowSpec &flow)
{
    const QJsonObject o = r.object(v, at);
    r.onlyKeys(o, at, {QStringLiteral("table"), QStringLiteral("schema"), QStringLiteral("target_table"),
                       QStringLiteral("target_schema"), QStringLiteral("id"),
                       QStringLiteral("interval_seconds"), QStringLiteral("stall_after_seconds")});
    for (const FlowSide *side : {&flow.source, &flow.target}) {
        if (ws.system(side->system)->kind == SystemKind::Http)
            r.fail(at, QStringLiteral("system '%1' is an HTTP system; probes are written and read on "
                                      "PostgreSQL and SQLite systems")
                           .arg(side->system));
    }
    ProbeSpec p;
    p.sourceTable.name = r.string(o.value(u"table"), at + QStringLiteral(".table"));
    p.sourceTable.schema = r.optionalString(o, QStringLiteral("schema"), at, QString());
    p.targetTable.name = r.optionalString(o, QStringLiteral("target_table"), at, p.sourceTable.name);
    p.targetTable.schema = r.optionalString(o, QStringLiteral("target_schema"), at, p.sourceTable.schema);
    const bool pgSource = ws.system(flow.source.system)->kind == SystemKind::Postgres;
    const bool pgTarget = ws.system(flow.target.system)->kind == SystemKind::Postgres;
    r.name(p.sourceTable.name, at + QStringLiteral(".table"), QStringLiteral("probe table name"), pgSource);
    r.name(p.sourceTable.schema, at + QStringLiteral(".schema"), QStringLiteral("probe schema name"), pgSource);
    r.name(p.targetTable.name, at + QStringLiteral(".target_table"), QStringLiteral("probe table name"), pgTarget);
    r.name(p.targetTable.schema, at + QStringLiteral(".target_schema"), QStringLiteral("probe schema name"), pgTarget);
    for (const FlowSide *side : {&flow.source, &flow.target}) {
        const TableRef &probe = side == &flow.source ? p.sourceTable : p.targetTable;
        if (probe.name == side->table.name && probe.schema == side->table.schema)
            r.fail(at, QStringLiteral("the probe table must not be the flow's own table '%1': probe "
                                      "rows are never business records")
                           .arg(side->table.display()));
    }
    p.id = r.optionalString(o, QStringLiteral("id"), at, flow.name);
    p.intervalSeconds = wholeSeconds(r, o, QStringLiteral("interval_seconds"), at, 30);
    p.stallAfterSeconds = wholeSeconds(r, o, QStringLiteral("stall_after_seconds"), at, p.intervalSeconds);
    return p;
}

QString keyNames(const FlowSpec &f, bool source)
{
    QStringList names;
    for (const ColumnPair &k : f.key)
        names << k.name(source);
    return names.join(QStringLiteral(", "));
}

FlowSpec readFlow(const Reader &r, const QJsonValue &v, const QString &at, const Workspace &ws)
{
    const QJsonObject o = r.object(v, at);
    r.onlyKeys(o, at, {QStringLiteral("name"), QStringLiteral("source"), QStringLiteral("target"),
                       QStringLiteral("key"), QStringLiteral("fields"), QStringLiteral("direction"),
                       QStringLiteral("sla_seconds"), QStringLiteral("policy"),
                       QStringLiteral("policy_mode"), QStringLiteral("description"),
                       QStringLiteral("probe")});
    FlowSpec f;
    f.name = r.string(o.value(u"name"), at + QStringLiteral(".name"));
    r.name(f.name, at + QStringLiteral(".name"), QStringLiteral("flow name"), false);
    f.source = readSide(r, o, QStringLiteral("source"), at, ws, f.name);
    f.target = readSide(r, o, QStringLiteral("target"), at, ws, f.name);
    const NameContext names{QStringLiteral("flow '%1': ").arg(f.name),
                            ws.system(f.source.system)->kind == SystemKind::Postgres,
                            ws.system(f.target.system)->kind == SystemKind::Postgres};
    f.key = columns(r, o.value(u"key"), at + QStringLiteral(".key"), true, names,
                    QStringLiteral("key column"));
    f.fields = columns(r, o.value(u"fields"), at + QStringLiteral(".fields"), false, names,
                       QStringLiteral("field"));
    for (const bool source : {true, false}) {
        const FlowSide &side = f.side(source);
        if (ws.system(side.system)->kind != SystemKind::Http)
            continue;
        // Every {placeholder} of an item path must name a key member: a misspelt one would stay
        // in the path as text, and every live read would find no record.
        static const QRegularExpression placeholder(QStringLiteral("\\{([^{}]*)\\}"));
        for (auto it = placeholder.globalMatch(side.table.http->item); it.hasNext();) {
            const QString name = it.next().captured(1);
            bool known = name == u"key" && f.key.size() == 1;
            for (const ColumnPair &k : f.key)
                known = known || k.name(source) == name;
            if (!known)
                r.fail(at + (source ? QStringLiteral(".source.item") : QStringLiteral(".target.item")),
                       QStringLiteral("{%1} names no key member (the key is %2)")
                           .arg(name, keyNames(f, source)));
        }
        if (f.key.size() > 1 && side.table.http->item.isEmpty())
            r.fail(at + (source ? QStringLiteral(".source") : QStringLiteral(".target")),
                   QStringLiteral("needs \"item\" (the record's path with a {member} for each key "
                                  "member): the key has %1 members").arg(f.key.size()));
    }
    for (qsizetype i = 0; i < f.fields.size(); ++i) {
        for (const ColumnPair &k : f.key) {
            if (k.source == f.fields[i].source || k.target == f.fields[i].target)
                r.fail(QStringLiteral("%1.fields[%2]").arg(at).arg(i),
                       QStringLiteral("'%1' is already part of the key").arg(f.fields[i].source));
        }
    }

    const QString direction =
        r.optionalString(o, QStringLiteral("direction"), at, QStringLiteral("one-way"));
    if (direction == u"one-way")
        f.direction = Direction::OneWay;
    else if (direction == u"two-way")
        f.direction = Direction::TwoWay;
    else
        r.fail(at + QStringLiteral(".direction"),
               QStringLiteral("unknown direction '%1' (expected one-way or two-way)")
                   .arg(direction));

    if (o.contains(u"sla_seconds")) {
        const QJsonValue sla = o.value(u"sla_seconds");
        const double seconds = sla.toDouble(-1);
        if (!sla.isDouble() || !(seconds >= 1 && seconds <= 365.0 * 86400)
            || seconds != std::floor(seconds))
            r.fail(at + QStringLiteral(".sla_seconds"),
                   QStringLiteral("must be a whole number of seconds between 1 and 31536000"));
        f.slaSeconds = int(seconds);
    }

    const QString policy =
        r.optionalString(o, QStringLiteral("policy"), at, QStringLiteral("manual"));
    if (const std::optional<Policy> p = policyFromName(policy))
        f.policy = *p;
    else
        r.fail(at + QStringLiteral(".policy"),
               QStringLiteral("unknown policy '%1' (expected manual, source-wins, target-wins, "
                              "newest-wins or merge-fields)")
                   .arg(policy));
    const QString mode =
        r.optionalString(o, QStringLiteral("policy_mode"), at, QStringLiteral("active"));
    if (mode != u"active" && mode != u"dry-run")
        r.fail(at + QStringLiteral(".policy_mode"),
               QStringLiteral("unknown policy mode '%1' (expected active or dry-run)").arg(mode));
    if (mode == u"dry-run" && f.policy == Policy::Manual)
        r.fail(at + QStringLiteral(".policy_mode"),
               QStringLiteral("a dry run needs a policy other than manual to try"));
    f.policyDryRun = mode == u"dry-run";
    if (o.contains(u"probe"))
        f.probe = readProbe(r, o.value(u"probe"), at + QStringLiteral(".probe"), ws, f);
    return f;
}

QString defaultStatePath(const QFileInfo &file)
{
    QString base = file.fileName();
    if (base.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        base.chop(5);
    return file.absoluteDir().absoluteFilePath(base + QStringLiteral(".state.db"));
}

QString stateStore(const Reader &r, const QString &state, const QDir &base, const QString &at)
{
    if (state.isEmpty())
        r.fail(at, QStringLiteral("is empty; name a file or a postgresql:// URI"));
    const bool uri = isStateUri(state);
    if (uri)
        checkConninfo(r, state, at);
    else
        r.path(state, at, QStringLiteral("the state store path"));
    return uri ? state : QDir::cleanPath(base.absoluteFilePath(state));
}

} // namespace

void WorkspaceLoader::overrideState(Workspace &ws, const QString &state)
{
    ws.state = stateStore(Reader(QStringLiteral("--state")), state, QDir::current(),
                          QStringLiteral("the state store"));
}

Workspace WorkspaceLoader::load(const QString &path)
{
    QFile file(path);
    if (!QFileInfo(path).isFile())
        throw SyncError(QStringLiteral("%1: workspace file not found").arg(path));
    if (!file.open(QIODevice::ReadOnly))
        throw SyncError(QStringLiteral("%1: cannot read workspace file: %2")
                            .arg(path, file.errorString()));
    return parse(file.readAll(), path);
}

Workspace WorkspaceLoader::parse(const QByteArray &json, const QString &path)
{
    const Reader r(path);
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        const QByteArray upTo = json.left(error.offset);
        const qsizetype line = upTo.count('\n') + 1;
        const qsizetype column = error.offset - (upTo.lastIndexOf('\n') + 1) + 1;
        throw SyncError(QStringLiteral("%1: line %2, column %3: not valid JSON: %4")
                            .arg(path).arg(line).arg(column).arg(error.errorString()));
    }
    // Qt keeps the last of two equal member names; the file would then mean something its
    // author may not see, so it is refused before any value is read.
    if (const auto duplicate = JsonDuplicateCheck::find(json))
        r.fail(duplicate->location,
               QStringLiteral("duplicate member \"%1\" (only one of the values would be used)")
                   .arg(duplicate->name));
    if (!doc.isObject())
        r.fail(QStringLiteral("$"), QStringLiteral("the workspace must be a JSON object"));
    const QJsonObject root = doc.object();
    r.onlyKeys(root, QStringLiteral("$"),
               {QStringLiteral("version"), QStringLiteral("state"), QStringLiteral("systems"),
                QStringLiteral("flows"), QStringLiteral("operator"), QStringLiteral("claim_minutes")});

    const QFileInfo info(path);
    const QDir base = info.absoluteDir();
    Workspace ws;
    ws.filePath = info.absoluteFilePath();

    const QJsonValue version = root.value(u"version");
    if (version.isUndefined())
        r.fail(QStringLiteral("$.version"), QStringLiteral("missing (this syncdesk reads version 1)"));
    if (!version.isDouble() || version.toDouble() != double(version.toInt()))
        r.fail(QStringLiteral("$.version"),
               QStringLiteral("must be an integer, found %1").arg(typeName(version)));
    if (version.toInt() != 1)
        r.fail(QStringLiteral("$.version"),
               QStringLiteral("unsupported version %1 (this syncdesk reads version 1)")
                   .arg(version.toInt()));
    ws.version = 1;

    if (root.contains(u"state")) {
        const QString state = r.string(root.value(u"state"), QStringLiteral("$.state"));
        ws.state = stateStore(r, state, base, QStringLiteral("$.state"));
    } else {
        ws.state = defaultStatePath(info);
    }

    if (root.contains(u"claim_minutes")) {
        const QJsonValue minutes = root.value(u"claim_minutes");
        const double n = minutes.toDouble(-1);
        if (!minutes.isDouble() || !(n >= 1 && n <= 7 * 24 * 60) || n != std::floor(n))
            r.fail(QStringLiteral("$.claim_minutes"),
                   QStringLiteral("must be a whole number of minutes between 1 and 10080 (a week)"));
        ws.claimMinutes = int(n);
    }

    const QJsonArray systems = r.array(root.value(u"systems"), QStringLiteral("$.systems"));
    for (qsizetype i = 0; i < systems.size(); ++i) {
        const QString at = QStringLiteral("$.systems[%1]").arg(i);
        SystemSpec s = readSystem(r, systems[i], at, base);
        if (ws.system(s.name))
            r.fail(at + QStringLiteral(".name"),
                   QStringLiteral("duplicate system name '%1'").arg(s.name));
        ws.systems.append(std::move(s));
    }

    const QJsonArray flows = r.array(root.value(u"flows"), QStringLiteral("$.flows"));
    for (qsizetype i = 0; i < flows.size(); ++i) {
        const QString at = QStringLiteral("$.flows[%1]").arg(i);
        FlowSpec f = readFlow(r, flows[i], at, ws);
        if (ws.flow(f.name))
            r.fail(at + QStringLiteral(".name"),
                   QStringLiteral("duplicate flow name '%1'").arg(f.name));
        ws.flows.append(std::move(f));
    }
    // A PostgreSQL system polled for changes needs every flow side on it to say what to poll.
    for (qsizetype i = 0; i < ws.flows.size(); ++i) {
        for (const bool source : {true, false}) {
            const FlowSide &side = ws.flows[i].side(source);
            const SystemSpec *system = ws.system(side.system);
            // A change names one document id, which is the record's key.
            if (system->kind == SystemKind::Http && !side.table.http->changes.isEmpty()
                && ws.flows[i].key.size() != 1)
                r.fail(QStringLiteral("$.flows[%1].%2.changes").arg(i).arg(source ? QStringLiteral("source")
                                                                                  : QStringLiteral("target")),
                       QStringLiteral("needs a key of one member: each change names one document id"));
            if (system->kind == SystemKind::Http && system->feed == u"polling"
                && side.table.http->updatedSinceParam.isEmpty())
                r.fail(QStringLiteral("$.flows[%1].%2").arg(i).arg(source ? QStringLiteral("source")
                                                                          : QStringLiteral("target")),
                       QStringLiteral("needs \"updated_at\" and \"updated_since_param\": system '%1' "
                                      "is followed by polling").arg(system->name));
            if (system->kind == SystemKind::Postgres && system->feed == u"polling"
                && side.updatedAt.isEmpty())
                r.fail(QStringLiteral("$.flows[%1].%2").arg(i).arg(source ? QStringLiteral("source")
                                                                          : QStringLiteral("target")),
                       QStringLiteral("needs \"updated_at\": system '%1' is followed by polling")
                           .arg(system->name));
        }
    }
    return ws;
}

} // namespace syncdesk

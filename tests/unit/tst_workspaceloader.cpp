// Unit tests for reading and validating workspace files (DESIGN.md, Contract).

#include "model/SyncError.h"
#include "model/Workspace.h"
#include "model/WorkspaceLoader.h"
#include "model/WorkspaceWriter.h"

#include "CliRun.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QObject>
#include <QStringList>
#include <QTemporaryDir>
#include <QtTest>

#include <initializer_list>

namespace syncdesk {

// Declared before the fixtures: moc loses track of the namespace when it reads the braces
// inside the raw-string JSON below.
class WorkspaceLoaderTest : public QObject
{
    Q_OBJECT

private slots:
    void shouldRejectInvalidWorkspaceWithOneClearMessage_data();
    void shouldRejectInvalidWorkspaceWithOneClearMessage();

    void shouldReadContractExample();
    void shouldPlaceDefaultStateBesideTheFile();
    void shouldResolveRelativePathsAgainstTheFile();
    void shouldKeepPostgresStateUriVerbatim();
    void shouldSplitSchemaFromTableName();
    void shouldKeepTableNameVerbatimWithExplicitSchema();
    void shouldMapFieldObjectsToSourceAndTargetNames();
    void shouldApplyDefaultsForOptionalFlowSettings();
    void shouldReadExplicitFlowSettings();
    void shouldAcceptKeysReservedForLaterParts();
    void shouldReadTheContractsHttpSystemAndWriteItBack();
    void shouldAcceptOneMemberNameInSeveralObjects();
    void shouldAcceptPostgresNamesUpTo63Bytes();
    void shouldAcceptLongNamesWherePostgresDoesNotReadThem();

    void shouldNameTheFileWhenItIsMissing();
    void shouldNameTheFileWhenItIsNotJson();
    void shouldLoadAValidFileAndAnchorPathsToIt();
    void shouldRefuseASqlitePathThatIsADirectory();

    void shouldRefuseWithExitTwoAndOneStderrLineFromTheCli_data();
    void shouldRefuseWithExitTwoAndOneStderrLineFromTheCli();
};

namespace {

const QString kPath = QStringLiteral("/tmp/ws/test.json");

// Fixture text: a list of substrings (plain ASCII), written compactly in data rows.
QStringList words(std::initializer_list<const char *> list)
{
    QStringList out;
    for (const char *w : list)
        out.append(QString::fromUtf8(w));
    return out;
}

const char kSystems[] = R"({"name": "src", "kind": "postgres",
                             "conninfo": "host=127.0.0.1 port=5432 dbname=warehouse"},
                            {"name": "dst", "kind": "sqlite", "path": "sales.db"})";

// A valid workspace around the given systems and flows (JSON array contents).
QByteArray workspace(const QByteArray &systems, const QByteArray &flows)
{
    return R"({"version": 1, "systems": [)" + systems + R"(], "flows": [)" + flows + "]}";
}

// A valid flow; `key` and `fields` replace the defaults, `extra` adds members (",\"a\": 1").
QByteArray flow(const QByteArray &key = R"(["sku"])",
                const QByteArray &fields = R"(["model", "grade"])", const QByteArray &extra = {})
{
    return R"({"name": "devices",
               "source": {"system": "src", "table": "devices"},
               "target": {"system": "dst", "table": "devices"},
               "key": )" + key + R"(, "fields": )" + fields + extra + "}";
}

QByteArray flowWithSides(const QByteArray &source, const QByteArray &target)
{
    return R"({"name": "devices", "source": )" + source + R"(, "target": )" + target
           + R"(, "key": ["sku"], "fields": ["model"]})";
}

QByteArray withSystems(const QByteArray &systems)
{
    return workspace(systems, flow());
}

QByteArray withFlow(const QByteArray &flowJson)
{
    return workspace(kSystems, flowJson);
}

QByteArray postgresSystem(const QByteArray &conninfo)
{
    return R"({"name": "src", "kind": "postgres", "conninfo": ")" + conninfo
           + R"("}, {"name": "dst", "kind": "sqlite", "path": "sales.db"})";
}

const char kContractExample[] = R"({"version": 1,
 "state": "state.db",
 "systems": [
   {"name": "src", "kind": "postgres", "conninfo": "host=127.0.0.1 port=5432 dbname=warehouse"},
   {"name": "dst", "kind": "sqlite", "path": "sales.db"}],
 "flows": [
   {"name": "devices",
    "source": {"system": "src", "table": "devices"},
    "target": {"system": "dst", "table": "devices"},
    "key": ["sku"],
    "fields": ["model", "grade", "status", "price_cents", "qty"],
    "direction": "one-way", "sla_seconds": 300, "policy": "manual"}]})";

// Parses `json`, expecting it to fail; returns the message ("" if it parsed).
QString parseError(const QByteArray &json)
{
    try {
        (void)WorkspaceLoader::parse(json, kPath);
    } catch (const SyncError &e) {
        return e.message();
    }
    return {};
}

// A long name: `count` copies of `unit` (ASCII, or one multi-byte UTF-8 character).
QByteArray longName(int count, const QByteArray &unit = "a")
{
    return unit.repeated(count);
}

QString loadError(const QString &path)
{
    try {
        (void)WorkspaceLoader::load(path);
    } catch (const SyncError &e) {
        return e.message();
    }
    return {};
}

} // namespace

// ---- errors -------------------------------------------------------------------------------

void WorkspaceLoaderTest::shouldRejectInvalidWorkspaceWithOneClearMessage_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("mustContain");
    QTest::addColumn<QStringList>("mustNotContain");

    const QStringList none;

    // Document level
    QTest::newRow("not JSON") << QByteArray("{\"version\": 1,\n \"systems\": [}")
                              << words({"line 2, column ", "not valid JSON"}) << none;
    QTest::newRow("root not object") << QByteArray("[1, 2]")
                                     << words({"$:", "must be a JSON object"}) << none;
    QTest::newRow("missing version") << QByteArray(R"({"systems": [], "flows": []})")
                                     << words({"$.version", "missing"}) << none;
    QTest::newRow("version 2 unsupported")
        << QByteArray(R"({"version": 2, "systems": [], "flows": []})")
        << words({"$.version", "unsupported version 2"}) << none;
    QTest::newRow("version fractional")
        << QByteArray(R"({"version": 1.5, "systems": [], "flows": []})")
        << words({"$.version", "must be an integer", "a number"}) << none;
    QTest::newRow("version string")
        << QByteArray(R"({"version": "1", "systems": [], "flows": []})")
        << words({"$.version", "must be an integer", "a string"}) << none;
    QTest::newRow("unknown root key")
        << QByteArray(R"({"version": 1, "systems": [], "flows": [], "flow": []})")
        << words({"$.flow", "unknown key"}) << none;
    QTest::newRow("state URI with password")
        << QByteArray(R"({"version": 1, "state": "postgresql://u:secret@h/db",
                          "systems": [], "flows": []})")
        << words({"$.state", "contains a password"}) << words({"secret"});
    QTest::newRow("state not a string")
        << QByteArray(R"({"version": 1, "state": 5, "systems": [], "flows": []})")
        << words({"$.state", "must be a string", "a number"}) << none;

    // Systems
    QTest::newRow("systems not array")
        << QByteArray(R"({"version": 1, "systems": {}, "flows": []})")
        << words({"$.systems", "must be an array", "an object"}) << none;
    QTest::newRow("systems missing") << QByteArray(R"({"version": 1, "flows": []})")
                                     << words({"$.systems", "must be an array"}) << none;
    QTest::newRow("system not object") << withSystems(R"("src")")
                                       << words({"$.systems[0]", "must be an object",
                                                 "a string"})
                                       << none;
    QTest::newRow("system name missing")
        << withSystems(R"({"kind": "sqlite", "path": "a.db"})")
        << words({"$.systems[0].name", "must be a string", "missing"}) << none;
    QTest::newRow("system name empty")
        << withSystems(R"({"name": "", "kind": "sqlite", "path": "a.db"})")
        << words({"$.systems[0].name", "must not be empty"}) << none;
    QTest::newRow("unknown kind")
        << withSystems(R"({"name": "src", "kind": "mysql", "path": "a.db"})")
        << words({"$.systems[0].kind", "unknown kind 'mysql'"}) << none;
    QTest::newRow("duplicate system name")
        << withSystems(R"({"name": "src", "kind": "sqlite", "path": "a.db"},
                          {"name": "src", "kind": "sqlite", "path": "b.db"})")
        << words({"$.systems[1].name", "duplicate system name 'src'"}) << none;
    QTest::newRow("postgres without conninfo")
        << withSystems(R"({"name": "src", "kind": "postgres"})")
        << words({"$.systems[0].conninfo", "must be a string"}) << none;
    QTest::newRow("conninfo with password keyword")
        << withSystems(postgresSystem("host=db.example dbname=w password=secret"))
        << words({"$.systems[0].conninfo", "contains a password"}) << words({"secret"});
    QTest::newRow("conninfo with password in URI")
        << withSystems(postgresSystem("postgresql://u:secret@h/db"))
        << words({"$.systems[0].conninfo", "contains a password"}) << words({"secret"});
    QTest::newRow("conninfo with password as URI parameter")
        << withSystems(postgresSystem("postgresql://u@h/db?password=secret"))
        << words({"$.systems[0].conninfo", "contains a password"}) << words({"secret"});
    QTest::newRow("invalid conninfo")
        << withSystems(postgresSystem("host=h dbname"))
        << words({"$.systems[0].conninfo", "not a valid libpq connection string"}) << none;
    QTest::newRow("invalid conninfo with password keyword")
        << withSystems(postgresSystem("password=secret host"))
        << words({"$.systems[0].conninfo", "not a valid libpq connection string"})
        << words({"secret"});
    // libpq's URI parse errors quote the whole URI; the password must still not show.
    QTest::newRow("invalid URI with password")
        << withSystems(postgresSystem("postgresql://u:secret@[::1/db"))
        << words({"$.systems[0].conninfo", "not a valid libpq connection string"})
        << words({"secret"});
    QTest::newRow("invalid percent-encoding in URI password")
        << withSystems(postgresSystem("postgresql://u:secret%zz@h/db"))
        << words({"$.systems[0].conninfo", "not a valid libpq connection string"})
        << words({"secret"});
    QTest::newRow("sqlite without path")
        << withSystems(R"({"name": "src", "kind": "postgres", "conninfo": "dbname=w"},
                          {"name": "dst", "kind": "sqlite"})")
        << words({"$.systems[1].path", "must be a string"}) << none;
    QTest::newRow("unknown system key")
        << withSystems(R"({"name": "src", "kind": "postgres", "conninf": "dbname=w"},
                          {"name": "dst", "kind": "sqlite", "path": "sales.db"})")
        << words({"$.systems[0].conninf", "unknown key"}) << none;
    QTest::newRow("path on a postgres system")
        << withSystems(R"({"name": "src", "kind": "postgres", "conninfo": "dbname=w",
                           "path": "x.db"}, {"name": "dst", "kind": "sqlite", "path": "s.db"})")
        << words({"$.systems[0].path", "unknown key"}) << none;

    // Flows
    QTest::newRow("flows not array")
        << workspace(kSystems, "").replace(R"("flows": [])", R"("flows": "devices")")
        << words({"$.flows", "must be an array", "a string"}) << none;
    QTest::newRow("flow not object") << withFlow(R"(["devices"])")
                                     << words({"$.flows[0]", "must be an object"}) << none;
    QTest::newRow("flow names missing system")
        << withFlow(flowWithSides(R"({"system": "src", "table": "devices"})",
                                  R"({"system": "nowhere", "table": "devices"})"))
        << words({"$.flows[0].target.system", "'nowhere'", "not defined"}) << none;
    QTest::newRow("flow side not object")
        << withFlow(flowWithSides(R"("src.devices")", R"({"system": "dst", "table": "d"})"))
        << words({"$.flows[0].source", "must be an object"}) << none;
    QTest::newRow("key empty array") << withFlow(flow("[]"))
                                     << words({"$.flows[0].key", "at least one column"})
                                     << none;
    QTest::newRow("key not an array") << withFlow(flow(R"("sku")"))
                                      << words({"$.flows[0].key", "must be an array",
                                                "a string"})
                                      << none;
    QTest::newRow("key missing")
        << withFlow(flow("[]").replace(R"("key": [], )", ""))
        << words({"$.flows[0].key", "must be an array", "missing"}) << none;
    QTest::newRow("key entry number") << withFlow(flow("[1]"))
                                      << words({"$.flows[0].key[0]", "must be a column name",
                                                "a number"})
                                      << none;
    QTest::newRow("key entry empty") << withFlow(flow(R"([""])"))
                                     << words({"$.flows[0].key[0]", "must not be empty"})
                                     << none;
    QTest::newRow("duplicate column in fields")
        << withFlow(flow(R"(["sku"])", R"(["model", "grade", "model"])"))
        << words({"$.flows[0].fields[2]", "'model'", "listed twice"}) << none;
    QTest::newRow("duplicate target in mapped fields")
        << withFlow(flow(R"(["sku"])",
                         R"(["model", {"source": "grade", "target": "model"}])"))
        << words({"$.flows[0].fields[1]", "listed twice"}) << none;
    QTest::newRow("duplicate column in key")
        << withFlow(flow(R"(["sku", "sku"])"))
        << words({"$.flows[0].key[1]", "'sku'", "listed twice"}) << none;
    QTest::newRow("field also in key")
        << withFlow(flow(R"(["sku"])", R"(["model", "sku"])"))
        << words({"$.flows[0].fields[1]", "'sku'", "already part of the key"}) << none;
    QTest::newRow("fields not array") << withFlow(flow(R"(["sku"])", R"({"model": 1})"))
                                      << words({"$.flows[0].fields", "must be an array",
                                                "an object"})
                                      << none;
    QTest::newRow("field object without target")
        << withFlow(flow(R"(["sku"])", R"([{"source": "model"}])"))
        << words({"$.flows[0].fields[0].target", "must be a string"}) << none;
    QTest::newRow("field object with unknown key")
        << withFlow(flow(R"(["sku"])", R"([{"source": "a", "target": "b", "as": "c"}])"))
        << words({"$.flows[0].fields[0].as", "unknown key"}) << none;
    QTest::newRow("bad direction")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "direction": "both")"))
        << words({"$.flows[0].direction", "unknown direction 'both'"}) << none;
    QTest::newRow("direction not a string")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "direction": 2)"))
        << words({"$.flows[0].direction", "must be a string"}) << none;
    for (const char *sla : {"0", "-5", "1.5", "\"300\"", "31536001", "null"}) {
        QTest::addRow("sla_seconds %s", sla)
            << withFlow(flow(R"(["sku"])", R"(["model"])",
                             QByteArray(R"(, "sla_seconds": )") + sla))
            << words({"$.flows[0].sla_seconds", "whole number of seconds"}) << none;
    }
    for (const char *minutes : {"0", "10081", "2.5", "\"30\""}) {
        QTest::addRow("claim_minutes %s", minutes)
            << QByteArray(R"({"version": 1, "claim_minutes": )") + minutes + R"(, "systems": [], "flows": []})"
            << words({"$.claim_minutes", "whole number of minutes"}) << none;
    }
    QTest::newRow("bad policy")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "policy": "newest")"))
        << words({"$.flows[0].policy", "unknown policy 'newest'"}) << none;
    QTest::newRow("probe on the flow's own table")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "probe": {"table": "devices"})"))
        << words({"$.flows[0].probe", "must not be the flow's own table 'devices'"}) << none;
    QTest::newRow("probe without a table")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "probe": {"id": "x"})"))
        << words({"$.flows[0].probe.table", "must be a string"}) << none;
    QTest::newRow("probe interval of zero")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "probe": {"table": "p", "interval_seconds": 0})"))
        << words({"$.flows[0].probe.interval_seconds", "whole number of seconds"}) << none;
    QTest::newRow("probe key misspelt")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "probe": {"table": "p", "every": 5})"))
        << words({"$.flows[0].probe.every", "unknown key"}) << none;
    const QByteArray httpSystems = R"({"name": "src", "kind": "http", "base_url": "http://127.0.0.1:1"},
                                      {"name": "dst", "kind": "sqlite", "path": "sales.db"})";
    auto httpFlow = [](const QByteArray &sourceExtra, const QByteArray &key = R"(["sku"])",
                       const QByteArray &flowExtra = {}) {
        return R"({"name": "devices", "source": {"system": "src", "resource": "devices")" + sourceExtra
               + R"(}, "target": {"system": "dst", "table": "devices"}, "key": )" + key
               + R"(, "fields": ["model"])" + flowExtra + "}";
    };
    QTest::newRow("http changes feed with a composite key")
        << workspace(httpSystems, httpFlow(R"(, "changes": "db/_changes", "item": "db/{sku}/{site}")", R"(["sku", "site"])"))
        << words({"$.flows[0].source.changes", "key of one member"}) << none;
    QTest::newRow("probe on an HTTP system")
        << workspace(httpSystems, httpFlow({}, R"(["sku"])", R"(, "probe": {"table": "p"})"))
        << words({"$.flows[0].probe", "system 'src' is an HTTP system"}) << none;
    QTest::newRow("http without base_url")
        << workspace(R"({"name": "src", "kind": "http", "url": "http://127.0.0.1:1"},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.systems[0].url", "unknown key"}) << none;
    QTest::newRow("http base_url with a password")
        << workspace(R"({"name": "src", "kind": "http", "base_url": "https://ana:hunter2@crm.example"},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.systems[0].base_url", "secrets never live in the workspace file"})
        << words({"hunter2"});
    QTest::newRow("http base_url not http")
        << workspace(R"({"name": "src", "kind": "http", "base_url": "ftp://crm.example"},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.systems[0].base_url", "not an http:// or https:// URL"}) << none;
    QTest::newRow("http header neither text nor env")
        << workspace(R"({"name": "src", "kind": "http", "base_url": "http://h", "headers": {"Authorization": {"file": "x"}}},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.systems[0].headers.Authorization.file", "unknown key"}) << none;
    QTest::newRow("http header secret from nowhere")
        << workspace(R"({"name": "src", "kind": "http", "base_url": "http://h", "headers": {"Authorization": {"prefix": "Bearer "}}},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.systems[0].headers.Authorization", "needs \"env\"", "\"keychain\""}) << none;
    QTest::newRow("http header keychain entry empty")
        << workspace(R"({"name": "src", "kind": "http", "base_url": "http://h", "headers": {"Authorization": {"keychain": ""}}},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.systems[0].headers.Authorization.keychain"}) << none;
    QTest::newRow("http webhook secret from nowhere")
        << workspace(httpSystems, httpFlow(R"(, "webhook": {"listen": "127.0.0.1:8088", "path": "/h", "secret": {}})"))
        << words({"$.flows[0].source.webhook.secret", "{\"keychain\": ENTRY}"}) << none;
    QTest::newRow("http secret header as text")
        << workspace(R"({"name": "src", "kind": "http", "base_url": "http://h", "headers": {"X-Api-Key": "hunter2-key"}},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.systems[0].headers.X-Api-Key", "carries credentials", "{\"env\""})
        << words({"hunter2-key"});
    QTest::newRow("http rate of zero")
        << workspace(R"({"name": "src", "kind": "http", "base_url": "http://h", "max_requests_per_second": 0},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.systems[0].max_requests_per_second", "above 0"}) << none;
    QTest::newRow("http side with a table")
        << workspace(httpSystems, httpFlow(R"(, "table": "devices")"))
        << words({"$.flows[0].source.table", "unknown key"}) << none;
    QTest::newRow("http records not a pointer")
        << workspace(httpSystems, httpFlow(R"(, "records": "data")"))
        << words({"$.flows[0].source.records", "not a JSON pointer"}) << none;
    QTest::newRow("http unknown page style")
        << workspace(httpSystems, httpFlow(R"(, "page": {"style": "infinite"})"))
        << words({"$.flows[0].source.page.style", "unknown page style 'infinite'"}) << none;
    QTest::newRow("http page key of another style")
        << workspace(httpSystems, httpFlow(R"(, "page": {"style": "link", "page_param": "p"})"))
        << words({"$.flows[0].source.page.page_param", "unknown key"}) << none;
    QTest::newRow("http cursor without cursor_at")
        << workspace(httpSystems, httpFlow(R"(, "page": {"style": "cursor"})"))
        << words({"$.flows[0].source.page.cursor_at", "JSON pointer to the next cursor"}) << none;
    QTest::newRow("http since without updated_at")
        << workspace(httpSystems, httpFlow(R"(, "updated_since_param": "since")"))
        << words({"$.flows[0].source.updated_since_param", "needs \"updated_at\""}) << none;
    QTest::newRow("http write unknown update")
        << workspace(httpSystems, httpFlow(R"(, "write": {"update": "post"})"))
        << words({"$.flows[0].source.write.update", "unknown update method 'post'"}) << none;
    QTest::newRow("http write version without member")
        << workspace(httpSystems, httpFlow(R"(, "write": {"condition": "version"})"))
        << words({"$.flows[0].source.write.version", "needs the member the server checks"}) << none;
    QTest::newRow("http write version member without condition")
        << workspace(httpSystems, httpFlow(R"(, "write": {"version": "_rev"})"))
        << words({"$.flows[0].source.write.version", "only with \"condition\": \"version\""}) << none;
    QTest::newRow("http write unknown key")
        << workspace(httpSystems, httpFlow(R"(, "write": {"conditon": "etag"})"))
        << words({"$.flows[0].source.write", "conditon"}) << none;
    QTest::newRow("http webhook without path")
        << workspace(httpSystems, httpFlow(R"(, "webhook": {"listen": "127.0.0.1:8088"})"))
        << words({"$.flows[0].source.webhook.path", "must be a string"}) << none;
    QTest::newRow("http webhook literal secret")
        << workspace(httpSystems, httpFlow(R"(, "webhook": {"listen": "127.0.0.1:8088", "path": "/h", "secret": "whsec_abc"})"))
        << words({"$.flows[0].source.webhook.secret", "read from the environment"}) << none;
    QTest::newRow("http webhook listen not an address")
        << workspace(httpSystems, httpFlow(R"(, "webhook": {"listen": "crm.example:8088", "path": "/h", "secret": {"env": "S"}})"))
        << words({"$.flows[0].source.webhook.listen", "IP address and port"}) << none;
    QTest::newRow("http webhook unknown scheme")
        << workspace(httpSystems, httpFlow(R"(, "webhook": {"listen": "127.0.0.1:8088", "path": "/h", "secret": {"env": "S"}, "scheme": "svix"})"))
        << words({"$.flows[0].source.webhook.scheme", "unknown scheme 'svix'"}) << none;
    QTest::newRow("http webhook path without slash")
        << workspace(httpSystems, httpFlow(R"(, "webhook": {"listen": "127.0.0.1:8088", "path": "hooks", "secret": {"env": "S"}})"))
        << words({"$.flows[0].source.webhook.path", "starting with '/'"}) << none;
    QTest::newRow("http item placeholder misspelt")
        << workspace(httpSystems, httpFlow(R"(, "item": "devices/{SKU}")"))
        << words({"$.flows[0].source.item", "{SKU} names no key member (the key is sku)"}) << none;
    QTest::newRow("http composite key without item")
        << workspace(httpSystems, httpFlow({}, R"(["sku", "site"])"))
        << words({"$.flows[0].source", "needs \"item\""}) << none;
    QTest::newRow("http polled without updated_since_param")
        << workspace(R"({"name": "src", "kind": "http", "base_url": "http://h", "feed": "polling"},
                        {"name": "dst", "kind": "sqlite", "path": "sales.db"})", httpFlow({}))
        << words({"$.flows[0].source", "updated_since_param"}) << none;
    QTest::newRow("duplicate flow name") << withFlow(flow() + ", " + flow())
                                         << words({"$.flows[1].name",
                                                   "duplicate flow name 'devices'"})
                                         << none;
    QTest::newRow("unknown flow key (typo fileds)")
        << withFlow(R"({"name": "devices",
                        "source": {"system": "src", "table": "devices"},
                        "target": {"system": "dst", "table": "devices"},
                        "key": ["sku"], "fileds": ["model"]})")
        << words({"$.flows[0].fileds", "unknown key"}) << none;
    QTest::newRow("unknown side key")
        << withFlow(flowWithSides(R"({"system": "src", "tabel": "devices"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << words({"$.flows[0].source.tabel", "unknown key"}) << none;
    QTest::newRow("table with two dots")
        << withFlow(flowWithSides(R"({"system": "src", "table": "a.b.c"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << words({"$.flows[0].source.table", "'a.b.c'", "schema.table"}) << none;
    QTest::newRow("table with empty schema")
        << withFlow(flowWithSides(R"({"system": "src", "table": "devices"})",
                                  R"({"system": "dst", "table": ".devices"})"))
        << words({"$.flows[0].target.table", "'.devices'"}) << none;
    QTest::newRow("table missing")
        << withFlow(flowWithSides(R"({"system": "src"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << words({"$.flows[0].source.table", "must be a string"}) << none;

    // Duplicate members: Qt keeps the last value silently, so the file is refused instead.
    QTest::newRow("duplicate member at the top level")
        << QByteArray(R"({"version": 1, "systems": [], "flows": [], "version": 1})")
        << words({"$: duplicate member \"version\""}) << none;
    QTest::newRow("duplicate member in a system")
        << withSystems(R"({"name": "src", "kind": "postgres", "conninfo": "dbname=w"},
                          {"name": "dst", "kind": "sqlite", "path": "a.db", "path": "b.db"})")
        << words({"$.systems[1]: duplicate member \"path\""}) << none;
    QTest::newRow("duplicate member in a flow side")
        << withFlow(flowWithSides(R"({"system": "src", "table": "devices"})",
                                  R"({"system": "dst", "table": "devices", "table": "d2"})"))
        << words({"$.flows[0].target: duplicate member \"table\""}) << none;
    QTest::newRow("duplicate member in a flow")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "key": ["model"])"))
        << words({"$.flows[0]: duplicate member \"key\""}) << none;
    QTest::newRow("duplicate member in a field object")
        << withFlow(flow(R"(["sku"])", R"(["model", {"source": "a", "target": "b", "target": "c"}])"))
        << words({"$.flows[0].fields[1]: duplicate member \"target\""}) << none;
    QTest::newRow("duplicate member nested deep")
        << withFlow(flow(R"(["sku"])", R"(["model"])",
                         R"(, "description": {"notes": [1, [], {"x": {"y": 1, "z": [2], "y": {}}}]})"))
        << words({"$.flows[0].description.notes[2].x: duplicate member \"y\""}) << none;
    QTest::newRow("duplicate member spelt with a \\u escape")
        << withFlow(flowWithSides(R"({"system": "src", "table": "devices", "t\u0061ble": "d2"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << words({"$.flows[0].source: duplicate member \"table\""}) << none;
    QTest::newRow("duplicate member spelt with a surrogate pair")
        << withFlow(flow(R"(["sku"])", R"(["model"])",
                         "\n, \"description\": {\"k\xF0\x9F\x98\x80\": 1, \"k\\ud83d\\ude00\": 2}"))
        << QStringList{QStringLiteral("$.flows[0].description: duplicate member \"k\U0001F600\"")}
        << none;
    QTest::newRow("duplicate member spelt with escaped quote and solidus")
        << withFlow(flow(R"(["sku"])", R"(["model"])",
                         R"(, "description": {"a\"/b": 1, "a\u0022\/b": 2})"))
        << words({"$.flows[0].description: duplicate member \"a\"/b\""}) << none;
    QTest::newRow("duplicate member named with a NUL stays on one line")
        << withFlow(flow(R"(["sku"])", R"(["model"])",
                         R"(, "description": {"a\u0000\n": 1, "a\u0000\u000A": 2})"))
        << words({"$.flows[0].description: duplicate member \"a\\u0000\\u000a\""}) << none;
    // The duplicate is found before any other problem, even in an array root.
    QTest::newRow("duplicate member in an array document")
        << QByteArray(R"([{"a": 1}, {"b": 1, "b": 1}])")
        << words({"$[1]: duplicate member \"b\""}) << none;

    // Control characters in names: never meant, and a NUL cuts a name short in C strings.
    QTest::newRow("NUL in a table name")
        << withFlow(flowWithSides(R"({"system": "src", "table": "dev\u0000ices"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << words({"$.flows[0].source.table: flow 'devices': source table name contains a "
                  "control character (U+0000)"})
        << none;
    QTest::newRow("U+001F in a target table name")
        << withFlow(flowWithSides(R"({"system": "src", "table": "devices"})",
                                  R"({"system": "dst", "table": "main.devices\u001f"})"))
        << words({"$.flows[0].target.table: flow 'devices': target table name contains a "
                  "control character (U+001F)"})
        << none;
    QTest::newRow("DEL in a schema name")
        << withFlow(flowWithSides(R"({"system": "src", "schema": "s\u007f", "table": "d"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << words({"$.flows[0].source.schema: flow 'devices': source schema name contains a "
                  "control character (U+007F)"})
        << none;
    QTest::newRow("raw tab in a key column name")
        << withFlow(flow("[\"s\tku\"]"))
        << words({"$.flows[0].key[0]: flow 'devices': key column name contains a control "
                  "character (U+0009)"})
        << none;
    QTest::newRow("raw NUL byte in a field name")
        << withFlow(flow(R"(["sku"])", QByteArray("[\"mo\0del\"]", 10)))
        << words({"$.flows[0].fields[0]: flow 'devices': field name contains a control "
                  "character (U+0000)"})
        << none;
    QTest::newRow("newline in a mapped target field name")
        << withFlow(flow(R"(["sku"])", R"([{"source": "a", "target": "b\n"}])"))
        << words({"$.flows[0].fields[0].target: flow 'devices': target field name contains a "
                  "control character (U+000A)"})
        << none;
    QTest::newRow("control character in updated_at")
        << withFlow(flowWithSides(R"({"system": "src", "table": "d", "updated_at": "m\u0001"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << words({"$.flows[0].source.updated_at: flow 'devices': source updated_at column name "
                  "contains a control character (U+0001)"})
        << none;
    QTest::newRow("NUL in a system name")
        << withSystems(R"({"name": "s\u0000rc", "kind": "postgres", "conninfo": "dbname=w"},
                          {"name": "dst", "kind": "sqlite", "path": "sales.db"})")
        << words({"$.systems[0].name: system name contains a control character (U+0000)"})
        << none;
    QTest::newRow("newline in a flow name")
        << withFlow(flow().replace(R"("name": "devices")", R"("name": "dev\nices")"))
        << words({"$.flows[0].name: flow name contains a control character (U+000A)"}) << none;
    QTest::newRow("NUL in a sqlite path")
        << withSystems(R"({"name": "src", "kind": "postgres", "conninfo": "dbname=w"},
                          {"name": "dst", "kind": "sqlite", "path": "sales.db\u0000.bak"})")
        << words({"$.systems[1].path: system 'dst' (sqlite): path contains a NUL character "
                  "(U+0000)"})
        << none;
    QTest::newRow("NUL in the state path")
        << QByteArray(R"({"version": 1, "state": "s\u0000.db", "systems": [], "flows": []})")
        << words({"$.state: the state store path contains a NUL character (U+0000)"}) << none;
    QTest::newRow("newline in an unknown key stays on one line")
        << withFlow(flowWithSides(R"({"system": "src", "tab\nle": "devices"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << words({"$.flows[0].source.tab\\u000ale", "unknown key"}) << none;

    // PostgreSQL identifiers: the server keeps 63 bytes and silently drops the rest.
    const QByteArray a64 = longName(64);
    const QString pgLimit = QStringLiteral("; PostgreSQL allows at most 63");
    QTest::newRow("64-byte table name on PostgreSQL")
        << withFlow(flowWithSides(R"({"system": "src", "table": ")" + a64 + R"("})",
                                  R"({"system": "dst", "table": "devices"})"))
        << QStringList{QStringLiteral("$.flows[0].source.table: flow 'devices': source table "
                                      "name '%1' is 64 bytes").arg(QString::fromUtf8(a64)),
                       pgLimit}
        << none;
    QTest::newRow("32 two-byte characters (64 bytes) in a table name on PostgreSQL")
        << withFlow(flowWithSides(R"({"system": "src", "table": ")" + longName(32, "\xC3\xA9")
                                      + R"("})",
                                  R"({"system": "dst", "table": "devices"})"))
        << QStringList{QStringLiteral("source table name"), QStringLiteral("is 64 bytes"), pgLimit}
        << none;
    QTest::newRow("70-byte schema in schema.table on PostgreSQL")
        << withFlow(flowWithSides(R"({"system": "src", "table": ")" + longName(70) + R"(.d"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << QStringList{QStringLiteral("$.flows[0].source.table: flow 'devices': source schema "
                                      "name"),
                       QStringLiteral("is 70 bytes") + pgLimit}
        << none;
    QTest::newRow("64-byte explicit schema on PostgreSQL")
        << withFlow(flowWithSides(R"({"system": "src", "schema": ")" + a64 + R"(", "table": "d"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << QStringList{QStringLiteral("$.flows[0].source.schema:"), QStringLiteral("is 64 bytes")}
        << none;
    QTest::newRow("64-byte key column on PostgreSQL")
        << withFlow(flow("[\"" + a64 + "\"]"))
        << QStringList{QStringLiteral("$.flows[0].key[0]: flow 'devices': key column name"),
                       QStringLiteral("is 64 bytes") + pgLimit}
        << none;
    QTest::newRow("64-byte source field on PostgreSQL")
        << withFlow(flow(R"(["sku"])", R"([{"source": ")" + a64 + R"(", "target": "b"}])"))
        << QStringList{QStringLiteral("$.flows[0].fields[0].source: flow 'devices': source field "
                                      "name"),
                       QStringLiteral("is 64 bytes") + pgLimit}
        << none;
    QTest::newRow("64-byte updated_at on PostgreSQL")
        << withFlow(flowWithSides(R"({"system": "src", "table": "d", "updated_at": ")" + a64
                                      + R"("})",
                                  R"({"system": "dst", "table": "devices"})"))
        << QStringList{QStringLiteral("$.flows[0].source.updated_at:"),
                       QStringLiteral("is 64 bytes") + pgLimit}
        << none;
}

void WorkspaceLoaderTest::shouldRejectInvalidWorkspaceWithOneClearMessage()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, mustContain);
    QFETCH(QStringList, mustNotContain);

    // Given an invalid workspace text, When it is parsed
    const QString message = parseError(json);

    // Then one error comes out, on one line, naming the file, the location and the problem
    QVERIFY2(!message.isEmpty(), "the workspace was accepted");
    QVERIFY2(message.startsWith(kPath + QStringLiteral(": ")), qPrintable(message));
    QVERIFY2(!message.contains(u'\n'), qPrintable(message));
    for (const QString &part : mustContain) {
        QVERIFY2(message.contains(part),
                 qPrintable(QStringLiteral("'%1' not in: %2").arg(part, message)));
    }
    for (const QString &part : mustNotContain) {
        QVERIFY2(!message.contains(part),
                 qPrintable(QStringLiteral("'%1' must not be in the message (%2 characters "
                                           "long)").arg(part).arg(message.size())));
    }
}

// ---- accepted workspaces ------------------------------------------------------------------

void WorkspaceLoaderTest::shouldReadContractExample()
{
    // Given the example of DESIGN.md's Contract, When it is parsed
    const Workspace ws = WorkspaceLoader::parse(kContractExample, kPath);

    // Then every value is read, with paths resolved against the file's folder
    QCOMPARE(ws.filePath, kPath);
    QCOMPARE(ws.version, 1);
    QCOMPARE(ws.state, QStringLiteral("/tmp/ws/state.db"));

    QCOMPARE(ws.systems.size(), qsizetype(2));
    QCOMPARE(ws.systems[0].name, QStringLiteral("src"));
    QCOMPARE(ws.systems[0].kind, SystemKind::Postgres);
    QCOMPARE(ws.systems[0].conninfo,
             QStringLiteral("host=127.0.0.1 port=5432 dbname=warehouse"));
    QCOMPARE(ws.systems[1].name, QStringLiteral("dst"));
    QCOMPARE(ws.systems[1].kind, SystemKind::Sqlite);
    QCOMPARE(ws.systems[1].path, QStringLiteral("/tmp/ws/sales.db"));
    QVERIFY(ws.system(QStringLiteral("dst")) == &ws.systems[1]);
    QVERIFY(ws.system(QStringLiteral("nope")) == nullptr);

    QCOMPARE(ws.flows.size(), qsizetype(1));
    const FlowSpec &f = ws.flows[0];
    QCOMPARE(f.name, QStringLiteral("devices"));
    QVERIFY(ws.flow(QStringLiteral("devices")) == &f);
    QCOMPARE(f.source.system, QStringLiteral("src"));
    QCOMPARE(f.source.table.schema, QString());
    QCOMPARE(f.source.table.name, QStringLiteral("devices"));
    QCOMPARE(f.target.system, QStringLiteral("dst"));
    QCOMPARE(f.target.table.display(), QStringLiteral("devices"));
    QCOMPARE(f.key.size(), qsizetype(1));
    QCOMPARE(f.key[0].source, QStringLiteral("sku"));
    QCOMPARE(f.key[0].target, QStringLiteral("sku"));
    QStringList fieldNames;
    for (const ColumnPair &c : f.fields) {
        QCOMPARE(c.target, c.source);
        fieldNames.append(c.source);
    }
    QCOMPARE(fieldNames, words({"model", "grade", "status", "price_cents", "qty"}));
    QCOMPARE(f.direction, Direction::OneWay);
    QCOMPARE(f.slaSeconds, 300);
    QCOMPARE(f.policy, Policy::Manual);
}

void WorkspaceLoaderTest::shouldPlaceDefaultStateBesideTheFile()
{
    // Given a workspace without "state"
    const Workspace ws = WorkspaceLoader::parse(withFlow(flow()), kPath);

    // Then the state store is <workspace name>.state.db beside the file
    QCOMPARE(ws.state, QStringLiteral("/tmp/ws/test.state.db"));
}

void WorkspaceLoaderTest::shouldResolveRelativePathsAgainstTheFile()
{
    // Given relative state and sqlite paths, with ".." in them
    const QByteArray json = R"({"version": 1, "state": "sub/../state/desk.db",
        "systems": [{"name": "src", "kind": "sqlite", "path": "../data/sales.db"},
                    {"name": "dst", "kind": "sqlite", "path": "/var/lib/abs.db"}],
        "flows": []})";

    // When parsed
    const Workspace ws = WorkspaceLoader::parse(json, kPath);

    // Then relative paths are anchored to the file's folder and cleaned; absolute ones kept
    QCOMPARE(ws.state, QStringLiteral("/tmp/ws/state/desk.db"));
    QCOMPARE(ws.systems[0].path, QStringLiteral("/tmp/data/sales.db"));
    QCOMPARE(ws.systems[1].path, QStringLiteral("/var/lib/abs.db"));
}

void WorkspaceLoaderTest::shouldKeepPostgresStateUriVerbatim()
{
    const QByteArray json = R"({"version": 1,
        "state": "postgresql://desk@db.example:5432/syncdesk?sslmode=require",
        "systems": [], "flows": []})";

    const Workspace ws = WorkspaceLoader::parse(json, kPath);

    QCOMPARE(ws.state,
             QStringLiteral("postgresql://desk@db.example:5432/syncdesk?sslmode=require"));
}

void WorkspaceLoaderTest::shouldSplitSchemaFromTableName()
{
    const Workspace ws = WorkspaceLoader::parse(
        withFlow(flowWithSides(R"({"system": "src", "table": "sales.devices"})",
                               R"({"system": "dst", "table": "devices"})")),
        kPath);

    QCOMPARE(ws.flows[0].source.table.schema, QStringLiteral("sales"));
    QCOMPARE(ws.flows[0].source.table.name, QStringLiteral("devices"));
    QCOMPARE(ws.flows[0].source.table.display(), QStringLiteral("sales.devices"));
    QCOMPARE(ws.flows[0].target.table.schema, QString());
}

void WorkspaceLoaderTest::shouldKeepTableNameVerbatimWithExplicitSchema()
{
    // Given an explicit schema and a table name that contains a dot
    const Workspace ws = WorkspaceLoader::parse(
        withFlow(flowWithSides(R"({"system": "src", "schema": "s", "table": "a.b"})",
                               R"({"system": "dst", "table": "devices"})")),
        kPath);

    // Then the name is not split
    QCOMPARE(ws.flows[0].source.table.schema, QStringLiteral("s"));
    QCOMPARE(ws.flows[0].source.table.name, QStringLiteral("a.b"));
}

void WorkspaceLoaderTest::shouldMapFieldObjectsToSourceAndTargetNames()
{
    // Given a composite key and a field whose names differ between the systems
    const Workspace ws = WorkspaceLoader::parse(
        withFlow(flow(R"(["region", {"source": "sku", "target": "article"}])",
                      R"([{"source": "a", "target": "b"}, "qty"])")),
        kPath);
    const FlowSpec &f = ws.flows[0];

    // Then each pair keeps both names
    QCOMPARE(f.key.size(), qsizetype(2));
    QCOMPARE(f.key[0].source, QStringLiteral("region"));
    QCOMPARE(f.key[0].target, QStringLiteral("region"));
    QCOMPARE(f.key[1].source, QStringLiteral("sku"));
    QCOMPARE(f.key[1].target, QStringLiteral("article"));
    QCOMPARE(f.fields.size(), qsizetype(2));
    QCOMPARE(f.fields[0].source, QStringLiteral("a"));
    QCOMPARE(f.fields[0].target, QStringLiteral("b"));
    QCOMPARE(f.fields[0].name(true), QStringLiteral("a"));
    QCOMPARE(f.fields[0].name(false), QStringLiteral("b"));
    QCOMPARE(f.fields[1].source, QStringLiteral("qty"));
    QCOMPARE(f.fields[1].target, QStringLiteral("qty"));
}

void WorkspaceLoaderTest::shouldApplyDefaultsForOptionalFlowSettings()
{
    // Given a flow without direction, sla_seconds and policy
    const Workspace ws = WorkspaceLoader::parse(withFlow(flow()), kPath);

    // Then the defaults apply
    QCOMPARE(ws.flows[0].direction, Direction::OneWay);
    QCOMPARE(ws.flows[0].slaSeconds, 300);
    QCOMPARE(ws.flows[0].policy, Policy::Manual);
}

void WorkspaceLoaderTest::shouldReadExplicitFlowSettings()
{
    const Workspace ws = WorkspaceLoader::parse(
        withFlow(flow(R"(["sku"])", R"(["model"])",
                      R"(, "direction": "two-way", "sla_seconds": 60, "policy": "source-wins")")
                 + ", "
                 + flow(R"(["sku"])", R"(["model"])", R"(, "policy": "target-wins")")
                       .replace(R"("name": "devices")", R"("name": "devices2")")),
        kPath);

    QCOMPARE(ws.flows.size(), qsizetype(2));
    QCOMPARE(ws.flows[0].direction, Direction::TwoWay);
    QCOMPARE(ws.flows[0].slaSeconds, 60);
    QCOMPARE(ws.flows[0].policy, Policy::SourceWins);
    QCOMPARE(ws.flows[1].policy, Policy::TargetWins);
    QVERIFY(!ws.flows[0].probe);

    // A probe: its defaults (target table as the source's, the flow's name as id, a 30 s
    // interval, stalled after one interval), and each of them given.
    const Workspace probed = WorkspaceLoader::parse(
        withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "probe": {"table": "syncdesk_probe"})") + ", "
                 + flow(R"(["sku"])", R"(["model"])",
                        R"(, "probe": {"table": "p", "schema": "ops", "target_table": "q", "id": "desk", "interval_seconds": 5, "stall_after_seconds": 20})")
                       .replace(R"("name": "devices")", R"("name": "devices2")")),
        kPath);
    QVERIFY(probed.flows[0].probe);
    QCOMPARE(probed.flows[0].probe->sourceTable.name, QStringLiteral("syncdesk_probe"));
    QCOMPARE(probed.flows[0].probe->targetTable.name, QStringLiteral("syncdesk_probe"));
    QCOMPARE(probed.flows[0].probe->id, QStringLiteral("devices"));
    QCOMPARE(probed.flows[0].probe->intervalSeconds, 30);
    QCOMPARE(probed.flows[0].probe->stallAfterSeconds, 30);
    const ProbeSpec &p = *probed.flows[1].probe;
    QCOMPARE(p.sourceTable.display(), QStringLiteral("ops.p"));
    QCOMPARE(p.targetTable.display(), QStringLiteral("ops.q"));
    QCOMPARE(p.id, QStringLiteral("desk"));
    QCOMPARE(p.intervalSeconds, 5);
    QCOMPARE(p.stallAfterSeconds, 20);
    // Written back as read (the console's editor saves through WorkspaceWriter).
    const Workspace again = WorkspaceLoader::parse(WorkspaceWriter::toJson(probed, kPath), kPath);
    QCOMPARE(again.flows[1].probe->targetTable.display(), QStringLiteral("ops.q"));
    QCOMPARE(again.flows[1].probe->stallAfterSeconds, 20);
    QCOMPARE(again.flows[0].probe->id, QStringLiteral("devices"));
}

void WorkspaceLoaderTest::shouldReadTheContractsHttpSystemAndWriteItBack()
{
    // Given the Contract's HTTP system and side shapes
    const QByteArray json = R"({"version": 1,
        "systems": [{"name": "crm", "kind": "http", "base_url": "http://127.0.0.1:3000/",
                     "headers": {"Authorization": {"env": "CRM_TOKEN", "prefix": "Bearer "},
                                 "X-Api-Key": {"keychain": "crm/X-Api-Key"},
                                 "Accept-Language": "en"},
                     "max_requests_per_second": 20},
                    {"name": "dst", "kind": "sqlite", "path": "s.db"}],
        "flows": [{"name": "customers",
                   "source": {"system": "crm", "resource": "customers", "records": "/data",
                              "page": {"style": "page", "page_param": "p", "size_param": "n", "size": 50},
                              "updated_at": "updated_at", "updated_since_param": "updated_at_gte"},
                   "target": {"system": "dst", "table": "customers"},
                   "key": ["id"], "fields": ["name", {"source": "/address/city", "target": "city"}]}]})";
    const Workspace ws = WorkspaceLoader::parse(json, kPath);

    // Then every setting is read as written, secrets only as the variable's name
    const SystemSpec &crm = ws.systems[0];
    QCOMPARE(crm.kind, SystemKind::Http);
    QCOMPARE(crm.url, QStringLiteral("http://127.0.0.1:3000"));
    QCOMPARE(crm.http.maxRequestsPerSecond, 20.0);
    QCOMPARE(crm.http.headers.size(), 3);
    const auto header = [](const SystemSpec &s, const QString &name) {
        for (const HttpHeader &h : s.http.headers)
            if (h.name == name)
                return h;
        return HttpHeader{};
    };
    const HttpHeader auth = header(crm, QStringLiteral("Authorization"));
    QCOMPARE(auth.env, QStringLiteral("CRM_TOKEN"));
    QCOMPARE(auth.prefix, QStringLiteral("Bearer "));
    QCOMPARE(header(crm, QStringLiteral("X-Api-Key")).keychain, QStringLiteral("crm/X-Api-Key"));
    QVERIFY(header(crm, QStringLiteral("X-Api-Key")).env.isEmpty());
    const FlowSide &side = ws.flows[0].source;
    QVERIFY(side.table.http);
    QCOMPARE(side.table.http->resource, QStringLiteral("customers"));
    QCOMPARE(side.table.http->records, QStringLiteral("/data"));
    QCOMPARE(side.table.http->page.style, HttpPaging::Style::Page);
    QCOMPARE(side.table.http->page.pageParam, QStringLiteral("p"));
    QCOMPARE(side.table.http->page.size, 50);
    QCOMPARE(side.table.http->updatedSinceParam, QStringLiteral("updated_at_gte"));
    QCOMPARE(side.updatedAt, QStringLiteral("updated_at"));
    QCOMPARE(ws.flows[0].fields[1].source, QStringLiteral("/address/city"));

    // And the editor's writer keeps them all
    const Workspace again = WorkspaceLoader::parse(WorkspaceWriter::toJson(ws, kPath), kPath);
    QCOMPARE(again.systems[0].http.headers.size(), 3);
    QCOMPARE(header(again.systems[0], QStringLiteral("X-Api-Key")).keychain, QStringLiteral("crm/X-Api-Key"));
    QCOMPARE(again.systems[0].http.maxRequestsPerSecond, 20.0);
    QCOMPARE(again.flows[0].source.table.http->page.pageParam, QStringLiteral("p"));
    QCOMPARE(again.flows[0].source.table.http->updatedSinceParam, QStringLiteral("updated_at_gte"));
}

void WorkspaceLoaderTest::shouldAcceptKeysReservedForLaterParts()
{
    // Given keys that other parts of SyncDesk read (operator, description, feed, updated_at)
    const QByteArray json = R"({"version": 1, "operator": "ana",
        "systems": [{"name": "src", "kind": "postgres", "conninfo": "dbname=w",
                     "description": "warehouse", "feed": "logical"},
                    {"name": "dst", "kind": "sqlite", "path": "s.db"}],
        "flows": [{"name": "devices", "description": "stock",
                   "source": {"system": "src", "table": "devices", "updated_at": "mtime"},
                   "target": {"system": "dst", "table": "devices"},
                   "key": ["sku"], "fields": []}]})";

    // Then the workspace is accepted
    const QString message = parseError(json);
    QVERIFY2(message.isEmpty(), qPrintable(message));
}

void WorkspaceLoaderTest::shouldAcceptOneMemberNameInSeveralObjects()
{
    // Given the same member name in sibling and nested objects, names that differ only in case
    // or by a space, and duplicate-looking text inside string values
    const QByteArray json = withFlow(flow(R"(["sku"])", R"(["model"])", R"(,
        "description": {"a": {"x": 1}, "b": {"x": 1}, "list": [{"x": 1}, {"x": [{"x": 1}]}],
                        "X": 1, "x": 1, "x ": 1, "\u0078\u0079": 1,
                        "text": "{\"x\": 1, \"x\": 2}", "slash": "ends in \\",
                        "nested": {"text": 1}})"));

    // Then the workspace is accepted
    const QString message = parseError(json);
    QVERIFY2(message.isEmpty(), qPrintable(message));

    // And a byte order mark before the document does not hide a duplicate
    const QString withBom = parseError("\xEF\xBB\xBF" + QByteArray(R"({"a": 1, "a": 2})"));
    QVERIFY2(withBom.contains(QStringLiteral("$: duplicate member \"a\"")), qPrintable(withBom));
}

void WorkspaceLoaderTest::shouldAcceptPostgresNamesUpTo63Bytes()
{
    // Given names of exactly 63 bytes on the PostgreSQL side: ASCII, and 21 three-byte
    // characters
    const QByteArray a63 = longName(63);
    const QByteArray euro63 = longName(21, "\xE2\x82\xAC");
    const QByteArray json = withFlow(
        R"({"name": "devices",
            "source": {"system": "src", "schema": ")" + a63 + R"(", "table": ")" + euro63
        + R"(", "updated_at": ")" + a63 + R"("},
            "target": {"system": "dst", "table": "devices"},
            "key": [")" + a63 + R"("], "fields": [{"source": ")" + euro63
        + R"(", "target": "m"}]})");

    // When parsed, Then they are kept as written
    const Workspace ws = WorkspaceLoader::parse(json, kPath);
    QCOMPARE(ws.flows[0].source.table.schema, QString::fromUtf8(a63));
    QCOMPARE(ws.flows[0].source.table.name, QString::fromUtf8(euro63));
    QCOMPARE(ws.flows[0].key[0].source, QString::fromUtf8(a63));
    QCOMPARE(ws.flows[0].fields[0].source.toUtf8().size(), qsizetype(63));
}

void WorkspaceLoaderTest::shouldAcceptLongNamesWherePostgresDoesNotReadThem()
{
    // Given 100-byte names on the SQLite side only, and a long flow name
    const QByteArray a100 = longName(100);
    const QByteArray json = withFlow(
        R"({"name": ")" + a100 + R"(",
            "source": {"system": "src", "table": "devices"},
            "target": {"system": "dst", "table": ")" + a100 + R"("},
            "key": ["sku"], "fields": [{"source": "m", "target": ")" + a100 + R"("}]})");

    // Then the workspace is accepted: SQLite and SyncDesk keep names whole
    const QString message = parseError(json);
    QVERIFY2(message.isEmpty(), qPrintable(message));
}

// ---- load() -------------------------------------------------------------------------------

void WorkspaceLoaderTest::shouldNameTheFileWhenItIsMissing()
{
    // Given a path where no file exists
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("missing.json"));

    // When it is loaded, Then the error names the file and says it is not there
    const QString message = loadError(path);
    QVERIFY2(message.contains(path), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("not found")), qPrintable(message));

    // And a folder is not taken for a workspace file
    const QString folderMessage = loadError(dir.path());
    QVERIFY2(folderMessage.contains(dir.path()), qPrintable(folderMessage));
}

void WorkspaceLoaderTest::shouldNameTheFileWhenItIsNotJson()
{
    // Given a file that holds no JSON, with no read permission (root may still read it)
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("broken.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("this is not json\n");
    file.close();
    QVERIFY(file.setPermissions(QFileDevice::WriteOwner));

    // When it is loaded, Then the error names the file, whichever way reading failed
    const QString message = loadError(path);
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QVERIFY2(message.startsWith(path + QStringLiteral(": ")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("cannot read"))
                 || message.contains(QStringLiteral("not valid JSON")),
             qPrintable(message));

    // And a readable non-JSON file gives the line and column
    const QString readable = loadError(path);
    QVERIFY2(readable.startsWith(path + QStringLiteral(": line 1, column ")),
             qPrintable(readable));
    QVERIFY2(readable.contains(QStringLiteral("not valid JSON")), qPrintable(readable));
}

void WorkspaceLoaderTest::shouldLoadAValidFileAndAnchorPathsToIt()
{
    // Given a valid workspace file without "state" in a folder
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("desk.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(withFlow(flow()));
    file.close();

    // When it is loaded
    const Workspace ws = WorkspaceLoader::load(path);

    // Then paths are anchored to that folder
    const QDir folder(dir.path());
    QCOMPARE(ws.filePath, folder.absoluteFilePath(QStringLiteral("desk.json")));
    QCOMPARE(ws.state, folder.absoluteFilePath(QStringLiteral("desk.state.db")));
    QCOMPARE(ws.systems[1].path, folder.absoluteFilePath(QStringLiteral("sales.db")));
    QCOMPARE(ws.flows.size(), qsizetype(1));
}

void WorkspaceLoaderTest::shouldRefuseASqlitePathThatIsADirectory()
{
    // Given a workspace whose SQLite system names a folder beside it
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("data")));
    const QString path = dir.filePath(QStringLiteral("desk.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(withSystems(R"({"name": "src", "kind": "postgres", "conninfo": "dbname=w"},
                              {"name": "dst", "kind": "sqlite", "path": "data/"})"));
    file.close();

    // When it is loaded, Then it is refused, naming the system and the folder
    const QString message = loadError(path);
    const QString folder = QDir(dir.path()).absoluteFilePath(QStringLiteral("data"));
    QCOMPARE(message, QStringLiteral("%1: $.systems[1].path: system 'dst' (sqlite): path %2 is a "
                                     "directory").arg(path, folder));
}

// ---- syncdesk-cli -------------------------------------------------------------------------

void WorkspaceLoaderTest::shouldRefuseWithExitTwoAndOneStderrLineFromTheCli_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("problem");

    QTest::newRow("duplicate member")
        << withFlow(flowWithSides(R"({"system": "src", "table": "devices"})",
                                  R"({"system": "dst", "table": "devices", "table": "d2"})"))
        << QStringLiteral("$.flows[0].target: duplicate member \"table\"");
    QTest::newRow("NUL in a table name")
        << withFlow(flowWithSides(R"({"system": "src", "table": "dev\u0000ices"})",
                                  R"({"system": "dst", "table": "devices"})"))
        << QStringLiteral("$.flows[0].source.table: flow 'devices': source table name contains a "
                          "control character (U+0000)");
    QTest::newRow("NUL in a sqlite path")
        << withSystems(R"({"name": "src", "kind": "postgres", "conninfo": "dbname=w"},
                          {"name": "dst", "kind": "sqlite", "path": "s\u0000.db"})")
        << QStringLiteral("$.systems[1].path: system 'dst' (sqlite): path contains a NUL "
                          "character (U+0000)");
    QTest::newRow("64-byte table name on PostgreSQL")
        << withFlow(flowWithSides(R"({"system": "src", "table": ")" + longName(64) + R"("})",
                                  R"({"system": "dst", "table": "devices"})"))
        << QStringLiteral("is 64 bytes; PostgreSQL allows at most 63");
}

void WorkspaceLoaderTest::shouldRefuseWithExitTwoAndOneStderrLineFromTheCli()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, problem);

    // Given a workspace file that cannot mean what it says
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("ws.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(json);
    file.close();

    // When syncdesk-cli diff reads it
    const testsupport::CliRun run = testsupport::runCli(
        {QStringLiteral("diff"), QStringLiteral("--workspace"), path, QStringLiteral("--flow"),
         QStringLiteral("devices")});

    // Then it exits 2 with nothing on stdout and exactly one line on stderr naming the problem
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(run.out, QByteArray());
    const QString err = QString::fromUtf8(run.err);
    QVERIFY2(err.endsWith(u'\n') && err.count(u'\n') == 1, qPrintable(err));
    QVERIFY2(err.startsWith(QStringLiteral("syncdesk-cli: %1: ").arg(path)), qPrintable(err));
    QVERIFY2(err.contains(problem), qPrintable(err));
}

} // namespace syncdesk

QTEST_GUILESS_MAIN(syncdesk::WorkspaceLoaderTest)
#include "tst_workspaceloader.moc"

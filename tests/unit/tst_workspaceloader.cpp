// Unit tests for reading and validating workspace files (DESIGN.md, Contract).

#include "model/SyncError.h"
#include "model/Workspace.h"
#include "model/WorkspaceLoader.h"

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

    void shouldNameTheFileWhenItIsMissing();
    void shouldNameTheFileWhenItIsNotJson();
    void shouldLoadAValidFileAndAnchorPathsToIt();
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
    QTest::newRow("bad policy")
        << withFlow(flow(R"(["sku"])", R"(["model"])", R"(, "policy": "newest")"))
        << words({"$.flows[0].policy", "unknown policy 'newest'"}) << none;
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

} // namespace syncdesk

QTEST_GUILESS_MAIN(syncdesk::WorkspaceLoaderTest)
#include "tst_workspaceloader.moc"

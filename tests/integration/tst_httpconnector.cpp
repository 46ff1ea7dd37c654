// HTTP systems against real third-party servers (json-server, pouchdb-server, installed from
// npm by tests/support/http-servers.sh) in every pairing, and against a fault-injecting server
// of our own for paging styles, throttling and bad input.
#include "CliRun.h"
#include "HttpServers.h"
#include "TestPostgres.h"
#include "TestSqlite.h"

#include "connectors/BatchQueue.h"
#include "connectors/HttpClient.h"
#include "connectors/HttpConnector.h"
#include "connectors/HttpGate.h"
#include "connectors/HttpPageFetcher.h"
#include "connectors/SecretCache.h"
#include "feeds/HttpPollingFeed.h"
#include "model/SyncError.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QMessageAuthenticationCode>
#include <QProcessEnvironment>
#include <QElapsedTimer>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace syncdesk;
using namespace testsupport;

namespace {

constexpr int Records = 300;

QJsonObject customer(int id)
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("name"), QStringLiteral("Customer %1").arg(id)},
            {QStringLiteral("price"), id * 1.25},
            {QStringLiteral("active"), id % 3 != 0},
            {QStringLiteral("address"), QJsonObject{{QStringLiteral("city"), QStringLiteral("City %1").arg(id % 7)}}}};
}

QJsonObject diffJson(const CliRun &run)
{
    return QJsonDocument::fromJson(run.out).object();
}

QStringList listed(const QJsonObject &result)
{
    QStringList out;
    for (const QJsonValue &r : result.value(u"records").toArray()) {
        const QJsonObject o = r.toObject();
        out << QStringLiteral("%1:%2").arg(o.value(u"key").toArray().at(0).toVariant().toString(),
                                           o.value(u"status").toString());
    }
    out.sort();
    return out;
}

SystemSpec httpSystem(const QString &url)
{
    SystemSpec s;
    s.name = QStringLiteral("api");
    s.kind = SystemKind::Http;
    s.url = url;
    return s;
}

} // namespace

class TestHttpConnector : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void everyPairingComparesExactly();
    void showReadsOneRecordByItsPath();
    void resolvingOntoJsonServerWritesAndAudits();
    void couchDbRevisionsMakeWritesConditional();
    void aRecordChangedAfterItsReadIsNeverOverwritten();
    void aRefusedConditionalWriteExitsThree();
    void pageAndCursorStylesReadEveryPage();
    void pageNumbersEndAtA404();
    void oneRequestAtATimeNeverDeadlocks();
    void concurrentItemReadsShareTheGateWithoutDeadlock();
    void retryAfterIsHonouredForEveryRequest();
    void pagesAreFetchedAheadOfTheirReader();
    void guessedPagesAreReadOnlyWhereALinkNamesThem();
    void aReaderThatStopsNeverWaitsForPagesAhead();
    void aRetryAfterNobodyReadsStillHoldsTheSystem();
    void aComparisonAsksForEachPageOnce();
    void plainHttpKeepsConnectionsAliveAndRetriesOneClosedWhileIdle();
    void aSystemsHeaderReplacesOurs();
    void aPortThatSpeaksNoHttpFailsAtOnce();
    void pageNumbersAskAtMostOnePagePastTheEnd();
    void secretHeadersComeFromTheEnvironmentAndNeverShow();
    void keychainHeadersTakeTheConsolesSecretOrTheEnvFallback();
    void badInputGivesOneClearError_data();
    void badInputGivesOneClearError();
    void nextLinkFollowsRfc8288();
    void pollingReportsEachChangeOnce();
    void watchReportsAnApiChangeWithinOnePoll();
    void couchChangesFeedReportsEditsAndDeletes();
    void webhooksReportSignedChangesOnly();

private:
    QString workspace(const QJsonArray &systems, const QJsonArray &flows);
    // The two third-party APIs as systems "crm" (json-server) and "couch" (pouchdb-server).
    [[nodiscard]] QJsonArray apiSystems() const;
    CliRun diff(const QString &ws, const QString &flow);

    QTemporaryDir m_dir;
    ThirdPartyServer m_jsonServer;
    ThirdPartyServer m_pouch;
    QString m_pg;
    QString m_sqlite;
};

void TestHttpConnector::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // json-server: 300 customers. The others differ from it in known places.
    QJsonArray customers;
    for (int id = 1; id <= Records; ++id)
        customers.append(customer(id));
    const QString db = writeFile(QDir(m_dir.path()), QStringLiteral("db.json"),
                                 QJsonDocument(QJsonObject{{QStringLiteral("customers"), customers}}).toJson());
    QString error;
    QVERIFY2(m_jsonServer.start(ThirdPartyServer::Kind::JsonServer, db, &error), qPrintable(error));
    QVERIFY2(m_pouch.start(ThirdPartyServer::Kind::PouchDb, QString(), &error), qPrintable(error));

    // pouchdb: every customer but 11, with 5's name changed; documents keyed by their id.
    QCOMPARE(httpRequest("PUT", m_pouch.baseUrl() + QStringLiteral("/crm")), 201);
    QJsonArray docs;
    for (int id = 1; id <= Records; ++id) {
        if (id == 11)
            continue;
        QJsonObject doc = customer(id);
        doc.insert(QStringLiteral("_id"), QString::number(id));
        if (id == 5)
            doc.insert(QStringLiteral("name"), QStringLiteral("Renamed in the CRM"));
        docs.append(doc);
    }
    QCOMPARE(httpRequest("POST", m_pouch.baseUrl() + QStringLiteral("/crm/_bulk_docs"),
                         QJsonDocument(QJsonObject{{QStringLiteral("docs"), docs}}).toJson()),
             201);

    // PostgreSQL: every customer, 7's price changed, 300 missing, an extra 301.
    QVERIFY2(createDatabase(QStringLiteral("syncdesk_http"), &m_pg, &error), qPrintable(error));
    PG_EXEC(m_pg, QStringLiteral("CREATE TABLE customers (id integer PRIMARY KEY, name text, "
                                 "price numeric(10,2), active boolean, city text);"
                                 "INSERT INTO customers SELECT i, 'Customer ' || i, i * 1.25, "
                                 "i % 3 <> 0, 'City ' || (i % 7) FROM generate_series(1, 299) i;"
                                 "UPDATE customers SET price = 0.5 WHERE id = 7;"
                                 "INSERT INTO customers VALUES (301, 'Extra', 1, true, 'City 0');"));
    // SQLite: every customer, 2 deactivated.
    m_sqlite = m_dir.filePath(QStringLiteral("shop.db"));
    QStringList statements{QStringLiteral("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, "
                                          "price REAL, active BOOLEAN, city TEXT)")};
    for (int id = 1; id <= Records; ++id)
        statements << QStringLiteral("INSERT INTO customers VALUES (%1, 'Customer %1', %2, %3, 'City %4')")
                          .arg(id)
                          .arg(id * 1.25)
                          .arg(id == 2 ? 0 : (id % 3 != 0 ? 1 : 0))
                          .arg(id % 7);
    QVERIFY2(sqliteExec(m_sqlite, statements, &error), qPrintable(error));
}

QString TestHttpConnector::workspace(const QJsonArray &systems, const QJsonArray &flows)
{
    static int n = 0;
    return writeFile(QDir(m_dir.path()), QStringLiteral("ws%1.json").arg(++n),
                     QJsonDocument(QJsonObject{{QStringLiteral("version"), 1},
                                               {QStringLiteral("systems"), systems},
                                               {QStringLiteral("flows"), flows}})
                         .toJson());
}

QJsonArray TestHttpConnector::apiSystems() const
{
    return {QJsonObject{{QStringLiteral("name"), QStringLiteral("crm")}, {QStringLiteral("kind"), QStringLiteral("http")},
                        {QStringLiteral("base_url"), m_jsonServer.baseUrl()}},
            QJsonObject{{QStringLiteral("name"), QStringLiteral("couch")}, {QStringLiteral("kind"), QStringLiteral("http")},
                        {QStringLiteral("base_url"), m_pouch.baseUrl()}}};
}

CliRun TestHttpConnector::diff(const QString &ws, const QString &flow)
{
    return runCli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                   flow, QStringLiteral("--json"), QStringLiteral("--list")});
}

namespace {

QJsonObject crmSide()
{
    // json-server pages with an RFC 8288 Link header once _page is asked for.
    return {{QStringLiteral("system"), QStringLiteral("crm")},
            {QStringLiteral("resource"), QStringLiteral("customers?_page=1&_limit=70")}};
}

QJsonObject couchSide()
{
    // CouchDB's _all_docs, paged by skip/limit; each row carries its document under "doc".
    return {{QStringLiteral("system"), QStringLiteral("couch")},
            {QStringLiteral("resource"), QStringLiteral("crm/_all_docs?include_docs=true")},
            {QStringLiteral("records"), QStringLiteral("/rows")},
            {QStringLiteral("record"), QStringLiteral("/doc")},
            {QStringLiteral("item"), QStringLiteral("crm/{id}")},
            {QStringLiteral("page"), QJsonObject{{QStringLiteral("style"), QStringLiteral("offset")},
                                                 {QStringLiteral("offset_param"), QStringLiteral("skip")},
                                                 {QStringLiteral("limit_param"), QStringLiteral("limit")},
                                                 {QStringLiteral("size"), 64}}}};
}

QJsonObject flow(const QString &name, const QJsonObject &source, const QJsonObject &target,
                 const QJsonArray &fields)
{
    return {{QStringLiteral("name"), name},
            {QStringLiteral("source"), source},
            {QStringLiteral("target"), target},
            {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}},
            {QStringLiteral("fields"), fields}};
}

QJsonObject tableSide(const QString &system)
{
    return {{QStringLiteral("system"), system}, {QStringLiteral("table"), QStringLiteral("customers")}};
}

} // namespace

void TestHttpConnector::everyPairingComparesExactly()
{
    QJsonArray systems = apiSystems();
    systems.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("pg")}, {QStringLiteral("kind"), QStringLiteral("postgres")},
                               {QStringLiteral("conninfo"), m_pg}});
    systems.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")}, {QStringLiteral("kind"), QStringLiteral("sqlite")},
                               {QStringLiteral("path"), m_sqlite}});
    const QJsonArray fields{QStringLiteral("name"), QStringLiteral("price"), QStringLiteral("active"),
                            QJsonObject{{QStringLiteral("source"), QStringLiteral("/address/city")},
                                        {QStringLiteral("target"), QStringLiteral("city")}}};
    const QJsonArray httpFields{QStringLiteral("name"), QStringLiteral("price"), QStringLiteral("active"),
                                QStringLiteral("/address/city")};
    QJsonObject couchFirst = couchSide();
    const QString ws = workspace(systems, {flow(QStringLiteral("crm-pg"), crmSide(), tableSide(QStringLiteral("pg")), fields),
                                           flow(QStringLiteral("crm-lite"), crmSide(), tableSide(QStringLiteral("lite")), fields),
                                           flow(QStringLiteral("crm-couch"), crmSide(), couchSide(), httpFields),
                                           flow(QStringLiteral("couch-pg"), couchFirst, tableSide(QStringLiteral("pg")), fields)});

    struct Expect
    {
        QString flow;
        int source, target, inSync;
        QStringList records;
    };
    const QList<Expect> cases{
        {QStringLiteral("crm-pg"), 300, 300, 298,
         {QStringLiteral("300:missing_in_target"), QStringLiteral("301:missing_in_source"), QStringLiteral("7:different")}},
        {QStringLiteral("crm-lite"), 300, 300, 299, {QStringLiteral("2:different")}},
        {QStringLiteral("crm-couch"), 300, 299, 298, {QStringLiteral("11:missing_in_target"), QStringLiteral("5:different")}},
        {QStringLiteral("couch-pg"), 299, 300, 296,
         {QStringLiteral("11:missing_in_source"), QStringLiteral("300:missing_in_target"),
          QStringLiteral("301:missing_in_source"), QStringLiteral("5:different"), QStringLiteral("7:different")}},
    };
    for (const Expect &e : cases) {
        const CliRun run = diff(ws, e.flow);
        QVERIFY2(run.exitCode == 1, qPrintable(e.flow + u' ' + QString::fromUtf8(run.err)));
        const QJsonObject result = diffJson(run);
        QCOMPARE(result.value(u"source_rows").toInt(), e.source);
        QCOMPARE(result.value(u"target_rows").toInt(), e.target);
        QCOMPARE(result.value(u"in_sync").toInt(), e.inSync);
        QCOMPARE(listed(result), e.records);
    }
}

void TestHttpConnector::showReadsOneRecordByItsPath()
{
    const QJsonArray systems = apiSystems();
    const QString ws = workspace(systems, {flow(QStringLiteral("f"), crmSide(), couchSide(),
                                                {QStringLiteral("name"), QStringLiteral("price")})});
    const CliRun run = runCli({QStringLiteral("show"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                               QStringLiteral("f"), QStringLiteral("--key"), QStringLiteral("5")});
    QVERIFY2(run.exitCode == 1, run.err.constData()); // 1: the record is not in sync
    QVERIFY2(run.out.contains("\"Customer 5\"") && run.out.contains("\"Renamed in the CRM\""), run.out.constData());
    const CliRun gone = runCli({QStringLiteral("show"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                                QStringLiteral("f"), QStringLiteral("--key"), QStringLiteral("11")});
    QVERIFY2(gone.exitCode == 1 && gone.out.contains("missing_in_target"), (gone.out + gone.err).constData());
}

namespace {

// A SQLite file of customers 1..9 and 11, 7's price changed, 10 absent; what the API sides of
// the resolution tests are made to hold.
QString resolutionSource(const QDir &dir, const QString &file, QString *error)
{
    const QString path = dir.filePath(file);
    QStringList statements{QStringLiteral("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, "
                                          "price REAL, active BOOLEAN, city TEXT)")};
    for (int id : {1, 2, 3, 4, 5, 6, 7, 8, 9, 11})
        statements << QStringLiteral("INSERT INTO customers VALUES (%1, 'Customer %1', %2, %3, 'City %4')")
                          .arg(id)
                          .arg(id == 7 ? 0.5 : id * 1.25)
                          .arg(id % 3 != 0 ? 1 : 0)
                          .arg(id % 7);
    return sqliteExec(path, statements, error) ? path : QString();
}

CliRun resolve(const QString &ws, const QString &flowName, int key, const QStringList &extra = {})
{
    return runCli(QStringList{QStringLiteral("resolve"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                              flowName, QStringLiteral("--key"), QString::number(key), QStringLiteral("--take"),
                              QStringLiteral("source")}
                  + extra);
}

QJsonObject getJson(const QString &url, int *status)
{
    QByteArray body;
    *status = httpRequest("GET", url, {}, &body);
    return QJsonDocument::fromJson(body).object();
}

const QJsonArray &resolvedFields()
{
    static const QJsonArray fields{QStringLiteral("name"), QStringLiteral("price"), QStringLiteral("active"),
                                   QJsonObject{{QStringLiteral("source"), QStringLiteral("city")},
                                               {QStringLiteral("target"), QStringLiteral("/address/city")}}};
    return fields;
}

} // namespace

void TestHttpConnector::resolvingOntoJsonServerWritesAndAudits()
{
    // A json-server of this test's own: 1..10 as customer(), so 7 differs, 10 is extra, 11 missing.
    QJsonArray customers;
    for (int id = 1; id <= 10; ++id)
        customers.append(customer(id));
    const QString db = writeFile(QDir(m_dir.path()), QStringLiteral("resolve-db.json"),
                                 QJsonDocument(QJsonObject{{QStringLiteral("customers"), customers}}).toJson());
    ThirdPartyServer api;
    QString error;
    QVERIFY2(api.start(ThirdPartyServer::Kind::JsonServer, db, &error), qPrintable(error));
    const QString lite = resolutionSource(QDir(m_dir.path()), QStringLiteral("desk-%1.db").arg(QLatin1String(QTest::currentTestFunction())), &error);
    QVERIFY2(!lite.isEmpty(), qPrintable(error));
    const QString ws = workspace(
        {QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")}, {QStringLiteral("kind"), QStringLiteral("sqlite")},
                     {QStringLiteral("path"), lite}},
         QJsonObject{{QStringLiteral("name"), QStringLiteral("crm")}, {QStringLiteral("kind"), QStringLiteral("http")},
                     {QStringLiteral("base_url"), api.baseUrl()}}},
        {flow(QStringLiteral("f"), tableSide(QStringLiteral("lite")),
              {{QStringLiteral("system"), QStringLiteral("crm")}, {QStringLiteral("resource"), QStringLiteral("customers")}},
              resolvedFields())});
    const CliRun before = diff(ws, QStringLiteral("f"));
    QCOMPARE(listed(diffJson(before)), (QStringList{QStringLiteral("10:missing_in_source"), QStringLiteral("11:missing_in_target"),
                                                    QStringLiteral("7:different")}));

    // The preview: the re-read, then the exact request; said to be unconditional.
    const CliRun preview = resolve(ws, QStringLiteral("f"), 7, {QStringLiteral("--preview")});
    QVERIFY2(preview.exitCode == 0, preview.err.constData());
    const QString url = api.baseUrl() + QStringLiteral("/customers/7");
    QVERIFY2(preview.out.contains((QStringLiteral("GET ") + url).toUtf8()) && preview.out.contains((QStringLiteral("PATCH ") + url).toUtf8())
                 && preview.out.contains("\"price\":0.5") && preview.out.contains("unconditional write"),
             preview.out.constData());
    int status = 0;
    QCOMPARE(getJson(url, &status).value(u"price").toDouble(), 8.75); // a preview writes nothing

    const QStringList reason{QStringLiteral("--reason"), QStringLiteral("the desk's price is right")};
    for (int key : {7, 11, 10}) {
        const CliRun run = resolve(ws, QStringLiteral("f"), key, reason);
        QVERIFY2(run.exitCode == 0, qPrintable(QString::number(key) + u' ' + QString::fromUtf8(run.err)));
    }
    // PATCHed: the price changed, members the flow does not compare kept.
    const QJsonObject seven = getJson(url, &status);
    QCOMPARE(status, 200);
    QCOMPARE(seven.value(u"price").toDouble(), 0.5);
    QCOMPARE(seven.value(u"name").toString(), QStringLiteral("Customer 7"));
    QCOMPARE(seven.value(u"address").toObject().value(u"city").toString(), QStringLiteral("City 0"));
    // POSTed with its key and nested member, typed as JSON.
    const QJsonObject eleven = getJson(api.baseUrl() + QStringLiteral("/customers/11"), &status);
    QCOMPARE(status, 200);
    QVERIFY(eleven.value(u"id").isDouble() && eleven.value(u"active").isBool());
    QCOMPARE(eleven.value(u"address").toObject().value(u"city").toString(), QStringLiteral("City 4"));
    (void)getJson(api.baseUrl() + QStringLiteral("/customers/10"), &status);
    QCOMPARE(status, 404); // DELETEd
    QCOMPARE(diff(ws, QStringLiteral("f")).exitCode, 0);

    // The audit entry says the write was unconditional, and that it was applied.
    bool intentNoted = false, applied = false;
    for (const QJsonObject &e : auditEntries(ws)) {
        if (e.value(u"key").toArray().at(0).toVariant().toString() != u"7")
            continue;
        if (e.value(u"type").toString() == u"intent")
            intentNoted = e.value(u"planned").toObject().value(u"target").toObject().value(u"note").toString().startsWith(
                u"unconditional write");
        if (e.value(u"type").toString() == u"outcome")
            applied = e.value(u"outcome").toString() == u"applied";
    }
    QVERIFY(intentNoted);
    QVERIFY(applied);
}

void TestHttpConnector::couchDbRevisionsMakeWritesConditional()
{
    // A CouchDB database of 1..10 as customer(), written back by PUT with the _rev read.
    QCOMPARE(httpRequest("PUT", m_pouch.baseUrl() + QStringLiteral("/resolved")), 201);
    QJsonArray docs;
    for (int id = 1; id <= 10; ++id) {
        QJsonObject doc = customer(id);
        doc.insert(QStringLiteral("_id"), QString::number(id));
        docs.append(doc);
    }
    QCOMPARE(httpRequest("POST", m_pouch.baseUrl() + QStringLiteral("/resolved/_bulk_docs"),
                         QJsonDocument(QJsonObject{{QStringLiteral("docs"), docs}}).toJson()),
             201);
    QString error;
    const QString lite = resolutionSource(QDir(m_dir.path()), QStringLiteral("desk-%1.db").arg(QLatin1String(QTest::currentTestFunction())), &error);
    QVERIFY2(!lite.isEmpty(), qPrintable(error));
    QJsonObject couch = couchSide();
    couch.insert(QStringLiteral("resource"), QStringLiteral("resolved/_all_docs?include_docs=true"));
    couch.insert(QStringLiteral("item"), QStringLiteral("resolved/{id}"));
    couch.insert(QStringLiteral("write"), QJsonObject{{QStringLiteral("update"), QStringLiteral("put")},
                                                      {QStringLiteral("create"), QStringLiteral("put")},
                                                      {QStringLiteral("condition"), QStringLiteral("version")},
                                                      {QStringLiteral("version"), QStringLiteral("_rev")},
                                                      {QStringLiteral("version_param"), QStringLiteral("rev")}});
    const QString ws = workspace(
        {QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")}, {QStringLiteral("kind"), QStringLiteral("sqlite")},
                     {QStringLiteral("path"), lite}},
         apiSystems().at(1)},
        {flow(QStringLiteral("f"), tableSide(QStringLiteral("lite")), couch, resolvedFields())});

    int status = 0;
    const QString url = m_pouch.baseUrl() + QStringLiteral("/resolved/7");
    const QString rev = getJson(url, &status).value(u"_rev").toString();
    const CliRun preview = resolve(ws, QStringLiteral("f"), 7, {QStringLiteral("--preview")});
    QVERIFY2(preview.exitCode == 0 && preview.out.contains((QStringLiteral("PUT ") + url).toUtf8())
                 && preview.out.contains((QStringLiteral("\"_rev\":\"") + rev + u'"').toUtf8())
                 && preview.out.contains("conditional write") && !preview.out.contains("unconditional"),
             (preview.out + preview.err).constData());

    const QStringList reason{QStringLiteral("--reason"), QStringLiteral("the desk is right")};
    for (int key : {7, 11, 10}) {
        const CliRun run = resolve(ws, QStringLiteral("f"), key, reason);
        QVERIFY2(run.exitCode == 0, qPrintable(QString::number(key) + u' ' + QString::fromUtf8(run.err)));
    }
    const QJsonObject seven = getJson(url, &status);
    QCOMPARE(seven.value(u"price").toDouble(), 0.5);
    QVERIFY(seven.value(u"_rev").toString() != rev); // a new revision, on top of the one read
    QCOMPARE(seven.value(u"address").toObject().value(u"city").toString(), QStringLiteral("City 0"));
    QCOMPARE(getJson(m_pouch.baseUrl() + QStringLiteral("/resolved/11"), &status).value(u"name").toString(),
             QStringLiteral("Customer 11"));
    (void)getJson(m_pouch.baseUrl() + QStringLiteral("/resolved/10"), &status);
    QCOMPARE(status, 404); // deleted with ?rev=
    QCOMPARE(diff(ws, QStringLiteral("f")).exitCode, 0);
}

void TestHttpConnector::aRecordChangedAfterItsReadIsNeverOverwritten()
{
    // Between the resolution's read and its write, a person edits the record on the API. With
    // a condition (CouchDB's _rev) the server refuses the write; without one (json-server) the
    // read again just before the write sees the edit. Either way it is kept.
    struct Case
    {
        QString name, base, resource, item, edited;
        HttpWrite write;
    };
    HttpWrite couchWrite;
    couchWrite.update = HttpWrite::Update::Put;
    couchWrite.condition = HttpWrite::Condition::Version;
    couchWrite.version = QStringLiteral("_rev");
    const QList<Case> cases{
        {QStringLiteral("json-server"), m_jsonServer.baseUrl(), QStringLiteral("customers"),
         QStringLiteral("customers/{id}"), QStringLiteral("/customers/3"), HttpWrite{}},
        {QStringLiteral("pouchdb"), m_pouch.baseUrl(), QStringLiteral("crm/_all_docs?include_docs=true"),
         QStringLiteral("crm/{id}"), QStringLiteral("/crm/3"), couchWrite}};
    for (const Case &c : cases) {
        HttpConnector connector(httpSystem(c.base));
        auto spec = std::make_shared<HttpSideSpec>();
        spec->resource = c.resource;
        spec->item = c.item;
        spec->write = c.write;
        if (c.name == u"pouchdb") {
            spec->records = QStringLiteral("/rows");
            spec->record = QStringLiteral("/doc");
            spec->page.style = HttpPaging::Style::None;
        }
        TableRef table(QString(), c.resource);
        table.http = spec;
        ScanRequest request;
        request.table = table;
        const QList<ColumnInfo> cols = connector.describe(table, {QStringLiteral("id"), QStringLiteral("name")});
        request.keys = {cols[0]};
        request.fields = {cols[1]};
        RowEncoder encoder({cols[0].cls}, {cols[1].cls}, false);
        const KeyText key{QStringLiteral("3")};

        std::unique_ptr<RowLock> lock = connector.lockRow(request, encoder, key);
        QVERIFY2(lock->row().has_value(), qPrintable(c.name));
        // The person's edit, with the revision it read itself.
        int status = 0;
        QJsonObject edited = getJson(c.base + c.edited, &status);
        edited.insert(QStringLiteral("name"), QStringLiteral("Edited by a person"));
        const QByteArray method = c.name == u"pouchdb" ? "PUT" : "PATCH";
        QVERIFY(httpRequest(method, c.base + c.edited, QJsonDocument(edited).toJson()) / 100 == 2);

        lock->write(QList<FieldText>{QByteArray("Resolved by the desk")});
        try {
            lock->commit();
            QFAIL(qPrintable(c.name + QStringLiteral(": the write went through over the person's edit")));
        } catch (const SyncError &e) {
            QVERIFY2(e.changed(), qPrintable(e.message()));
            QVERIFY2(e.message().contains(u"changed since it was read"), qPrintable(e.message()));
        }
        QCOMPARE(getJson(c.base + c.edited, &status).value(u"name").toString(), QStringLiteral("Edited by a person"));
    }
}

void TestHttpConnector::aRefusedConditionalWriteExitsThree()
{
    // An API with strong ETags that refuses every write with 412, as one does when the record
    // changed after the ETag was read; and, once switched, one whose ETags are weak.
    std::atomic<bool> weak{false};
    FaultServer server([&weak](const FaultServer::Request &r) {
        if (r.method == "GET" && r.target.startsWith("/items/1"))
            return FaultServer::json(200, R"({"id":1,"v":"api"})",
                                     weak ? "ETag: W/\"e1\"\r\n" : "ETag: \"e1\"\r\n");
        if (r.method == "GET")
            return FaultServer::json(200, R"([{"id":1,"v":"api"}])");
        return FaultServer::json(412, R"({"error":"precondition failed"})");
    });
    QString error;
    const QString lite = m_dir.filePath(QStringLiteral("items.db"));
    QVERIFY2(sqliteExec(lite, {QStringLiteral("CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)"),
                               QStringLiteral("INSERT INTO items VALUES (1, 'desk')")},
                        &error),
             qPrintable(error));
    const QString ws = workspace(
        {QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")}, {QStringLiteral("kind"), QStringLiteral("sqlite")},
                     {QStringLiteral("path"), lite}},
         QJsonObject{{QStringLiteral("name"), QStringLiteral("api")}, {QStringLiteral("kind"), QStringLiteral("http")},
                     {QStringLiteral("base_url"), server.baseUrl()}}},
        {QJsonObject{{QStringLiteral("name"), QStringLiteral("f")},
                     {QStringLiteral("source"), QJsonObject{{QStringLiteral("system"), QStringLiteral("lite")},
                                                            {QStringLiteral("table"), QStringLiteral("items")}}},
                     {QStringLiteral("target"),
                      QJsonObject{{QStringLiteral("system"), QStringLiteral("api")},
                                  {QStringLiteral("resource"), QStringLiteral("items")},
                                  {QStringLiteral("page"), QJsonObject{{QStringLiteral("style"), QStringLiteral("none")}}},
                                  {QStringLiteral("write"), QJsonObject{{QStringLiteral("condition"), QStringLiteral("etag")}}}}},
                     {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}},
                     {QStringLiteral("fields"), QJsonArray{QStringLiteral("v")}}}});
    const QStringList reason{QStringLiteral("--reason"), QStringLiteral("the desk is right")};
    const CliRun refused = resolve(ws, QStringLiteral("f"), 1, reason);
    QVERIFY2(refused.exitCode == 3, (refused.out + refused.err).constData());
    QVERIFY2(refused.err.contains("412") && refused.err.contains("changed"), refused.err.constData());
    bool conditioned = false;
    for (const FaultServer::Request &r : server.requests())
        conditioned = conditioned || (r.method == "PATCH" && r.header("If-Match") == "\"e1\"");
    QVERIFY(conditioned);
    bool refusedAudited = false;
    for (const QJsonObject &e : auditEntries(ws))
        refusedAudited = refusedAudited || (e.value(u"type").toString() == u"outcome" && e.value(u"outcome").toString() == u"refused");
    QVERIFY(refusedAudited);

    // A weak ETag never matches If-Match: refused before anything is sent, saying why.
    weak = true;
    const qsizetype sent = server.requests().size();
    const CliRun weakRun = resolve(ws, QStringLiteral("f"), 1, reason);
    QVERIFY2(weakRun.exitCode == 2 && weakRun.err.contains("weak"), (weakRun.out + weakRun.err).constData());
    for (qsizetype i = sent; i < server.requests().size(); ++i)
        QVERIFY(server.requests().at(i).method == "GET");
}

namespace {

// Serves `total` records with ids 1..total, at most `cap` per page whatever is asked.
QByteArray pageOf(int from, int count, int total)
{
    QJsonArray items;
    for (int id = from; id < from + count && id <= total; ++id)
        items.append(QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("v"), QStringLiteral("v%1").arg(id)}});
    return QJsonDocument(items).toJson(QJsonDocument::Compact);
}

// Page-numbered paging of `size` records a page, the parameters' default names.
HttpPaging numberedPages(int size)
{
    HttpPaging paging;
    paging.style = HttpPaging::Style::Page;
    paging.size = size;
    return paging;
}

// Until `server` has had at least `count` requests, or 10 s passed; how many it had. For a
// page reader that must see what the fetching thread asks for meanwhile (a QTRY_ macro cannot
// return from the reader).
qsizetype waitForRequests(const FaultServer &server, qsizetype count)
{
    const QDeadlineTimer deadline(10000);
    while (server.requests().size() < count && !deadline.hasExpired())
        QThread::msleep(5);
    return server.requests().size();
}

int queryInt(const QByteArray &target, const QByteArray &name, int fallback)
{
    const QUrlQuery q(QUrl(QString::fromLatin1(target)));
    return q.hasQueryItem(QString::fromLatin1(name)) ? q.queryItemValue(QString::fromLatin1(name)).toInt() : fallback;
}

ScanStats scanAll(HttpConnector &connector, const TableRef &table, QString *error)
{
    ScanRequest request;
    request.table = table;
    request.ordered = false;
    QList<ColumnInfo> cols = connector.describe(table, {QStringLiteral("id"), QStringLiteral("v")});
    request.keys = {cols[0]};
    request.fields = {cols[1]};
    RowEncoder encoder({cols[0].cls}, {cols[1].cls}, false);
    BatchQueue queue(1000);
    try {
        ScanStats stats = connector.scan(request, encoder, queue);
        queue.finish();
        return stats;
    } catch (const SyncError &e) {
        *error = e.message();
        return {};
    }
}

TableRef resource(const QString &path, HttpPaging paging, const QString &records = {})
{
    auto spec = std::make_shared<HttpSideSpec>();
    spec->resource = path;
    spec->page = paging;
    spec->records = records;
    TableRef t(QString(), path);
    t.http = spec;
    return t;
}

} // namespace

void TestHttpConnector::pageAndCursorStylesReadEveryPage()
{
    static constexpr int Total = 23;
    static constexpr int Cap = 4; // the server gives fewer than asked: a short page is not the last
    FaultServer server([](const FaultServer::Request &r) {
        if (r.target.startsWith("/paged")) {
            const int page = queryInt(r.target, "p", 1);
            const int size = std::min(Cap, queryInt(r.target, "n", 10));
            return FaultServer::json(200, pageOf((page - 1) * size + 1, size, Total));
        }
        if (r.target.startsWith("/offset")) {
            const int offset = queryInt(r.target, "skip", 0);
            return FaultServer::json(200, pageOf(offset + 1, std::min(Cap, queryInt(r.target, "take", 10)), Total));
        }
        if (r.target.startsWith("/same")) // ignores its page parameter
            return FaultServer::json(200, pageOf(1, Cap, Total));
        // Cursor: {"data": [...], "next": <page>} and no "next" on the last page; page 1 is
        // empty but goes on (APIs that filter after paging do that).
        const int index = queryInt(r.target, "after", 0);
        const int from = (index == 0 ? 0 : index - 1) * Cap + 1;
        QJsonObject body{{QStringLiteral("data"), index == 1 ? QJsonArray()
                                                             : QJsonDocument::fromJson(pageOf(from, Cap, Total)).array()}};
        if (index == 1 || from + Cap <= Total)
            body.insert(QStringLiteral("next"), index + 1);
        return FaultServer::json(200, QJsonDocument(body).toJson(QJsonDocument::Compact));
    });
    HttpConnector connector(httpSystem(server.baseUrl()));
    QString error;

    HttpPaging page;
    page.style = HttpPaging::Style::Page;
    page.pageParam = QStringLiteral("p");
    page.sizeParam = QStringLiteral("n");
    page.size = Cap; // page numbers count the server's pages
    QCOMPARE(scanAll(connector, resource(QStringLiteral("paged"), page), &error).rows, qint64(Total));
    QVERIFY2(error.isEmpty(), qPrintable(error));

    HttpPaging offset;
    offset.style = HttpPaging::Style::Offset;
    offset.offsetParam = QStringLiteral("skip");
    offset.limitParam = QStringLiteral("take");
    offset.size = 10; // asks for 10, gets 4: the next offset follows what came, not what was asked
    QCOMPARE(scanAll(connector, resource(QStringLiteral("offset"), offset), &error).rows, qint64(Total));
    QVERIFY2(error.isEmpty(), qPrintable(error));

    HttpPaging cursor;
    cursor.style = HttpPaging::Style::Cursor;
    cursor.cursorAt = QStringLiteral("/next");
    cursor.cursorParam = QStringLiteral("after");
    QCOMPARE(scanAll(connector, resource(QStringLiteral("cursor"), cursor, QStringLiteral("/data")), &error).rows,
             qint64(Total));
    QVERIFY2(error.isEmpty(), qPrintable(error));

    // A server that ignores the page parameter would be read forever: refused at once.
    (void)scanAll(connector, resource(QStringLiteral("same"), page), &error);
    QVERIFY2(error.contains(QLatin1String("sent the previous page again")), qPrintable(error));
}

void TestHttpConnector::pageNumbersEndAtA404()
{
    // Django REST framework's way: a page past the last is 404 "Invalid page."
    FaultServer server([](const FaultServer::Request &r) {
        const int page = queryInt(r.target, "page", 1);
        if (page > 3)
            return FaultServer::json(404, R"({"detail": "Invalid page."})");
        return FaultServer::json(200, pageOf((page - 1) * 5 + 1, 5, 100));
    });
    const HttpPaging paging = numberedPages(5);
    HttpConnector connector(httpSystem(server.baseUrl()));
    QString error;
    QCOMPARE(scanAll(connector, resource(QStringLiteral("items"), paging), &error).rows, qint64(15));
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void TestHttpConnector::oneRequestAtATimeNeverDeadlocks()
{
    // Both sides on one system allowed one request at a time, each with more records than the
    // comparison's queues hold: a side blocked on its full queue must not keep the only slot
    // from the side the comparison waits for.
    static constexpr int Total = 60000, Page = 5000;
    FaultServer server([](const FaultServer::Request &r) {
        const int page = queryInt(r.target, "page", 1);
        return FaultServer::json(200, pageOf((page - 1) * Page + 1, Page, Total));
    });
    const QJsonArray systems{QJsonObject{{QStringLiteral("name"), QStringLiteral("api")},
                                         {QStringLiteral("kind"), QStringLiteral("http")},
                                         {QStringLiteral("base_url"), server.baseUrl()},
                                         {QStringLiteral("max_concurrent_requests"), 1}}};
    auto side = [](const QString &resource) {
        return QJsonObject{{QStringLiteral("system"), QStringLiteral("api")}, {QStringLiteral("resource"), resource},
                           {QStringLiteral("page"), QJsonObject{{QStringLiteral("style"), QStringLiteral("page")},
                                                                {QStringLiteral("size"), Page}}}};
    };
    const QString ws = workspace(systems, {flow(QStringLiteral("f"), side(QStringLiteral("a")), side(QStringLiteral("b")),
                                                {QStringLiteral("v")})});
    const CliRun run = diff(ws, QStringLiteral("f"));
    QVERIFY2(run.exitCode == 0, (run.out + run.err).constData());
    QCOMPARE(diffJson(run).value(u"in_sync").toInt(), Total);
}

void TestHttpConnector::retryAfterIsHonouredForEveryRequest()
{
    // The first two requests are refused with 429 and Retry-After: 1; then pages come.
    std::atomic<int> refusals{2};
    FaultServer server([&refusals](const FaultServer::Request &r) {
        if (refusals.fetch_sub(1) > 0)
            return FaultServer::json(429, "{}", "Retry-After: 1\r\n");
        const int page = queryInt(r.target, "page", 1);
        return FaultServer::json(200, pageOf((page - 1) * 5 + 1, 5, 12));
    });
    const HttpPaging paging = numberedPages(5);
    HttpConnector connector(httpSystem(server.baseUrl()));
    QElapsedTimer timer;
    timer.start();
    QString error;
    QCOMPARE(scanAll(connector, resource(QStringLiteral("items"), paging), &error).rows, qint64(12));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(timer.elapsed() >= 1900, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(connector.client().retries(), 2);
}

void TestHttpConnector::pagesAreFetchedAheadOfTheirReader()
{
    // Linked pages that count (?page=N): while the reader still holds the first page, the next
    // ones are asked for (the server never waits on the reader): HttpPageFetcher::Ahead
    // answers held, one answer waiting to be held, the page its link named and, where the
    // system allows enough requests at once to leave one free, HttpPageFetcher::Guesses pages
    // after it in flight; every record read once, no page asked twice, and none past a
    // rel="last" (at most Guesses past the end without one). With two requests at once, a
    // guess is made only while the other slot is idle (HttpGate::acquireSpare: it never takes
    // the last slot), which depends on how fast the link-named page came back: from none to
    // Guesses of them.
    static constexpr int Total = 40, Size = 5, Pages = Total / Size;
    struct Case
    {
        bool namesLast;
        int maxConcurrent;
    };
    for (const Case c : {Case{true, 6}, Case{false, 6}, Case{true, 2}}) {
        const bool namesLast = c.namesLast;
        FaultServer server([&server, namesLast](const FaultServer::Request &r) {
            const int page = queryInt(r.target, "page", 1);
            auto to = [&](int n) { return "<" + server.baseUrl().toUtf8() + "/items?page=" + QByteArray::number(n) + ">"; };
            QByteArrayList links;
            if (page < Pages)
                links << to(page + 1) + "; rel=\"next\"";
            if (namesLast)
                links << to(Pages) + "; rel=\"last\"";
            const QByteArray header = links.isEmpty() ? QByteArray() : "Link: " + links.join(", ") + "\r\n";
            return FaultServer::json(200, pageOf((page - 1) * Size + 1, Size, Total), header);
        });
        HttpPaging paging;
        paging.style = HttpPaging::Style::Link;
        const TableRef table = resource(QStringLiteral("items"), paging);
        SystemSpec system = httpSystem(server.baseUrl());
        system.name = QStringLiteral("ahead-%1-%2").arg(namesLast).arg(c.maxConcurrent);
        system.http.maxConcurrentRequests = c.maxConcurrent;
        HttpConnector connector(system);
        int pages = 0;
        qsizetype records = 0;
        qsizetype askedWhileFirstRead = 0;
        const qsizetype expected = 1 + HttpPageFetcher::Ahead + 2 + (c.maxConcurrent > 2 ? HttpPageFetcher::Guesses : 0);
        const qsizetype atMost = 1 + HttpPageFetcher::Ahead + 2 + HttpPageFetcher::Guesses;
        connector.readPages(*table.http, connector.firstPage(*table.http), [&](const HttpRecords &page, const QString &) {
            if (++pages == 1)
                askedWhileFirstRead = waitForRequests(server, expected);
            records += qsizetype(page.size());
            return true;
        });
        QVERIFY2(askedWhileFirstRead >= expected && askedWhileFirstRead <= atMost,
                 qPrintable(QStringLiteral("%1 pages asked while the first was held, %2 to %3 expected")
                                .arg(askedWhileFirstRead).arg(expected).arg(atMost)));
        QCOMPARE(pages, Pages);
        QCOMPARE(records, qsizetype(Total));
        QSet<int> asked;
        for (const FaultServer::Request &r : server.requests()) {
            const int page = queryInt(r.target, "page", 1);
            QVERIFY2(!asked.contains(page), qPrintable(QStringLiteral("page %1 asked twice").arg(page)));
            asked.insert(page);
        }
        if (namesLast || c.maxConcurrent == 2)
            QCOMPARE(asked.size(), Pages);
        else
            QVERIFY2(asked.size() >= Pages && asked.size() <= Pages + qsizetype(HttpPageFetcher::Guesses),
                     qPrintable(QString::number(asked.size())));
    }
}

void TestHttpConnector::guessedPagesAreReadOnlyWhereALinkNamesThem()
{
    // The links count pages, then skip one (page 2 links to page 4): page 3, guessed as soon as
    // page 1's link came (page 2 is answered only once it was asked for), is never read, and
    // nothing is guessed after that. Page 3's records would be ids 11 to 15.
    FaultServer server([&server](const FaultServer::Request &r) {
        const int page = queryInt(r.target, "page", 1);
        if (page == 2) {
            // This thread serves every connection: let it take the guess's meanwhile.
            const QDeadlineTimer deadline(5000);
            auto asked = [&server] {
                const QList<FaultServer::Request> all = server.requests();
                return std::any_of(all.cbegin(), all.cend(),
                                   [](const FaultServer::Request &q) { return queryInt(q.target, "page", 1) == 3; });
            };
            while (!asked() && !deadline.hasExpired())
                QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        }
        static const QMap<int, int> next{{1, 2}, {2, 4}, {4, 5}};
        const QByteArray header = next.contains(page) ? "Link: <" + server.baseUrl().toUtf8() + "/items?page="
                                                            + QByteArray::number(next[page]) + ">; rel=\"next\"\r\n"
                                                      : QByteArray();
        return FaultServer::json(200, pageOf((page - 1) * 5 + 1, 5, 100), header);
    });
    HttpPaging paging;
    paging.style = HttpPaging::Style::Link;
    // Numbered from the first page, so the guessing starts with page 1's link.
    const TableRef table = resource(QStringLiteral("items?page=1"), paging);
    HttpConnector connector(httpSystem(server.baseUrl()));
    QList<int> ids;
    connector.readPages(*table.http, connector.firstPage(*table.http), [&](const HttpRecords &page, const QString &) {
        for (size_t i = 0; i < page.size(); ++i)
            ids << int(int64_t(*page.member(i, "id")));
        return true;
    });
    QList<int> want;
    for (const int page : {1, 2, 4, 5})
        for (int id = (page - 1) * 5 + 1; id <= page * 5; ++id)
            want << id;
    QCOMPARE(ids, want);
    int guessed = 0;
    for (const FaultServer::Request &r : server.requests()) {
        const int page = queryInt(r.target, "page", 1);
        QVERIFY2(page <= 5, r.target.constData());
        guessed += page == 3 ? 1 : 0;
    }
    QCOMPARE(guessed, 1);
}

void TestHttpConnector::aComparisonAsksForEachPageOnce()
{
    // The first page, read to learn the members' types, is the scan's first page too: a
    // comparison asks for every page once (the later pages come while the other side is
    // described).
    static constexpr int Size = 50, Pages = Records / Size;
    FaultServer server([&server](const FaultServer::Request &r) {
        const int page = queryInt(r.target, "page", 1);
        QJsonArray items;
        for (int id = (page - 1) * Size + 1; id <= page * Size; ++id)
            items.append(customer(id));
        auto to = [&](int n) { return "<" + server.baseUrl().toUtf8() + "/customers?page=" + QByteArray::number(n) + ">"; };
        QByteArray link = "Link: " + to(Pages) + "; rel=\"last\"";
        if (page < Pages)
            link += ", " + to(page + 1) + "; rel=\"next\"";
        return FaultServer::json(200, QJsonDocument(items).toJson(QJsonDocument::Compact), link + "\r\n");
    });
    const QString ws = workspace(
        {QJsonObject{{QStringLiteral("name"), QStringLiteral("paged")}, {QStringLiteral("kind"), QStringLiteral("http")},
                     {QStringLiteral("base_url"), server.baseUrl()}},
         QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")}, {QStringLiteral("kind"), QStringLiteral("sqlite")},
                     {QStringLiteral("path"), m_sqlite}}},
        {QJsonObject{{QStringLiteral("name"), QStringLiteral("paged-lite")},
                     {QStringLiteral("source"), QJsonObject{{QStringLiteral("system"), QStringLiteral("paged")},
                                                            {QStringLiteral("resource"), QStringLiteral("customers")}}},
                     {QStringLiteral("target"), QJsonObject{{QStringLiteral("system"), QStringLiteral("lite")},
                                                            {QStringLiteral("table"), QStringLiteral("customers")}}},
                     {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}},
                     {QStringLiteral("fields"), QJsonArray{QStringLiteral("name")}}}});
    const CliRun run = diff(ws, QStringLiteral("paged-lite"));
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(diffJson(run).value(u"in_sync").toInt(), Records);
    QList<int> asked;
    for (const FaultServer::Request &r : server.requests())
        asked << queryInt(r.target, "page", 1);
    std::sort(asked.begin(), asked.end());
    QList<int> once;
    for (int page = 1; page <= Pages; ++page)
        once << page;
    QCOMPARE(asked, once);
}

void TestHttpConnector::plainHttpKeepsConnectionsAliveAndRetriesOneClosedWhileIdle()
{
    // Plain-HTTP GETs go on kept-alive connections (PlainHttpGet). A server may close an idle
    // one just as the next request goes out on it: that request is sent again on a new
    // connection, unseen by the caller and not counted as a retry. Here the server answers the
    // first request of each connection and closes it at the second.
    FaultServer server(
        [](const FaultServer::Request &r) -> QByteArray {
            if (r.onConnection > 1)
                return {};
            const QByteArray body = "{\"connection\":" + QByteArray::number(r.connection) + "}";
            return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                   + QByteArray::number(body.size()) + "\r\n\r\n" + body;
        },
        FaultServer::Connections::KeepAlive);
    SystemSpec system = httpSystem(server.baseUrl());
    static int run = 0;
    system.name = QStringLiteral("kept-alive-%1").arg(++run);
    HttpClient client(system);
    for (int i = 1; i <= 3; ++i) {
        const HttpResponse r = client.get(QUrl(server.baseUrl() + QStringLiteral("/item")));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, "{\"connection\":" + QByteArray::number(i) + "}");
    }
    QCOMPARE(client.retries(), 0);
    // Connection 1 answered, was kept and reused (closed by the server), and so on.
    QList<QPair<int, int>> seen;
    for (const FaultServer::Request &r : server.requests()) {
        seen.append({r.connection, r.onConnection});
        // Nothing is asked for that it would not decode (Qt Network asks for gzip).
        QVERIFY(r.header("Accept-Encoding").isEmpty());
    }
    const QList<QPair<int, int>> expected{{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 1}};
    QCOMPARE(seen, expected);
}

void TestHttpConnector::aSystemsHeaderReplacesOurs()
{
    // A workspace's Accept replaces the one SyncDesk sends: one field, its value.
    FaultServer server([](const FaultServer::Request &) { return FaultServer::json(200, "{}"); });
    SystemSpec system = httpSystem(server.baseUrl());
    static int run = 0;
    system.name = QStringLiteral("own-accept-%1").arg(++run);
    HttpHeader accept;
    accept.name = QStringLiteral("accept");
    accept.literal = QStringLiteral("application/vnd.api+json");
    system.http.headers = {accept};
    HttpClient client(system);
    QCOMPARE(client.get(QUrl(server.baseUrl() + QStringLiteral("/item"))).status, 200);
    const FaultServer::Request r = server.requests().value(0);
    qsizetype accepts = 0;
    for (const auto &[name, value] : r.headers)
        accepts += name.compare("Accept", Qt::CaseInsensitive) == 0 ? 1 : 0;
    QCOMPARE(accepts, qsizetype(1));
    QCOMPARE(r.header("Accept"), QByteArray("application/vnd.api+json"));
}

void TestHttpConnector::aPortThatSpeaksNoHttpFailsAtOnce()
{
    // A server that answers something else than HTTP: one error naming the problem, at once
    // (not retried as if the network had failed).
    FaultServer server([](const FaultServer::Request &) { return QByteArray("SSH-2.0-OpenSSH_9.2\r\n"); });
    SystemSpec system = httpSystem(server.baseUrl());
    static int run = 0;
    system.name = QStringLiteral("not-http-%1").arg(++run);
    HttpClient client(system);
    QElapsedTimer timer;
    timer.start();
    QString error;
    try {
        (void)client.get(QUrl(server.baseUrl() + QStringLiteral("/item")));
    } catch (const SyncError &e) {
        error = e.message();
    }
    QVERIFY2(error.contains(u"GET /item") && error.contains(u"not HTTP/1.x"), qPrintable(error));
    QCOMPARE(client.retries(), 0);
    QCOMPARE(server.requests().size(), qsizetype(1));
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
}

void TestHttpConnector::aRetryAfterNobodyReadsStillHoldsTheSystem()
{
    // A page asked for on a guess, then given up unread: the 429 it got still holds every
    // request to the system for as long as the server said.
    FaultServer server([](const FaultServer::Request &) { return FaultServer::json(429, "{}", "Retry-After: 30\r\n"); });
    SystemSpec system = httpSystem(server.baseUrl());
    static int run = 0; // gates live as long as the process: a new one for each run (-repeat)
    system.name = QStringLiteral("held-unread-%1").arg(++run);
    HttpClient client(system);
    std::unique_ptr<HttpClient::Exchange> guess =
        client.startIfSpare("GET", QUrl(server.baseUrl() + QStringLiteral("/items?page=3")));
    QVERIFY(guess);
    const std::shared_ptr<HttpGate> gate = HttpGate::forSystem(system.name, system.http);
    QTRY_VERIFY_WITH_TIMEOUT(gate->heldFor() > std::chrono::seconds(20), 10000);
    guess.reset(); // never waited for
    QString why;
    QVERIFY(gate->heldFor(&why) > std::chrono::seconds(20));
    QVERIFY2(why.contains(u"GET /items?page=3") && why.contains(u"Retry-After 30 s"), qPrintable(why));
}

void TestHttpConnector::aReaderThatStopsNeverWaitsForPagesAhead()
{
    // Page 1 comes; every later page is refused with Retry-After: 30. A reader that stops
    // after page 1 (or fails on it) returns at once: the page fetched ahead is given up, not
    // waited for until the server allows it.
    FaultServer server([](const FaultServer::Request &r) {
        const int page = queryInt(r.target, "page", 1);
        if (page > 1)
            return FaultServer::json(429, "{}", "Retry-After: 30\r\n");
        return FaultServer::json(200, pageOf(1, 5, 100));
    });
    const HttpPaging paging = numberedPages(5);
    const TableRef table = resource(QStringLiteral("items"), paging);
    for (const bool fails : {false, true}) {
        // A system of its own each time: the hold lasts for every request to a system.
        SystemSpec system = httpSystem(server.baseUrl());
        system.name = QStringLiteral("held-%1").arg(fails);
        HttpConnector connector(system);
        QElapsedTimer timer;
        timer.start();
        QString error;
        try {
            connector.readPages(*table.http, connector.firstPage(*table.http), [&](const HttpRecords &, const QString &) {
                // Once the page after this one was refused (so its retry waits on the hold).
                (void)waitForRequests(server, 2);
                if (fails)
                    throw SyncError(QStringLiteral("the reader failed"));
                return false;
            });
        } catch (const SyncError &e) {
            error = e.message();
        }
        QCOMPARE(error, fails ? QStringLiteral("the reader failed") : QString());
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    }
}

void TestHttpConnector::pageNumbersAskAtMostOnePagePastTheEnd()
{
    // Page numbers end at an empty page, which only its reader sees: a page past it costs the
    // API's quota (and a 429 there would hold every flow), so at most one is asked for.
    FaultServer server([](const FaultServer::Request &r) {
        const int page = queryInt(r.target, "page", 1);
        return FaultServer::json(200, pageOf((page - 1) * 5 + 1, 5, 15));
    });
    const HttpPaging paging = numberedPages(5);
    HttpConnector connector(httpSystem(server.baseUrl()));
    for (int round = 0; round < 5; ++round) {
        QString error;
        // Each round's requests marked: the page past the end that a round gave up may still
        // reach the server while the next round runs.
        QCOMPARE(scanAll(connector, resource(QStringLiteral("items?round=%1").arg(round), paging), &error).rows,
                 qint64(15));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // describe's first page, pages 1 to 3, the empty page 4, and page 5 at most.
        qsizetype asked = 0;
        for (const FaultServer::Request &r : server.requests())
            asked += queryInt(r.target, "round", -1) == round ? 1 : 0;
        QVERIFY2(asked >= 5 && asked <= 6, qPrintable(QString::number(asked)));
    }
}

void TestHttpConnector::secretHeadersComeFromTheEnvironmentAndNeverShow()
{
    const QByteArray secret = "s3cr3t-t0ken-value";
    FaultServer server([secret](const FaultServer::Request &r) {
        if (r.header("Authorization") != "Bearer " + secret)
            return FaultServer::json(401, "{\"error\":\"no\"}");
        return FaultServer::json(200, pageOf(1, 3, 3));
    });
    const QJsonArray systems{
        QJsonObject{{QStringLiteral("name"), QStringLiteral("api")}, {QStringLiteral("kind"), QStringLiteral("http")},
                    {QStringLiteral("base_url"), server.baseUrl()},
                    {QStringLiteral("headers"),
                     QJsonObject{{QStringLiteral("Authorization"),
                                  QJsonObject{{QStringLiteral("env"), QStringLiteral("SYNCDESK_TEST_TOKEN")},
                                              {QStringLiteral("prefix"), QStringLiteral("Bearer ")}}}}}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")}, {QStringLiteral("kind"), QStringLiteral("sqlite")},
                    {QStringLiteral("path"), m_sqlite}}};
    QJsonObject api{{QStringLiteral("system"), QStringLiteral("api")}, {QStringLiteral("resource"), QStringLiteral("items")},
                    {QStringLiteral("page"), QJsonObject{{QStringLiteral("style"), QStringLiteral("none")}}}};
    const QString ws = workspace(systems, {flow(QStringLiteral("f"), api, tableSide(QStringLiteral("lite")), {})});

    qunsetenv("SYNCDESK_TEST_TOKEN");
    CliRun run = diff(ws, QStringLiteral("f"));
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("SYNCDESK_TEST_TOKEN") && run.err.contains("not set"), run.err.constData());

    qputenv("SYNCDESK_TEST_TOKEN", "wrong-" + secret);
    run = diff(ws, QStringLiteral("f"));
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("HTTP 401") && run.err.contains("GET /items"), run.err.constData());
    QVERIFY(!run.err.contains(secret) && !run.out.contains(secret));

    qputenv("SYNCDESK_TEST_TOKEN", secret);
    run = diff(ws, QStringLiteral("f"));
    QVERIFY2(run.exitCode == 1, run.err.constData()); // 3 records against the shop's 300
    QCOMPARE(diffJson(run).value(u"in_sync").toInt(), 3);
    QVERIFY(!run.err.contains(secret) && !run.out.contains(secret));
    qunsetenv("SYNCDESK_TEST_TOKEN");
}

void TestHttpConnector::keychainHeadersTakeTheConsolesSecretOrTheEnvFallback()
{
    // A header whose value is a desktop keychain entry: the console reads the entry into
    // SecretCache; a process that read none (syncdesk-cli) uses the "env" fallback, or says
    // plainly why it has no value. The secret never shows in a message.
    const QByteArray secret = "k3ych41n-t0ken";
    FaultServer server([secret](const FaultServer::Request &r) {
        if (r.header("X-Api-Key") != "Key " + secret)
            return FaultServer::json(401, "{\"error\":\"no\"}");
        return FaultServer::json(200, pageOf(1, 3, 3));
    });
    HttpPaging none;
    none.style = HttpPaging::Style::None;
    const QString entry = QStringLiteral("api/X-Api-Key");
    // The records read with the header taking `env` as its fallback, or -1 and the error.
    auto read = [&](const QString &env, QString *error) -> qint64 {
        SystemSpec system = httpSystem(server.baseUrl());
        HttpHeader h;
        h.name = QStringLiteral("X-Api-Key");
        h.keychain = entry;
        h.env = env;
        h.prefix = QStringLiteral("Key ");
        system.http.headers = {h};
        try {
            HttpConnector connector(system);
            const qint64 rows = scanAll(connector, resource(QStringLiteral("items"), none), error).rows;
            return error->isEmpty() ? rows : -1;
        } catch (const SyncError &e) {
            *error = e.message();
            return -1;
        }
    };
    QString error;
    SecretCache::remove(entry);
    QCOMPARE(read({}, &error), qint64(-1));
    QVERIFY2(error.contains(QLatin1String("keychain entry 'api/X-Api-Key'")) && error.contains(QLatin1String("\"env\" fallback")),
             qPrintable(error));

    error.clear();
    SecretCache::putFailure(entry, QStringLiteral("Cannot create an item in a locked collection"));
    QCOMPARE(read({}, &error), qint64(-1));
    QVERIFY2(error.contains(QLatin1String("could not be read: Cannot create an item in a locked collection")),
             qPrintable(error));

    error.clear();
    SecretCache::put(entry, secret);
    QCOMPARE(read({}, &error), qint64(3));

    SecretCache::remove(entry);
    qputenv("SYNCDESK_TEST_KEY", secret);
    QCOMPARE(read(QStringLiteral("SYNCDESK_TEST_KEY"), &error), qint64(3));
    qunsetenv("SYNCDESK_TEST_KEY");
    QCOMPARE(read(QStringLiteral("SYNCDESK_TEST_KEY"), &error), qint64(-1));
    QVERIFY2(error.contains(QLatin1String("SYNCDESK_TEST_KEY, which is not set")) && !error.contains(QLatin1String(secret)),
             qPrintable(error));
}

void TestHttpConnector::badInputGivesOneClearError_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<QString>("records");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("malformed JSON") << FaultServer::json(200, "[{\"id\": 1,") << QString() << QByteArray("not valid JSON");
    QTest::newRow("missing records pointer") << FaultServer::json(200, "{\"items\": []}") << QStringLiteral("/data")
                                             << QByteArray("records pointer '/data' names nothing");
    QTest::newRow("records not an array") << FaultServer::json(200, "{\"data\": {}}") << QStringLiteral("/data")
                                          << QByteArray("names an object, not an array");
    QTest::newRow("record not an object") << FaultServer::json(200, "[{\"id\":1,\"v\":\"a\"}, 7]") << QString()
                                          << QByteArray("record 1 is a number, not an object");
    QTest::newRow("key member missing") << FaultServer::json(200, "[{\"id\":1,\"v\":\"a\"}, {\"v\":\"b\"}]") << QString()
                                        << QByteArray("record 1 has no key member 'id'");
    QTest::newRow("redirect to another host")
        << QByteArray("HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/items\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n")
        << QString() << QByteArray("redirected to another host (elsewhere.invalid)");
    QTest::newRow("oversized body") << FaultServer::json(200, "[" + QByteArray(4096, ' ') + "]") << QString()
                                    << QByteArray("larger than 2048 bytes");
    QTest::newRow("body cut short")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n"
                      "Connection: close\r\n\r\n[{\"id\": 1, \"v\": \"a\"}")
        << QString() << QByteArray("GET /items");
}

void TestHttpConnector::badInputGivesOneClearError()
{
    QFETCH(QByteArray, response);
    QFETCH(QString, records);
    QFETCH(QByteArray, expected);
    FaultServer server([response](const FaultServer::Request &r) {
        if (r.target.startsWith("/items"))
            return response;
        return FaultServer::json(200, pageOf(1, 2, 2));
    });
    const QJsonArray systems{
        QJsonObject{{QStringLiteral("name"), QStringLiteral("api")}, {QStringLiteral("kind"), QStringLiteral("http")},
                    {QStringLiteral("base_url"), server.baseUrl()}, {QStringLiteral("max_body_bytes"), 2048},
                    {QStringLiteral("timeout_seconds"), 5}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("good")}, {QStringLiteral("kind"), QStringLiteral("http")},
                    {QStringLiteral("base_url"), server.baseUrl()}}};
    QJsonObject bad{{QStringLiteral("system"), QStringLiteral("api")}, {QStringLiteral("resource"), QStringLiteral("items")},
                    {QStringLiteral("page"), QJsonObject{{QStringLiteral("style"), QStringLiteral("none")}}}};
    if (!records.isEmpty())
        bad.insert(QStringLiteral("records"), records);
    const QJsonObject good{{QStringLiteral("system"), QStringLiteral("good")}, {QStringLiteral("resource"), QStringLiteral("ok")},
                           {QStringLiteral("page"), QJsonObject{{QStringLiteral("style"), QStringLiteral("none")}}}};
    const QString ws = workspace(systems, {flow(QStringLiteral("f"), bad, good, {QStringLiteral("v")})});
    const CliRun run = diff(ws, QStringLiteral("f"));
    QCOMPARE(run.exitCode, 2);
    const QByteArray err = run.err.trimmed();
    QVERIFY2(!err.contains('\n'), err.constData()); // one line
    QVERIFY2(err.contains("system 'api' (http)") && err.contains("/items") && err.contains(expected), err.constData());
    QVERIFY2(run.out.isEmpty(), run.out.constData()); // no half result
}

void TestHttpConnector::nextLinkFollowsRfc8288()
{
    const QUrl base(QStringLiteral("http://h:1/c?_page=1"));
    QCOMPARE(HttpConnector::nextLink("<http://h:1/c?_page=1>; rel=\"first\", <http://h:1/c?_page=2>; rel=\"next\"", base),
             QUrl(QStringLiteral("http://h:1/c?_page=2")));
    QCOMPARE(HttpConnector::nextLink("</c?p=3>; title=\"a, b\"; rel=next", base), QUrl(QStringLiteral("http://h:1/c?p=3")));
    QCOMPARE(HttpConnector::nextLink("<http://h:1/c?p=9>; rel=\"prev last\"", base), QUrl());
    QCOMPARE(HttpConnector::nextLink("<http://h:1/c?p=4>; rel=\"last next\"", base), QUrl(QStringLiteral("http://h:1/c?p=4")));
    QCOMPARE(HttpConnector::nextLink("", base), QUrl());
}

void TestHttpConnector::pollingReportsEachChangeOnce()
{
    // Records with times; the server honours since= as an inclusive bound, like json-server's _gte.
    QMutex mutex;
    QJsonArray records{QJsonObject{{QStringLiteral("id"), 1}, {QStringLiteral("v"), QStringLiteral("a")}, {QStringLiteral("t"), QStringLiteral("2026-01-01T00:00:01Z")}},
                       QJsonObject{{QStringLiteral("id"), 2}, {QStringLiteral("v"), QStringLiteral("b")}, {QStringLiteral("t"), QStringLiteral("2026-01-01T00:00:03Z")}}};
    FaultServer server([&](const FaultServer::Request &r) {
        const QMutexLocker lock(&mutex);
        const QUrlQuery q(QUrl(QString::fromLatin1(r.target)));
        const QString since = q.queryItemValue(QStringLiteral("since"), QUrl::FullyDecoded);
        QJsonArray out;
        for (const QJsonValue &v : records) {
            if (since.isEmpty() || v[u"t"].toString() >= since)
                out.append(v);
        }
        return FaultServer::json(200, QJsonDocument(out).toJson(QJsonDocument::Compact));
    });
    HttpConnector connector(httpSystem(server.baseUrl()));
    HttpPaging none;
    none.style = HttpPaging::Style::None;
    TableRef table = resource(QStringLiteral("items"), none);
    auto spec = std::make_shared<HttpSideSpec>(*table.http);
    spec->updatedSinceParam = QStringLiteral("since");
    table.http = spec;
    const QList<HttpPollingFeed::Table> tables{{table, {QStringLiteral("id")}, QStringLiteral("t")}};

    // No mark: the first poll learns it and reports nothing.
    HttpPollingFeed::Result r = HttpPollingFeed::pollOnce(connector, tables, {});
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QVERIFY(r.events.isEmpty());
    QCOMPARE(server.requests().last().target, QByteArray("/items"));
    // Nothing changed: the record at the mark comes back (inclusive bound) and is not news.
    r = HttpPollingFeed::pollOnce(connector, tables, r.marks);
    QVERIFY(r.events.isEmpty());
    QVERIFY(server.requests().last().target.contains("since=2026-01-01T00%3A00%3A03Z"));
    {
        // Record 1 changes at the mark's very second; record 3 arrives later.
        const QMutexLocker lock(&mutex);
        records[0] = QJsonObject{{QStringLiteral("id"), 1}, {QStringLiteral("v"), QStringLiteral("a2")}, {QStringLiteral("t"), QStringLiteral("2026-01-01T00:00:03Z")}};
        records.append(QJsonObject{{QStringLiteral("id"), 3}, {QStringLiteral("v"), QStringLiteral("c")}, {QStringLiteral("t"), QStringLiteral("2026-01-01T00:00:05Z")}});
    }
    r = HttpPollingFeed::pollOnce(connector, tables, r.marks);
    QCOMPARE(r.events.size(), 2);
    QCOMPARE(r.events[0].columns.value(QStringLiteral("id")), std::optional<QString>(QStringLiteral("1")));
    QCOMPARE(r.events[1].columns.value(QStringLiteral("id")), std::optional<QString>(QStringLiteral("3")));
    QCOMPARE(r.events[1].commitMs, QDateTime::fromString(QStringLiteral("2026-01-01T00:00:05Z"), Qt::ISODate).toMSecsSinceEpoch());
    // Kept and restored as a position: nothing is reported twice after a restart.
    const QString position = PollMark::position(r.marks);
    r = HttpPollingFeed::pollOnce(connector, tables, PollMark::fromPosition(position));
    QVERIFY(r.events.isEmpty());
}

void TestHttpConnector::watchReportsAnApiChangeWithinOnePoll()
{
    // json-server's own filter: updated_at_gte compares ISO-8601 UTC times as text.
    QJsonArray items;
    for (int id = 1; id <= 40; ++id)
        items.append(QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("name"), QStringLiteral("n%1").arg(id)},
                                 {QStringLiteral("updated_at"), QStringLiteral("2026-01-01T00:00:00.000Z")}});
    QTemporaryDir dir;
    const QString db = writeFile(QDir(dir.path()), QStringLiteral("db.json"),
                                 QJsonDocument(QJsonObject{{QStringLiteral("items"), items}}).toJson());
    ThirdPartyServer api;
    QString error;
    QVERIFY2(api.start(ThirdPartyServer::Kind::JsonServer, db, &error), qPrintable(error));
    const QString lite = dir.filePath(QStringLiteral("t.db"));
    QStringList statements{QStringLiteral("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")};
    for (int id = 1; id <= 40; ++id)
        statements << QStringLiteral("INSERT INTO items VALUES (%1, 'n%1')").arg(id);
    QVERIFY2(sqliteExec(lite, statements, &error), qPrintable(error));
    const QJsonArray systems{
        QJsonObject{{QStringLiteral("name"), QStringLiteral("api")}, {QStringLiteral("kind"), QStringLiteral("http")},
                    {QStringLiteral("base_url"), api.baseUrl()}, {QStringLiteral("feed"), QStringLiteral("polling")}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")}, {QStringLiteral("kind"), QStringLiteral("sqlite")},
                    {QStringLiteral("path"), lite}}};
    const QJsonObject source{{QStringLiteral("system"), QStringLiteral("api")},
                             {QStringLiteral("resource"), QStringLiteral("items?_page=1&_limit=15")},
                             {QStringLiteral("updated_at"), QStringLiteral("updated_at")},
                             {QStringLiteral("updated_since_param"), QStringLiteral("updated_at_gte")}};
    QJsonObject f = flow(QStringLiteral("items"), source,
                         {{QStringLiteral("system"), QStringLiteral("lite")}, {QStringLiteral("table"), QStringLiteral("items")}},
                         {QStringLiteral("name")});
    const QString ws = writeFile(QDir(dir.path()), QStringLiteral("ws.json"),
                                 QJsonDocument(QJsonObject{{QStringLiteral("version"), 1},
                                                           {QStringLiteral("systems"), systems},
                                                           {QStringLiteral("flows"), QJsonArray{f}}})
                                     .toJson());
    QProcess watch;
    watch.start(QStringLiteral(SYNCDESK_CLI_PATH), {QStringLiteral("watch"), QStringLiteral("--workspace"), ws,
                                                   QStringLiteral("--events")});
    QVERIFY(watch.waitForStarted(10000));
    testsupport::ProcessOutput output{watch, {}, {}};
    QByteArray &out = output.out;
    QByteArray &err = output.err;
    const auto waitFor = [&output](const QByteArray &needle, int ms) { return output.waitOut(needle, ms); };
    QVERIFY2(waitFor("\"event\":\"ready\"", 30000), (out + err).constData());
    // The feed learns its mark at its first poll; an edit after that must show within one
    // poll interval (1 s by default) plus 1 s.
    // The edit must come after the feed learnt its mark: wait until the state store keeps it.
    const QString state = dir.filePath(QStringLiteral("ws.state.db"));
    auto markKept = [&] {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("mark"));
        db.setDatabaseName(state);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        bool kept = false;
        if (db.open()) {
            QSqlQuery q(db);
            kept = q.exec(QStringLiteral("SELECT position FROM feed_positions WHERE system = 'api'")) && q.next()
                   && q.value(0).toString().contains(QLatin1String("2026-01-01T00:00:00.000Z"));
        }
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("mark"));
        return kept;
    };
    QTRY_VERIFY_WITH_TIMEOUT(markKept(), 15000);
    QElapsedTimer sinceEdit;
    sinceEdit.start();
    const QByteArray now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8();
    QCOMPARE(httpRequest("PATCH", api.baseUrl() + QStringLiteral("/items/7"),
                         "{\"name\":\"edited\",\"updated_at\":\"" + now + "\"}"),
             200);
    QVERIFY2(waitFor("\"key\":[7],\"status\":\"pending\"", 5000), out.constData());
    QVERIFY2(sinceEdit.elapsed() <= 2000, qPrintable(QString::number(sinceEdit.elapsed())));

    // The API goes away: shown once as unavailable and retried; back with the same data, it is
    // reported back and its changes flow again, from the kept mark.
    const auto waitForErr = [&output](const QByteArray &needle, int ms) { return output.waitErr(needle, ms); };
    api.stop();
    QVERIFY2(waitForErr("system 'api' unavailable", 60000), err.constData());
    QVERIFY2(api.restart(&error), qPrintable(error));
    QVERIFY2(waitForErr("system 'api' back", 60000), err.constData());
    const QByteArray later = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8();
    QCOMPARE(httpRequest("PATCH", api.baseUrl() + QStringLiteral("/items/9"),
                         "{\"name\":\"after the outage\",\"updated_at\":\"" + later + "\"}"),
             200);
    QVERIFY2(waitFor("\"key\":[9],\"status\":\"pending\"", 10000), out.constData());
    QCOMPARE(err.count("system 'api' unavailable"), 1);
    QCOMPARE(testsupport::stopGracefully(watch), 0);
}

void TestHttpConnector::couchChangesFeedReportsEditsAndDeletes()
{
    // Given a CouchDB database followed through its _changes feed (pouchdb-server), against a
    // SQLite desk that agrees with it on 1..6
    const QString db = QStringLiteral("live");
    QCOMPARE(httpRequest("PUT", m_pouch.baseUrl() + u'/' + db), 201);
    QJsonArray docs;
    QStringList rows{QStringLiteral("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")};
    for (int id = 1; id <= 6; ++id) {
        docs.append(QJsonObject{{QStringLiteral("_id"), QString::number(id)}, {QStringLiteral("id"), id},
                                {QStringLiteral("name"), QStringLiteral("n%1").arg(id)}});
        rows << QStringLiteral("INSERT INTO customers VALUES (%1, 'n%1')").arg(id);
    }
    QCOMPARE(httpRequest("POST", m_pouch.baseUrl() + u'/' + db + QStringLiteral("/_bulk_docs"),
                         QJsonDocument(QJsonObject{{QStringLiteral("docs"), docs}}).toJson()),
             201);
    QTemporaryDir dir;
    QString error;
    const QString lite = dir.filePath(QStringLiteral("desk.db"));
    QVERIFY2(sqliteExec(lite, rows, &error), qPrintable(error));
    QJsonObject couch = couchSide();
    couch.insert(QStringLiteral("resource"), db + QStringLiteral("/_all_docs?include_docs=true"));
    couch.insert(QStringLiteral("item"), db + QStringLiteral("/{id}"));
    couch.insert(QStringLiteral("changes"), db + QStringLiteral("/_changes"));
    const QString ws = writeFile(QDir(dir.path()), QStringLiteral("ws.json"),
                                 QJsonDocument(QJsonObject{
                                                   {QStringLiteral("version"), 1},
                                                   {QStringLiteral("systems"),
                                                    QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")},
                                                                           {QStringLiteral("kind"), QStringLiteral("sqlite")},
                                                                           {QStringLiteral("path"), lite}},
                                                               apiSystems().at(1)}},
                                                   {QStringLiteral("flows"),
                                                    QJsonArray{flow(QStringLiteral("f"), tableSide(QStringLiteral("lite")), couch,
                                                                    {QStringLiteral("name")})}}})
                                     .toJson());
    QProcess watch;
    watch.start(QStringLiteral(SYNCDESK_CLI_PATH), {QStringLiteral("watch"), QStringLiteral("--workspace"), ws,
                                                   QStringLiteral("--events")});
    QVERIFY(watch.waitForStarted(10000));
    testsupport::ProcessOutput output{watch, {}, {}};
    QVERIFY2(output.waitOut("\"event\":\"ready\"", 30000), (output.out + output.err).constData());
    // The feed learns where the database is before anything changes.
    const QString state = dir.filePath(QStringLiteral("ws.state.db"));
    auto sequenceKept = [&] {
        QSqlDatabase s = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("seq"));
        s.setDatabaseName(state);
        s.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        bool kept = false;
        if (s.open()) {
            QSqlQuery q(s);
            kept = q.exec(QStringLiteral("SELECT position FROM feed_positions WHERE system = 'couch'")) && q.next()
                   && q.value(0).toString().contains(db + QStringLiteral("/_changes"));
        }
        s = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("seq"));
        return kept;
    };
    QTRY_VERIFY_WITH_TIMEOUT(sequenceKept(), 15000);

    // When a document is edited, then deleted, then each is reported within a poll and a
    // second: a rescan would take a minute, and only the changes feed names a deletion.
    int status = 0;
    const QString three = m_pouch.baseUrl() + u'/' + db + QStringLiteral("/3");
    QJsonObject doc = getJson(three, &status);
    doc.insert(QStringLiteral("name"), QStringLiteral("edited in the database"));
    QElapsedTimer sinceEdit;
    sinceEdit.start();
    QCOMPARE(httpRequest("PUT", three, QJsonDocument(doc).toJson()), 201);
    QVERIFY2(output.waitOut("\"key\":[3],\"status\":\"target_drift\"", 5000), output.out.constData());
    QVERIFY2(sinceEdit.elapsed() <= 2000, qPrintable(QString::number(sinceEdit.elapsed())));

    const QString four = m_pouch.baseUrl() + u'/' + db + QStringLiteral("/4");
    const QString rev = getJson(four, &status).value(u"_rev").toString();
    sinceEdit.restart();
    QCOMPARE(httpRequest("DELETE", four + QStringLiteral("?rev=") + rev), 200);
    // The target left the agreed record: drift (a deletion is the target's change like any other).
    QVERIFY2(output.waitOut("\"key\":[4],\"status\":\"target_drift\"", 5000), output.out.constData());
    QVERIFY2(sinceEdit.elapsed() <= 2000, qPrintable(QString::number(sinceEdit.elapsed())));
    QCOMPARE(testsupport::stopGracefully(watch), 0);
}

void TestHttpConnector::concurrentItemReadsShareTheGateWithoutDeadlock()
{
    // Two threads read items of one system at once (the engine and a detail view, say), which
    // allows 2 requests at a time, 20 a second: each gets one slot, then wants another. Slots
    // go back when replies finish, not when their reader gets to them, so both go on.
    FaultServer server([](const FaultServer::Request &r) {
        const int id = r.target.mid(r.target.lastIndexOf('/') + 1).toInt();
        return FaultServer::json(200, QJsonDocument(QJsonObject{{QStringLiteral("id"), id},
                                                                {QStringLiteral("v"), QStringLiteral("v%1").arg(id)}})
                                          .toJson(QJsonDocument::Compact));
    });
    SystemSpec system = httpSystem(server.baseUrl());
    system.http.maxConcurrentRequests = 2;
    system.http.maxRequestsPerSecond = 20;
    HttpPaging none;
    none.style = HttpPaging::Style::None;
    const TableRef table = resource(QStringLiteral("items"), none);
    ScanRequest request;
    request.table = table;
    request.keys = {ColumnInfo{QStringLiteral("id"), QString(), FieldClass::Numeric, true, true, QString()}};
    request.fields = {ColumnInfo{QStringLiteral("v"), QString(), FieldClass::Text, true, true, QString()}};
    auto done = std::make_shared<std::atomic<int>>(0);
    auto rows = std::make_shared<std::atomic<int>>(0);
    for (int t = 0; t < 2; ++t) {
        std::thread([system, request, done, rows, t] {
            HttpConnector connector(system);
            RowEncoder encoder({FieldClass::Numeric}, {FieldClass::Text}, true);
            QList<KeyText> keys;
            for (int i = 1; i <= 4; ++i)
                keys.append({QString::number(t * 10 + i)});
            try {
                *rows += int(connector.fetch(request, encoder, keys).size());
            } catch (...) {
            }
            ++*done;
        }).detach(); // a deadlock must fail the test, not hang it in a join
    }
    QTRY_COMPARE_WITH_TIMEOUT(done->load(), 2, 20000);
    QCOMPARE(rows->load(), 8);
}


namespace {

// A Standard Webhooks delivery of `body`, signed with `key` (the secret's bytes).
QList<QPair<QByteArray, QByteArray>> signedHeaders(const QByteArray &key, const QByteArray &id, qint64 timestamp,
                                                   const QByteArray &body)
{
    const QByteArray ts = QByteArray::number(timestamp);
    const QByteArray mac = QMessageAuthenticationCode::hash(id + '.' + ts + '.' + body, key, QCryptographicHash::Sha256);
    return {{"webhook-id", id}, {"webhook-timestamp", ts}, {"webhook-signature", "v1," + mac.toBase64()}};
}

} // namespace

void TestHttpConnector::webhooksReportSignedChangesOnly()
{
    // json-server holds the records; it pushes nothing itself, so the deliveries are sent as a
    // sender would, after each edit. No updated_since_param: without webhooks, the API would
    // only be compared again every minute.
    QJsonArray items;
    for (int id = 1; id <= 20; ++id)
        items.append(QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("name"), QStringLiteral("n%1").arg(id)}});
    QTemporaryDir dir;
    const QString db = writeFile(QDir(dir.path()), QStringLiteral("db.json"),
                                 QJsonDocument(QJsonObject{{QStringLiteral("items"), items}}).toJson());
    ThirdPartyServer api;
    QString error;
    QVERIFY2(api.start(ThirdPartyServer::Kind::JsonServer, db, &error), qPrintable(error));
    const QString lite = dir.filePath(QStringLiteral("t.db"));
    QStringList statements{QStringLiteral("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")};
    for (int id = 1; id <= 20; ++id)
        statements << QStringLiteral("INSERT INTO items VALUES (%1, 'n%1')").arg(id);
    QVERIFY2(sqliteExec(lite, statements, &error), qPrintable(error));
    const int port = freePort();
    const QString hook = QStringLiteral("http://127.0.0.1:%1/hooks/items").arg(port);
    const QJsonObject source{{QStringLiteral("system"), QStringLiteral("api")},
                             {QStringLiteral("resource"), QStringLiteral("items")},
                             {QStringLiteral("webhook"),
                              QJsonObject{{QStringLiteral("listen"), QStringLiteral("127.0.0.1:%1").arg(port)},
                                          {QStringLiteral("path"), QStringLiteral("/hooks/items")},
                                          {QStringLiteral("secret"), QJsonObject{{QStringLiteral("env"), QStringLiteral("ITEMS_HOOK_SECRET")}}},
                                          {QStringLiteral("max_body_bytes"), 4096}}}};
    const QString ws = writeFile(
        QDir(dir.path()), QStringLiteral("ws.json"),
        QJsonDocument(QJsonObject{
                          {QStringLiteral("version"), 1},
                          {QStringLiteral("systems"),
                           QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("api")}, {QStringLiteral("kind"), QStringLiteral("http")},
                                                  {QStringLiteral("base_url"), api.baseUrl()}},
                                      QJsonObject{{QStringLiteral("name"), QStringLiteral("lite")}, {QStringLiteral("kind"), QStringLiteral("sqlite")},
                                                  {QStringLiteral("path"), lite}}}},
                          {QStringLiteral("flows"),
                           QJsonArray{flow(QStringLiteral("items"), source,
                                           {{QStringLiteral("system"), QStringLiteral("lite")}, {QStringLiteral("table"), QStringLiteral("items")}},
                                           {QStringLiteral("name")})}}})
            .toJson());
    const QByteArray key = "a webhook key of thirty-two byte";
    QProcess watch;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("ITEMS_HOOK_SECRET"), QStringLiteral("whsec_") + QString::fromLatin1(key.toBase64()));
    watch.setProcessEnvironment(env);
    watch.start(QStringLiteral(SYNCDESK_CLI_PATH), {QStringLiteral("watch"), QStringLiteral("--workspace"), ws,
                                                   QStringLiteral("--events")});
    QVERIFY(watch.waitForStarted(10000));
    testsupport::ProcessOutput output{watch, {}, {}};
    QByteArray &out = output.out;
    QByteArray &err = output.err;
    const auto waitFor = [&output](const QByteArray &needle, int ms) { return output.waitOut(needle, ms); };
    QVERIFY2(waitFor("\"event\":\"ready\"", 30000), (out + err).constData());
    auto delivery = [](int id) { return QByteArray(R"({"type":"item.updated","data":{"id":)") + QByteArray::number(id) + "}}"; };
    const qint64 now = QDateTime::currentSecsSinceEpoch();

    // Record 8 changes, but none of these deliveries may say so.
    QCOMPARE(httpRequest("PATCH", api.baseUrl() + QStringLiteral("/items/8"), R"({"name":"edited"})"), 200);
    const QByteArray body8 = delivery(8);
    QByteArray reply;
    QCOMPARE(httpRequest("POST", hook, body8, &reply), 401); // unsigned
    QVERIFY(reply.contains("unsigned"));
    QCOMPARE(httpRequest("POST", hook, body8, nullptr, signedHeaders("another key of thirty-two bytes!", "m1", now, body8)), 401);
    QCOMPARE(httpRequest("POST", hook, body8, nullptr, signedHeaders(key, "m2", now - 600, body8)), 401); // stale
    QCOMPARE(httpRequest("POST", hook, delivery(9), nullptr, signedHeaders(key, "m3", now, body8)), 401); // body swapped
    QCOMPARE(httpRequest("POST", hook, QByteArray(5000, ' ') + body8, nullptr,
                         signedHeaders(key, "m4", now, QByteArray(5000, ' ') + body8)),
             413);
    QCOMPARE(httpRequest("GET", hook), 405);
    QCOMPARE(httpRequest("POST", QStringLiteral("http://127.0.0.1:%1/elsewhere").arg(port), body8), 404);

    // Record 7 changes and a signed delivery says so: pending within moments of its receipt.
    QCOMPARE(httpRequest("PATCH", api.baseUrl() + QStringLiteral("/items/7"), R"({"name":"edited"})"), 200);
    const QByteArray body7 = delivery(7);
    const auto headers7 = signedHeaders(key, "m5", QDateTime::currentSecsSinceEpoch(), body7);
    QElapsedTimer sinceDelivery;
    sinceDelivery.start();
    QCOMPARE(httpRequest("POST", hook, body7, nullptr, headers7), 204);
    QVERIFY2(waitFor("\"key\":[7],\"status\":\"pending\"", 5000), out.constData());
    QVERIFY2(sinceDelivery.elapsed() <= 1000, qPrintable(QString::number(sinceDelivery.elapsed())));
    // The refused deliveries came first and changed nothing.
    QVERIFY2(!out.contains("\"key\":[8]"), out.constData());
    // The same delivery again is a replay: refused.
    QCOMPARE(httpRequest("POST", hook, body7, nullptr, headers7), 409);
    QCOMPARE(testsupport::stopGracefully(watch), 0);
}

QTEST_GUILESS_MAIN(TestHttpConnector)
#include "tst_httpconnector.moc"

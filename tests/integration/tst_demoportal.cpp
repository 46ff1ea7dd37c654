#include "CliRun.h"
#include "demo/DemoPortalApi.h"
#include "demo/DemoWorld.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

// The demo's client portal API: the HTTP shape the demo workspace's portal system relies on
// (Link paging, the updated_at_gte filter, strong ETags, conditional writes), checked over
// real HTTP against the demo's own SQLite catalog, and the workspace that names it.
class TestDemoPortal : public QObject
{
    Q_OBJECT

    struct Reply
    {
        int status = 0;
        QByteArray body;
        QHash<QByteArray, QByteArray> headers;
        [[nodiscard]] QJsonObject object() const { return QJsonDocument::fromJson(body).object(); }
        [[nodiscard]] QJsonArray array() const { return QJsonDocument::fromJson(body).array(); }
    };

    Reply send(const QByteArray &method, const QString &path, const QByteArray &body = {},
               const QHash<QByteArray, QByteArray> &headers = {})
    {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_place.portalApiPort).arg(path)));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        for (auto it = headers.begin(); it != headers.end(); ++it)
            request.setRawHeader(it.key(), it.value());
        QNetworkReply *reply = m_net.sendCustomRequest(request, method, body);
        Reply r;
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000))
            return r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        for (const auto &[name, value] : reply->rawHeaderPairs())
            r.headers.insert(name.toLower(), value);
        reply->deleteLater();
        return r;
    }

    // The catalog row as the simulator's batch would change it, behind the API's back.
    void changeInStore(const QString &sku, int price)
    {
        {
            QSqlDatabase db = syncdesk::DemoWorld::open(m_place, QStringLiteral("portal"), QStringLiteral("tst-demo-portal"));
            QSqlQuery q(db);
            q.prepare(QStringLiteral("UPDATE catalog SET price_cents = ?, updated_at = ? WHERE sku = ?"));
            q.addBindValue(price);
            q.addBindValue(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
            q.addBindValue(sku);
            QVERIFY(q.exec());
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tst-demo-portal"));
    }

    QTemporaryDir m_dir;
    syncdesk::DemoPlace m_place;
    syncdesk::DemoPortalApi m_api;
    QNetworkAccessManager m_net;
    QString m_workspace;

private slots:
    void initTestCase()
    {
        m_place.dir = m_dir.path();
        m_place.portalApiPort = m_api.start(m_place);
        m_workspace = syncdesk::DemoWorld::create(m_place);
    }

    // Given the fresh demo, when the workspace is compared, then the API's 400 records agree
    // with the warehouse: the connector reads every page the API links.
    void shouldCompareTheWarehouseWithTheApi()
    {
        const auto diff = testsupport::runCli({QStringLiteral("diff"), QStringLiteral("--workspace"), m_workspace,
                                               QStringLiteral("--flow"), QStringLiteral("portal"), QStringLiteral("--json")});
        QVERIFY2(diff.exitCode == 0, diff.out + diff.err);
        const QJsonObject counts = QJsonDocument::fromJson(diff.out).object();
        QCOMPARE(counts.value(u"target_rows").toInt(), syncdesk::DemoWorld::Devices);
        QCOMPARE(counts.value(u"in_sync").toInt(), syncdesk::DemoWorld::Devices);
        const QJsonObject ws = QJsonDocument::fromJson([&] {
            QFile f(m_workspace);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }()).object();
        QCOMPARE(ws.value(u"systems").toArray().at(2).toObject().value(u"kind").toString(), QStringLiteral("http"));
    }

    // Given pages of 150, then they come in key order, linked to the next until the last, and
    // together hold every record once.
    void shouldPageInKeyOrderWithLinks()
    {
        QString path = QStringLiteral("/catalog?_limit=150");
        QStringList skus;
        int pages = 0;
        while (!path.isEmpty() && pages < 10) {
            const Reply page = send("GET", path);
            QCOMPARE(page.status, 200);
            for (const QJsonValue &v : page.array())
                skus << v.toObject().value(u"sku").toString();
            const QByteArray link = page.headers.value("link");
            path = link.isEmpty() ? QString() : QUrl(QString::fromUtf8(link.mid(1, link.indexOf('>') - 1))).toString(
                                                    QUrl::RemoveScheme | QUrl::RemoveAuthority);
            ++pages;
        }
        QCOMPARE(pages, 3);
        QCOMPARE(skus.size(), syncdesk::DemoWorld::Devices);
        QStringList sorted = skus;
        sorted.sort();
        sorted.removeDuplicates();
        QCOMPARE(skus, sorted);
        QCOMPARE(send("GET", QStringLiteral("/catalog?_limit=0")).status, 400);
    }

    // Given a record changed now, then updated_at_gte at that time returns it (an inclusive
    // bound) and not the records of the demo's start.
    void shouldFilterByUpdatedAt()
    {
        const Reply before = send("GET", QStringLiteral("/catalog/SKU-100007"));
        changeInStore(QStringLiteral("SKU-100007"), 4242);
        const Reply after = send("GET", QStringLiteral("/catalog/SKU-100007"));
        const QString at = after.object().value(u"updated_at").toString();
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("updated_at_gte"), at);
        const Reply changed = send("GET", QStringLiteral("/catalog?") + q.toString(QUrl::FullyEncoded));
        QCOMPARE(changed.status, 200);
        QCOMPARE(changed.array().size(), 1);
        QCOMPARE(changed.array().first().toObject().value(u"price_cents").toInt(), 4242);
        QVERIFY(before.headers.value("etag") != after.headers.value("etag"));
    }

    // Given a record's ETag, when it changes behind the reader's back, then a write with the
    // old ETag is refused 412 and changes nothing, and a write with the new one succeeds and
    // stamps updated_at.
    void shouldRefuseAWriteOnAStaleETag()
    {
        const Reply read = send("GET", QStringLiteral("/catalog/SKU-100010"));
        QCOMPARE(read.status, 200);
        const QByteArray tag = read.headers.value("etag");
        QVERIFY(tag.startsWith('"') && !tag.startsWith("W/"));
        changeInStore(QStringLiteral("SKU-100010"), 777);
        const Reply refused = send("PATCH", QStringLiteral("/catalog/SKU-100010"), R"({"grade":"C"})", {{"If-Match", tag}});
        QCOMPARE(refused.status, 412);
        const Reply now = send("GET", QStringLiteral("/catalog/SKU-100010"));
        QCOMPARE(now.object().value(u"price_cents").toInt(), 777);
        QCOMPARE(now.object().value(u"grade"), read.object().value(u"grade"));

        const Reply written = send("PATCH", QStringLiteral("/catalog/SKU-100010"), R"({"grade":"C"})",
                                   {{"If-Match", now.headers.value("etag")}});
        QCOMPARE(written.status, 200);
        QCOMPARE(written.object().value(u"grade").toString(), QStringLiteral("C"));
        QCOMPARE(written.object().value(u"price_cents").toInt(), 777); // PATCH merges
        QVERIFY(written.object().value(u"updated_at").toString() > now.object().value(u"updated_at").toString());
        QCOMPARE(written.headers.value("etag"), send("GET", QStringLiteral("/catalog/SKU-100010")).headers.value("etag"));
    }

    // Creates, replacements and deletes, with their conditions; bad bodies are refused whole.
    void shouldCreateReplaceAndDelete()
    {
        QCOMPARE(send("POST", QStringLiteral("/catalog"), R"({"sku":"SKU-900001","model":"Pixel 8","price_cents":100})").status, 201);
        QCOMPARE(send("POST", QStringLiteral("/catalog"), R"({"sku":"SKU-900001"})").status, 409);
        QCOMPARE(send("PUT", QStringLiteral("/catalog/SKU-900001"), R"({"model":"Pixel 8a"})", {{"If-None-Match", "*"}}).status, 412);
        const Reply put = send("PUT", QStringLiteral("/catalog/SKU-900002"), R"({"model":"Pixel 9"})", {{"If-None-Match", "*"}});
        QCOMPARE(put.status, 201);
        QCOMPARE(put.object().value(u"grade"), QJsonValue(QJsonValue::Null)); // PUT replaces: unset is null

        for (const QByteArray &bad : {QByteArray("not json"), QByteArray("[1]"), QByteArray(R"({"grade":1})"),
                                      QByteArray(R"({"price_cents":1.5})"), QByteArray(R"({"colour":"red"})"),
                                      QByteArray(R"({"sku":"SKU-1"})")})
            QVERIFY2(send("PATCH", QStringLiteral("/catalog/SKU-900001"), bad).status == 400, bad.constData());
        QCOMPARE(send("GET", QStringLiteral("/catalog/SKU-900001")).object().value(u"model").toString(), QStringLiteral("Pixel 8"));

        QCOMPARE(send("DELETE", QStringLiteral("/catalog/SKU-900001"), {}, {{"If-Match", "\"stale\""}}).status, 412);
        QCOMPARE(send("DELETE", QStringLiteral("/catalog/SKU-900001")).status, 204);
        QCOMPARE(send("GET", QStringLiteral("/catalog/SKU-900001")).status, 404);
        QCOMPARE(send("PATCH", QStringLiteral("/catalog/SKU-900001"), R"({"grade":"A"})").status, 404);
        QCOMPARE(send("DELETE", QStringLiteral("/catalog/SKU-900002")).status, 204);
        QCOMPARE(send("POST", QStringLiteral("/catalog/SKU-100001")).status, 405);
    }
};

QTEST_GUILESS_MAIN(TestDemoPortal)
#include "tst_demoportal.moc"

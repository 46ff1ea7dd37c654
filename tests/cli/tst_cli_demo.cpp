#include "CliRun.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QProcessEnvironment>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

// The embedded demo, headless: its story must happen, and resolving in it must work for real.
class TestCliDemo : public QObject
{
    Q_OBJECT

    // The status lines of `watch --events` output: (flow|key, status, the whole event).
    struct StatusLine
    {
        QString id;
        QString status;
        QJsonObject event;
    };
    static QList<StatusLine> statusLines(const QByteArray &out)
    {
        QList<StatusLine> lines;
        for (const QByteArray &line : out.split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            if (!e.contains(u"status"))
                continue;
            lines.append({e.value(u"flow").toString() + u'|'
                              + QString::fromUtf8(QJsonDocument(e.value(u"key").toArray()).toJson(QJsonDocument::Compact)),
                          e.value(u"status").toString(), e});
        }
        return lines;
    }

    // Prometheus text from a metrics endpoint, or empty.
    static QByteArray scrape(quint16 port)
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(5000))
            return {};
        socket.write("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray reply;
        while (socket.waitForReadyRead(5000))
            reply += socket.readAll();
        return reply;
    }

    static int leftoverClusters()
    {
        return int(QDir(QDir::tempPath()).entryList({QStringLiteral("syncdesk-demo-pg.*")}, QDir::Dirs).size());
    }

private slots:
    // Given `demo --on postgres`, the story plays on a throwaway cluster: watch (finding the
    // password through the passfile the workspace names) follows it by logical decoding, pending records clear at the batches,
    // no password is in the workspace, and the cluster is gone when the demo ends: its
    // shutdown does not hang on watch's replication connections, still open at that point.
    void shouldPlayTheStoryOnPostgres()
    {
        const int before = leftoverClusters();
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("pgdemo"));
        QProcess demo;
        demo.start(QStringLiteral(SYNCDESK_CLI_PATH),
                   {QStringLiteral("demo"), QStringLiteral("--out"), out, QStringLiteral("--on"), QStringLiteral("postgres"),
                    QStringLiteral("--seconds"), QStringLiteral("32"), QStringLiteral("--batch-seconds"), QStringLiteral("8"),
                    QStringLiteral("--fail-every"), QStringLiteral("0")});
        QVERIFY(demo.waitForStarted());
        // Even when a check fails: ask the demo to stop, so that it stops its cluster.
        const auto stopDemo = qScopeGuard([&demo] {
            if (demo.state() != QProcess::NotRunning) {
                ::kill(pid_t(demo.processId()), SIGTERM);
                demo.waitForFinished(60000);
            }
        });
        QByteArray demoOut;
        QVERIFY2(QTest::qWaitFor([&] { demoOut += demo.readAllStandardOutput(); return demoOut.contains("demo workspace"); }, 60000),
                 (demoOut + demo.readAllStandardError()).constData());
        const QString ws = QDir(out).filePath(QStringLiteral("demo.json"));
        QFile wsFile(ws);
        QVERIFY(wsFile.open(QIODevice::ReadOnly));
        const QByteArray wsText = wsFile.readAll();
        const QJsonArray systems = QJsonDocument::fromJson(wsText).object().value(u"systems").toArray();
        QCOMPARE(systems.size(), 3);
        QCOMPARE(systems.first().toObject().value(u"kind").toString(), QStringLiteral("postgres"));
        QFile pgpass(QDir(out).filePath(QStringLiteral("demo.pgpass")));
        QVERIFY(pgpass.open(QIODevice::ReadOnly));
        const QByteArray password = pgpass.readAll().trimmed().split(':').last();
        QVERIFY(password.size() >= 16 && !wsText.contains(password));
        QCOMPARE(pgpass.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());

        QVERIFY(wsText.contains("passfile=")); // the workspace names the file, not the password
        QProcess watch;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("PGPASSFILE"));
        watch.setProcessEnvironment(env);
        watch.start(QStringLiteral(SYNCDESK_CLI_PATH), {QStringLiteral("watch"), QStringLiteral("--workspace"), ws,
                                                         QStringLiteral("--events"), QStringLiteral("--metrics"),
                                                         QStringLiteral("127.0.0.1:0")});
        QVERIFY(watch.waitForStarted());
        QByteArray err;
        quint16 port = 0;
        QVERIFY(QTest::qWaitFor([&] {
            err += watch.readAllStandardError();
            const qsizetype at = err.indexOf("metrics at http://127.0.0.1:");
            if (at >= 0)
                port = quint16(err.mid(at + 28).split('/').first().toUInt());
            return port != 0;
        }, 20000));
        QByteArray metrics;
        QVERIFY2(QTest::qWaitFor([&] {
            metrics = scrape(port);
            return metrics.contains("syncdesk_feed_connected{system=\"warehouse\",mode=\"logical (wal2json)\"} 1");
        }, 20000), metrics.constData());
        QVERIFY(demo.waitForFinished(60000));
        QCOMPARE(demo.exitCode(), 0);
        ::kill(pid_t(watch.processId()), SIGTERM);
        QVERIFY(watch.waitForFinished(20000));

        QHash<QString, QString> last;
        int cleared = 0;
        for (const StatusLine &l : statusLines(watch.readAllStandardOutput())) {
            if (l.status == u"in_sync" && last.value(l.id) == u"pending")
                ++cleared;
            last.insert(l.id, l.status);
        }
        QVERIFY2(cleared >= 5, qPrintable(QStringLiteral("only %1 pending records cleared at a batch").arg(cleared)));
        QCOMPARE(leftoverClusters(), before);
    }

    // Given the demo played for 90 s (a batch every 30 s, every 2nd failing silently) under
    // `watch --events`, then pending records appear and clear at a batch, a conflict and a late
    // record show up, a conflict resolves through the core into the demo's files, and the
    // audit log verifies.
    void shouldPlayTheStory()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("demo"));
        QProcess demo;
        demo.start(QStringLiteral(SYNCDESK_CLI_PATH),
                   {QStringLiteral("demo"), QStringLiteral("--out"), out, QStringLiteral("--seconds"),
                    QStringLiteral("95"), QStringLiteral("--batch-seconds"), QStringLiteral("30"),
                    QStringLiteral("--fail-every"), QStringLiteral("2")});
        QVERIFY(demo.waitForStarted());
        const QString ws = QDir(out).filePath(QStringLiteral("demo.json"));
        QVERIFY(QTest::qWaitFor([&] { return demo.readAllStandardOutput().contains("demo workspace"); }, 10000));
        QProcess watch;
        watch.start(QStringLiteral(SYNCDESK_CLI_PATH),
                    {QStringLiteral("watch"), QStringLiteral("--workspace"), ws, QStringLiteral("--events")});
        QVERIFY(watch.waitForStarted());

        // The portal is an HTTP API: while the story plays, a record the warehouse changed is
        // resolved onto it, by a conditional PATCH (If-Match with the ETag read under the lock).
        const QJsonObject portalSystem = [&] {
            QFile f(ws);
            return f.open(QIODevice::ReadOnly)
                       ? QJsonDocument::fromJson(f.readAll()).object().value(u"systems").toArray().at(2).toObject()
                       : QJsonObject();
        }();
        QCOMPARE(portalSystem.value(u"kind").toString(), QStringLiteral("http"));
        QString portalKey;
        QVERIFY2(QTest::qWaitFor([&] {
            const auto diff = testsupport::runCli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws,
                                                   QStringLiteral("--flow"), QStringLiteral("portal"),
                                                   QStringLiteral("--list"), QStringLiteral("--json")});
            const QJsonArray records = QJsonDocument::fromJson(diff.out).object().value(u"records").toArray();
            if (!records.isEmpty())
                portalKey = records.first().toObject().value(u"key").toArray().first().toString();
            return !portalKey.isEmpty();
        }, 40000), "the warehouse changed no portal field");
        const auto onApi = testsupport::runCli({QStringLiteral("resolve"), QStringLiteral("--workspace"), ws,
                                                QStringLiteral("--flow"), QStringLiteral("portal"),
                                                QStringLiteral("--key"), portalKey, QStringLiteral("--take"),
                                                QStringLiteral("source"), QStringLiteral("--reason"),
                                                QStringLiteral("publish the warehouse's record")});
        // 3: the batch or the warehouse changed the record between the compare and the lock.
        QVERIFY2(onApi.exitCode == 0 || onApi.exitCode == 3, onApi.err.constData());
        const QList<QJsonObject> entries = testsupport::auditEntries(ws);
        QVERIFY(!entries.isEmpty());
        QVERIFY2(entries.first().value(u"planned").toObject().value(u"target").toObject().value(u"note")
                     .toString().contains(QStringLiteral("If-Match")),
                 QJsonDocument(entries.first()).toJson().constData());

        QVERIFY(demo.waitForFinished(120000));
        QTest::qWait(3000); // the last batch's changes reach the engine
        ::kill(pid_t(watch.processId()), SIGTERM);
        QVERIFY(watch.waitForFinished(20000));
        QCOMPARE(watch.exitCode(), 0);

        QHash<QString, QString> last; // flow|key → status
        int cleared = 0, clearedOnApi = 0;
        QString conflictKey;
        bool late = false;
        for (const StatusLine &l : statusLines(watch.readAllStandardOutput())) {
            if (l.status == u"in_sync" && (last.value(l.id) == u"pending" || last.value(l.id) == u"late")) {
                ++cleared;
                clearedOnApi += l.event.value(u"flow").toString() == u"portal"; // seen by polling the API
            }
            if (l.status == u"late")
                late = true;
            if (l.status == u"conflict" && l.event.value(u"flow").toString() == u"devices")
                conflictKey = l.event.value(u"key").toArray().first().toString();
            last.insert(l.id, l.status);
        }
        QVERIFY2(cleared >= 10, qPrintable(QStringLiteral("only %1 pending records cleared at a batch").arg(cleared)));
        QVERIFY2(clearedOnApi >= 3, qPrintable(QStringLiteral("only %1 portal records cleared").arg(clearedOnApi)));
        QVERIFY2(late, "no record went late");
        QVERIFY2(!conflictKey.isEmpty(), "no conflict");

        const auto resolve = testsupport::runCli({QStringLiteral("resolve"), QStringLiteral("--workspace"), ws,
                                                  QStringLiteral("--flow"), QStringLiteral("devices"),
                                                  QStringLiteral("--key"), conflictKey, QStringLiteral("--take"),
                                                  QStringLiteral("source"), QStringLiteral("--reason"),
                                                  QStringLiteral("the warehouse price stands")});
        QVERIFY2(resolve.exitCode == 0, resolve.err.constData());
        const auto show = testsupport::runCli({QStringLiteral("show"), QStringLiteral("--workspace"), ws,
                                               QStringLiteral("--flow"), QStringLiteral("devices"),
                                               QStringLiteral("--key"), conflictKey, QStringLiteral("--json")});
        QCOMPARE(QJsonDocument::fromJson(show.out).object().value(u"status").toString(), QStringLiteral("in_sync"));
        QCOMPARE(testsupport::runCli({QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws}).exitCode, 0);
    }
};

QTEST_GUILESS_MAIN(TestCliDemo)
#include "tst_cli_demo.moc"

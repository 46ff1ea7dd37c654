#include "CliRun.h"

#include <QDir>
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

private slots:
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
        QVERIFY(demo.waitForFinished(120000));
        QTest::qWait(3000); // the last batch's changes reach the engine
        ::kill(pid_t(watch.processId()), SIGTERM);
        QVERIFY(watch.waitForFinished(20000));
        QCOMPARE(watch.exitCode(), 0);

        QHash<QString, QString> last; // flow|key → status
        int cleared = 0;
        QString conflictKey;
        bool late = false;
        for (const QByteArray &line : watch.readAllStandardOutput().split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            if (!e.contains(u"status"))
                continue;
            const QString id = e.value(u"flow").toString() + u'|'
                               + QString::fromUtf8(QJsonDocument(e.value(u"key").toArray()).toJson(QJsonDocument::Compact));
            const QString status = e.value(u"status").toString();
            if (status == u"in_sync" && (last.value(id) == u"pending" || last.value(id) == u"late"))
                ++cleared;
            if (status == u"late")
                late = true;
            if (status == u"conflict" && e.value(u"flow").toString() == u"devices")
                conflictKey = e.value(u"key").toArray().first().toString();
            last.insert(id, status);
        }
        QVERIFY2(cleared >= 10, qPrintable(QStringLiteral("only %1 pending records cleared at a batch").arg(cleared)));
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

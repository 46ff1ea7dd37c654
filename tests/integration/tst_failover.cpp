#include "CliRun.h"
#include "TestPostgres.h"
#include "TestSqlite.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <map>

// Agent fail-over on a team's desk (issue 13, items 2 and 8): two `syncdesk-cli watch` agents
// on one workspace with a team's PostgreSQL store, PostgreSQL systems read through logical
// decoding. One watches, the other stands by; the watching one is killed (-9) while changes
// stream, more changes come while no agent watches; the other takes over, with the same
// replication slot, and every change is accounted for: each record changed at the source is
// reported out of sync (pending, never a conflict), exactly the records `diff` finds.
class TestFailover : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_src, m_dst, m_workspace;

    static QString sku(int i) { return QStringLiteral("K%1").arg(i, 3, 10, QLatin1Char('0')); }

    void touch(int from, int to) // [from, to): the source's price moves on
    {
        QString error;
        QVERIFY2(testsupport::pgExec(m_src,
                                     QStringLiteral("UPDATE items SET price = price + 1000 WHERE sku >= '%1' AND sku < '%2'")
                                         .arg(sku(from), sku(to)),
                                     &error),
                 qPrintable(error));
    }

    // The last status an agent printed per key (--events), in sync left out.
    static std::map<QString, QString> statuses(const QByteArray &out)
    {
        std::map<QString, QString> view;
        for (const QByteArray &line : out.split('\n')) {
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            if (!o.contains(u"status"))
                continue;
            const QString key = o.value(u"key").toArray().at(0).toString();
            if (o.value(u"status").toString() == u"in_sync")
                view.erase(key);
            else
                view[key] = o.value(u"status").toString();
        }
        return view;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error, state;
        QVERIFY2(testsupport::createDatabase(QStringLiteral("failover_src"), &m_src, &error), qPrintable(error));
        QVERIFY2(testsupport::createDatabase(QStringLiteral("failover_dst"), &m_dst, &error), qPrintable(error));
        QVERIFY2(testsupport::createDatabase(QStringLiteral("failover_state"), &state, &error), qPrintable(error));
        for (const QString &db : {m_src, m_dst}) {
            PG_EXEC(db, QStringLiteral("CREATE TABLE items (sku text PRIMARY KEY, price integer)"));
            PG_EXEC(db, QStringLiteral("INSERT INTO items SELECT 'K' || lpad(g::text, 3, '0'), g FROM generate_series(0, 199) g"));
        }
        const auto port = QRegularExpression(QStringLiteral("port=(\\d+)")).match(state);
        QVERIFY(port.hasMatch());
        const QString uri = QStringLiteral("postgresql:") + QStringLiteral("//postgres@127.0.0.1:%1/failover_state").arg(port.captured(1));
        const QByteArray json = QStringLiteral(R"({"version": 1, "state": "%3", "systems": [
              {"name": "shop", "kind": "postgres", "conninfo": "%1"},
              {"name": "books", "kind": "postgres", "conninfo": "%2"}],
            "flows": [{"name": "items", "source": {"system": "shop", "table": "items"},
              "target": {"system": "books", "table": "items"}, "key": ["sku"], "fields": ["price"],
              "direction": "one-way", "sla_seconds": 600}]})")
                                    .arg(m_src, m_dst, uri)
                                    .toUtf8();
        m_workspace = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("failover.json"), json);
    }

    // Given agent A watching and agent B standing by, when A is killed mid-stream and more
    // changes come meanwhile, then B takes the desk over and reports every changed record
    // pending, the same set diff finds; and B alone ever watched while A lived.
    void shouldTakeOverWithoutLosingAChange()
    {
        // As if on two machines: B cannot see that A's process is gone, so it waits out A's lease.
        QProcess a, b;
        testsupport::ProcessOutput aOut{a}, bOut{b};
        QVERIFY(testsupport::startAgent(a, QStringLiteral("alpha"), m_workspace));
        QVERIFY2(aOut.waitErr("this agent watches the desk", 30000), aOut.err.constData());
        QVERIFY2(aOut.waitOut("\"event\":\"ready\"", 30000), aOut.err.constData());
        QVERIFY(testsupport::startAgent(b, QStringLiteral("beta"), m_workspace));
        QVERIFY2(bOut.waitErr("standing by: the desk is watched by the agent on alpha", 30000), bOut.err.constData());

        touch(0, 20);
        QVERIFY2(aOut.waitOut("\"K019\"", 20000), aOut.out.constData());
        // Killed with changes on their way: some committed, perhaps not yet decoded.
        touch(20, 40);
        a.kill();
        QElapsedTimer sinceKill;
        sinceKill.start();
        a.waitForFinished();
        touch(40, 60); // while no agent watches
        bOut.err += b.readAllStandardError();
        QVERIFY2(!bOut.err.contains("this agent watches the desk"), bOut.err.constData());

        QVERIFY2(bOut.waitErr("this agent watches the desk", 60000), bOut.err.constData());
        qInfo("took over %lld ms after kill -9", sinceKill.elapsed());
        QVERIFY2(bOut.waitOut("\"event\":\"ready\"", 60000), bOut.err.constData());
        // `status` names the agent that watches now (once its engine wrote the desk's status).
        testsupport::CliRun status;
        QJsonObject agent;
        QTRY_VERIFY_WITH_TIMEOUT((status = testsupport::runCli({QStringLiteral("status"), QStringLiteral("--workspace"),
                                                                m_workspace, QStringLiteral("--json")}),
                                  agent = QJsonDocument::fromJson(status.out).object().value(u"agent").toObject(),
                                  !agent.isEmpty()),
                                 10000);
        QVERIFY2(agent.value(u"host").toString() == u"beta", status.out + status.err);
        QVERIFY(agent.value(u"lease_live").toBool());
        QCOMPARE(agent.value(u"pid").toInteger(), qint64(b.processId()));
        touch(60, 70); // after the take-over: through the slot B now reads
        QVERIFY2(bOut.waitOut("\"K069\"", 30000), bOut.out.constData());

        // Every change accounted for: the keys B reports are diff's, and each is pending.
        const auto view = statuses(bOut.out);
        const testsupport::CliRun diff = testsupport::runCli(
            {QStringLiteral("diff"), QStringLiteral("--workspace"), m_workspace, QStringLiteral("--flow"),
             QStringLiteral("items"), QStringLiteral("--list"), QStringLiteral("--json")});
        QCOMPARE(diff.exitCode, 1);
        QStringList truth, shown;
        for (const QJsonValue &r : QJsonDocument::fromJson(diff.out).object().value(u"records").toArray())
            truth << r.toObject().value(u"key").toArray().at(0).toString();
        for (const auto &[key, status] : view) {
            shown << key;
            QVERIFY2(status == u"pending", qPrintable(key + u' ' + status));
        }
        truth.sort();
        QCOMPARE(truth.size(), 70);
        QCOMPARE(shown, truth);
        QCOMPARE(testsupport::stopGracefully(b), 0);
    }
};

QTEST_GUILESS_MAIN(TestFailover)
#include "tst_failover.moc"

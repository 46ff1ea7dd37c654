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

// Agents sharing a team's desk (issue 13, item 2): two `syncdesk-cli watch` agents on one
// workspace whose two flows have no system in common. The first takes both; when the second
// comes, each watches one, and neither reports the other's flow. The one watching `items` is
// killed (-9), its flow changes while nobody watches it, and the survivor takes it over within
// the 30 s target: every change of both flows is reported pending, exactly the records `diff`
// finds, and `status` names who watches what.
class TestScaleOut : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_workspace;
    QString m_state; // the store's conninfo
    std::map<QString, QString> m_source; // flow → its source's SQLite file

    static QString key(const QString &flow, int i)
    {
        return flow.left(1).toUpper() + QStringLiteral("%1").arg(i, 3, 10, QLatin1Char('0'));
    }

    void touch(const QString &flow, int from, int to) // [from, to): the source's price moves on
    {
        QString error;
        QVERIFY2(testsupport::sqliteExec(m_source.at(flow),
                                         {QStringLiteral("UPDATE items SET price = price + 1000 WHERE sku >= '%1' AND sku < '%2'")
                                              .arg(key(flow, from), key(flow, to))},
                                         &error),
                 qPrintable(error));
    }

    // The last status an agent printed per key of `flow` (--events), in sync left out.
    static std::map<QString, QString> statuses(const QByteArray &out, const QString &flow)
    {
        std::map<QString, QString> view;
        for (const QByteArray &line : out.split('\n')) {
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            if (!o.contains(u"status") || o.value(u"flow").toString() != flow)
                continue;
            const QString k = o.value(u"key").toArray().at(0).toString();
            if (o.value(u"status").toString() == u"in_sync")
                view.erase(k);
            else
                view[k] = o.value(u"status").toString();
        }
        return view;
    }

    static QJsonObject status(const QString &workspace)
    {
        const testsupport::CliRun r = testsupport::runCli(
            {QStringLiteral("status"), QStringLiteral("--workspace"), workspace, QStringLiteral("--json")});
        return QJsonDocument::fromJson(r.out).object();
    }

    // Waits until `needle` is in the output `n` times or more (a flow made ready again by a new
    // engine, not the one before it).
    static bool waitCount(testsupport::ProcessOutput &p, const QByteArray &needle, qsizetype n, int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (p.out.count(needle) < n && t.elapsed() < timeoutMs && p.process.state() == QProcess::Running) {
            p.process.waitForReadyRead(50);
            drain(p);
        }
        return p.out.count(needle) >= n;
    }

    static QByteArray ready(const QString &flow)
    {
        return "\"flow\":\"" + flow.toUtf8() + "\",\"event\":\"ready\"";
    }

    static void drain(testsupport::ProcessOutput &p)
    {
        p.out += p.process.readAllStandardOutput();
        p.err += p.process.readAllStandardError();
    }

    QStringList diffKeys(const QString &flow)
    {
        const testsupport::CliRun diff = testsupport::runCli({QStringLiteral("diff"), QStringLiteral("--workspace"), m_workspace,
                                                              QStringLiteral("--flow"), flow, QStringLiteral("--list"),
                                                              QStringLiteral("--json")});
        QStringList keys;
        for (const QJsonValue &r : QJsonDocument::fromJson(diff.out).object().value(u"records").toArray())
            keys << r.toObject().value(u"key").toArray().at(0).toString();
        keys.sort();
        return keys;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(testsupport::createDatabase(QStringLiteral("scaleout_state"), &m_state, &error), qPrintable(error));
        const auto port = QRegularExpression(QStringLiteral("port=(\\d+)")).match(m_state);
        QVERIFY(port.hasMatch());
        QStringList files;
        for (const QString &flow : {QStringLiteral("items"), QStringLiteral("people")}) {
            QStringList rows{QStringLiteral("CREATE TABLE items (sku text PRIMARY KEY, price integer)")};
            for (int i = 0; i < 100; ++i)
                rows << QStringLiteral("INSERT INTO items VALUES ('%1', %2)").arg(key(flow, i)).arg(i);
            for (const char *side : {"src", "dst"}) {
                const QString path = QDir(m_dir.path()).filePath(flow + u'-' + QLatin1String(side) + QStringLiteral(".db"));
                QVERIFY2(testsupport::sqliteExec(path, rows, &error), qPrintable(error));
                files << path;
            }
            m_source[flow] = files[files.size() - 2];
        }
        // (The URI goes in as an argument: moc reads "//" in a raw string as a comment.)
        const QString state = QStringLiteral("postgresql:") + QStringLiteral("//postgres@127.0.0.1:%1/scaleout_state").arg(port.captured(1));
        const QByteArray json = QStringLiteral(R"({"version": 1, "state": "%5",
            "systems": [{"name": "shop", "kind": "sqlite", "path": "%1"}, {"name": "books", "kind": "sqlite", "path": "%2"},
                        {"name": "crm", "kind": "sqlite", "path": "%3"}, {"name": "billing", "kind": "sqlite", "path": "%4"}],
            "flows": [{"name": "items", "source": {"system": "shop", "table": "items"},
              "target": {"system": "books", "table": "items"}, "key": ["sku"], "fields": ["price"],
              "direction": "one-way", "sla_seconds": 600},
              {"name": "people", "source": {"system": "crm", "table": "items"},
              "target": {"system": "billing", "table": "items"}, "key": ["sku"], "fields": ["price"],
              "direction": "one-way", "sla_seconds": 600}]})")
                                    .arg(files[0], files[1], files[2], files[3], state)
                                    .toUtf8();
        m_workspace = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("shared.json"), json);
    }

    void shouldShareTheFlowsAndTakeOverADeadAgentsShare()
    {
        // As if on two machines: neither can see that the other's process is gone.
        QProcess a, b;
        testsupport::ProcessOutput aOut{a}, bOut{b};
        QVERIFY(testsupport::startAgent(a, QStringLiteral("alpha"), m_workspace));
        // Alone, the first agent watches the whole desk.
        QVERIFY2(aOut.waitErr("this agent watches the desk", 30000), aOut.err.constData());
        QVERIFY2(aOut.waitOut("\"flow\":\"people\",\"event\":\"ready\"", 30000), aOut.err.constData());
        QVERIFY2(aOut.waitOut("\"flow\":\"items\",\"event\":\"ready\"", 30000), aOut.err.constData());

        // A second agent comes: the first gives a flow up, the second takes it.
        QVERIFY(testsupport::startAgent(b, QStringLiteral("beta"), m_workspace));
        QVERIFY2(bOut.waitErr("this agent watches flows", 30000), bOut.err.constData());
        QVERIFY2(aOut.waitErr("this agent watches flows", 30000), aOut.err.constData());
        QJsonArray agents;
        QTRY_VERIFY_WITH_TIMEOUT((agents = status(m_workspace).value(u"agents").toArray(), agents.size() == 2), 15000);
        std::map<QString, QString> hostOf; // flow → the agent's host
        for (const QJsonValue &v : agents) {
            const QJsonArray flows = v.toObject().value(u"flows").toArray();
            QCOMPARE(flows.size(), 1);
            hostOf[flows.at(0).toString()] = v.toObject().value(u"host").toString();
        }
        QCOMPARE(hostOf.size(), size_t(2)); // one flow each, none twice
        const bool aHasItems = hostOf.at(QStringLiteral("items")) == u"alpha";
        QProcess &x = aHasItems ? a : b;   // watches items: killed below
        testsupport::ProcessOutput &xOut = aHasItems ? aOut : bOut;
        testsupport::ProcessOutput &yOut = aHasItems ? bOut : aOut;
        const QString yFlow = QStringLiteral("people");
        // Each agent's engine for its share has made its flow ready (alpha's a second time: its
        // first engine watched both): from here, each reports its flow only.
        QVERIFY2(waitCount(aOut, ready(aHasItems ? QStringLiteral("items") : yFlow), 2, 30000), aOut.out.constData());
        QVERIFY2(waitCount(bOut, ready(aHasItems ? yFlow : QStringLiteral("items")), 1, 30000), bOut.out.constData());
        drain(xOut);
        drain(yOut);
        const qsizetype xFrom = xOut.out.size(), yFrom = yOut.out.size();

        touch(QStringLiteral("items"), 0, 10);
        touch(QStringLiteral("people"), 0, 10);
        QVERIFY2(xOut.waitOut("\"I009\"", 20000), xOut.out.constData());
        QVERIFY2(yOut.waitOut("\"P009\"", 20000), yOut.out.constData());

        // The agent watching items dies; items changes while nobody watches it.
        x.kill();
        QElapsedTimer sinceKill;
        sinceKill.start();
        x.waitForFinished();
        drain(xOut);
        drain(yOut);
        const QByteArray yBefore = yOut.out.mid(yFrom);
        const qsizetype itemsReadyBefore = yOut.out.count(ready(QStringLiteral("items")));
        touch(QStringLiteral("items"), 10, 20);
        yOut.err.clear();
        QVERIFY2(yOut.waitErr("this agent watches the desk", 60000), yOut.err.constData());
        const qint64 tookOverMs = sinceKill.elapsed();
        qInfo("the survivor took the dead agent's flow over %lld ms after kill -9", tookOverMs);
        QVERIFY2(tookOverMs <= 30000, qPrintable(QString::number(tookOverMs)));
        // Neither reported the other's flow while both lived.
        QVERIFY2(!xOut.out.mid(xFrom).contains("\"flow\":\"people\""), xOut.out.mid(xFrom).constData());
        QVERIFY2(!yBefore.contains("\"flow\":\"items\""), yBefore.constData());

        const qsizetype yTakeOver = yOut.out.size();
        QVERIFY2(waitCount(yOut, ready(QStringLiteral("items")), itemsReadyBefore + 1, 60000),
                 yOut.err.constData());
        touch(QStringLiteral("items"), 20, 30); // after the take-over
        QVERIFY2(yOut.waitOut("\"I029\"", 30000), yOut.out.mid(yTakeOver).constData());

        // Every change accounted for, on both flows: the records reported are diff's, pending.
        for (const QString &flow : {QStringLiteral("items"), yFlow}) {
            QStringList shown;
            for (const auto &[k, s] : statuses(yOut.out, flow)) {
                shown << k;
                QVERIFY2(s == u"pending", qPrintable(flow + u' ' + k + u' ' + s));
            }
            QCOMPARE(shown, diffKeys(flow));
            QCOMPARE(shown.size(), flow == u"items" ? 30 : 10);
        }
        // `status` names the survivor, watching both.
        QJsonObject agent;
        QTRY_VERIFY_WITH_TIMEOUT((agents = status(m_workspace).value(u"agents").toArray(),
                                  agents.size() == 1 && agents.at(0).toObject().value(u"flows").toArray().size() == 2),
                                 15000);
        agent = agents.at(0).toObject();
        QCOMPARE(agent.value(u"host").toString(), aHasItems ? QStringLiteral("beta") : QStringLiteral("alpha"));
        QVERIFY(agent.value(u"lease_live").toBool());
        QCOMPARE(testsupport::stopGracefully(aHasItems ? b : a), 0);
    }

    // Given one agent watching the whole desk, when another holder takes one flow's lease from
    // under it (as an agent would after this one could not renew in time), then it says so,
    // stops watching that flow (its writes for it are refused from then on) and goes on with
    // the rest; once the lease is free again it takes the flow back.
    void shouldLetGoOfAFlowTakenFromIt()
    {
        QProcess a;
        testsupport::ProcessOutput out{a};
        QVERIFY(testsupport::startAgent(a, QStringLiteral("alpha"), m_workspace));
        QVERIFY2(out.waitErr("this agent watches the desk", 30000), out.err.constData());
        QString error;
        QVERIFY2(testsupport::pgExec(m_state,
                                     QStringLiteral("UPDATE agent_lease SET agent = 'thief:1:0@x', host = 'thief', "
                                                    "expires_at = expires_at + 3600000 WHERE name = 'flow/people'"),
                                     &error),
                 qPrintable(error));
        QVERIFY2(out.waitErr("another agent took over flows people", 30000), out.err.constData());
        QVERIFY2(out.waitErr("this agent watches flows items of the desk", 30000), out.err.constData());
        QJsonObject st;
        QTRY_VERIFY_WITH_TIMEOUT((st = status(m_workspace), st.value(u"agents").toArray().size() == 2), 15000);
        for (const QJsonValue &v : st.value(u"agents").toArray())
            QCOMPARE(v.toObject().value(u"flows").toArray().size(), 1);

        QVERIFY2(testsupport::pgExec(m_state, QStringLiteral("DELETE FROM agent_lease WHERE name = 'flow/people'"), &error),
                 qPrintable(error));
        out.err.clear();
        QVERIFY2(out.waitErr("this agent watches the desk", 30000), out.err.constData());
        const int code = testsupport::stopGracefully(a);
        out.err += a.readAllStandardError();
        QVERIFY2(code == 0, out.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestScaleOut)
#include "tst_scaleout.moc"

#include "CliRun.h"
#include "TestPostgres.h"
#include "TestSeed.h"
#include "TestSqlite.h"
#include "model/RecordStatus.h"
#include "model/WorkspaceLoader.h"
#include "session/AttachedDesk.h"
#include "session/EngineHost.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <map>
#include <random>

using namespace syncdesk;

// A console attached to a team's agent sees exactly what the agent sees (issue 13, item 1).
//
// A real agent (`syncdesk-cli watch --events` on a team's PostgreSQL store) watches a flow
// between two SQLite systems while rounds of random writes hit both sides: updates on one side
// or both, copies, deletes, inserts; once the agent is killed (-9) mid-stream and started again
// after more writes. An AttachedDesk in this process follows the store. After each round
// settles, every key's status the desk shows must be the last one the agent printed for it,
// and at the end its records out of sync must be exactly those `syncdesk-cli diff` finds.
//
// SYNCDESK_ATTACH_SEED fixes the seed (printed at the start).
class TestAttach : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_src, m_dst, m_workspace;
    std::mt19937 m_rng;
    int m_keys = 150;

    // The agent, and the last status it printed per key (in sync: absent).
    QProcess m_agent;
    QByteArray m_agentBuffer;
    std::map<QString, QString> m_agentView;
    qint64 m_agentLineAtMs = 0; // when it last printed a status

    // The attached desk's view, per key.
    std::map<QString, QString> m_deskView;
    QList<qint64> m_latencies; // receipt − the agent's event time, ms

    void startAgent()
    {
        m_agentView.clear(); // a new run tells every record out of sync again at its start
        m_agentBuffer.clear();
        m_agent.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_agent.start(QStringLiteral(SYNCDESK_CLI_PATH),
                      {QStringLiteral("watch"), QStringLiteral("--workspace"), m_workspace, QStringLiteral("--events")});
        QVERIFY(m_agent.waitForStarted());
    }

    void readAgent()
    {
        m_agentBuffer += m_agent.readAllStandardOutput();
        qsizetype nl;
        while ((nl = m_agentBuffer.indexOf('\n')) >= 0) {
            const QJsonObject o = QJsonDocument::fromJson(m_agentBuffer.left(nl)).object();
            m_agentBuffer.remove(0, nl + 1);
            if (!o.contains(u"status"))
                continue;
            const QString key = QString::fromUtf8(QJsonDocument(o.value(u"key").toArray()).toJson(QJsonDocument::Compact));
            const QString status = o.value(u"status").toString();
            if (status == statusName(RecordStatus::InSync))
                m_agentView.erase(key);
            else
                m_agentView[key] = status;
            m_agentLineAtMs = QDateTime::currentMSecsSinceEpoch();
        }
    }

    // The agent printed nothing for a while: what it saw of the round is out.
    bool settle()
    {
        QElapsedTimer t;
        t.start();
        m_agentLineAtMs = QDateTime::currentMSecsSinceEpoch();
        while (t.elapsed() < 30000) {
            QTest::qWait(100);
            readAgent();
            if (QDateTime::currentMSecsSinceEpoch() - m_agentLineAtMs > 2000)
                return true;
        }
        return false;
    }

    static QString canonicalKey(const QByteArray &keyJson)
    {
        return QString::fromUtf8(QJsonDocument::fromJson(keyJson).toJson(QJsonDocument::Compact));
    }

    QString sku(int i) const { return QStringLiteral("K%1").arg(i, 4, 10, QLatin1Char('0')); }

    // One random write, as an upstream system or a person would make it.
    void randomWrite()
    {
        const int k = int(m_rng() % uint(m_keys + 20)); // some keys past the start: inserts
        const QString key = sku(k);
        const int price = int(m_rng() % 1000);
        const auto upsert = [&](const QString &db, int p) {
            QString error;
            QVERIFY2(testsupport::sqliteExec(db, {QStringLiteral("INSERT INTO items VALUES ('%1', %2) ON CONFLICT (sku) "
                                                                 "DO UPDATE SET price = excluded.price")
                                                      .arg(key)
                                                      .arg(p)},
                                             &error),
                     qPrintable(error));
        };
        const auto remove = [&](const QString &db) {
            QString error;
            QVERIFY2(testsupport::sqliteExec(db, {QStringLiteral("DELETE FROM items WHERE sku = '%1'").arg(key)}, &error),
                     qPrintable(error));
        };
        switch (m_rng() % 6) {
        case 0: upsert(m_src, price); break;
        case 1: upsert(m_dst, price); break;
        case 2: upsert(m_src, price); upsert(m_dst, price + 1); break; // both, differently
        case 3: upsert(m_src, price); upsert(m_dst, price); break;     // a copy arrives
        case 4: remove(m_src); break;
        default: remove(m_dst); break;
        }
    }

    bool viewsAgree(QString *why)
    {
        readAgent();
        if (m_deskView == m_agentView)
            return true;
        QStringList diff;
        for (const auto &[k, s] : m_agentView)
            if (const auto it = m_deskView.find(k); it == m_deskView.end() || it->second != s)
                diff << QStringLiteral("%1:%2≠%3").arg(k, s, it == m_deskView.end() ? QStringLiteral("-") : it->second);
        for (const auto &[k, s] : m_deskView)
            if (!m_agentView.count(k))
                diff << QStringLiteral("%1:-≠%2").arg(k, s);
        *why = diff.mid(0, 10).join(u' ');
        return false;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const quint32 seed = testsupport::seedFrom("SYNCDESK_ATTACH_SEED");
        qInfo("seed %u (SYNCDESK_ATTACH_SEED)", seed);
        m_rng.seed(seed);
        QString error, conninfo;
        QVERIFY2(testsupport::createDatabase(QStringLiteral("attach_state"), &conninfo, &error), qPrintable(error));
        const auto port = QRegularExpression(QStringLiteral("port=(\\d+)")).match(conninfo);
        QVERIFY(port.hasMatch());
        m_src = m_dir.filePath(QStringLiteral("src.db"));
        m_dst = m_dir.filePath(QStringLiteral("dst.db"));
        QStringList rows{QStringLiteral("CREATE TABLE items (sku text PRIMARY KEY, price integer)")};
        for (int i = 0; i < m_keys; ++i)
            rows << QStringLiteral("INSERT INTO items VALUES ('%1', %2)").arg(sku(i)).arg(i);
        QVERIFY2(testsupport::sqliteExec(m_src, rows, &error), qPrintable(error));
        QVERIFY2(testsupport::sqliteExec(m_dst, rows, &error), qPrintable(error));
        // (The URI goes in as an argument: moc reads "//" in a raw string as a comment.)
        const QString state = QStringLiteral("postgresql:") + QStringLiteral("//postgres@127.0.0.1:%1/attach_state").arg(port.captured(1));
        const QByteArray json = QStringLiteral(R"({"version": 1, "state": "%3",
            "systems": [{"name": "shop", "kind": "sqlite", "path": "%1"}, {"name": "books", "kind": "sqlite", "path": "%2"}],
            "flows": [{"name": "items", "source": {"system": "shop", "table": "items"},
              "target": {"system": "books", "table": "items"}, "key": ["sku"], "fields": ["price"],
              "direction": "one-way", "sla_seconds": 600}]})")
                                    .arg(m_src, m_dst, state)
                                    .toUtf8();
        m_workspace = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("team.json"), json);
    }

    void cleanupTestCase()
    {
        if (m_agent.state() != QProcess::NotRunning)
            testsupport::stopGracefully(m_agent);
    }

    // Given an agent and an attached desk, when rounds of random writes hit both sides (and
    // the agent is killed and started again in the middle), then after each round the desk
    // shows every key with the agent's last status, and at the end exactly diff's records.
    void shouldShowWhatTheAgentSees()
    {
        registerSessionTypes();
        const Workspace ws = WorkspaceLoader::load(m_workspace);
        QCOMPARE(EngineHost::defaultMode(ws), EngineHost::Mode::Attach);
        startAgent();
        AttachedDesk desk(ws);
        bool alive = false;
        connect(&desk, &AttachedDesk::agentState, this, [&alive](bool a, qint64) { alive = a; });
        connect(&desk, &AttachedDesk::flowRecords, this, [this](const FlowRecords &records) {
            m_deskView.clear();
            for (const RecordRow &r : records.rows)
                m_deskView[canonicalKey(r.keyJson)] = statusName(r.status);
        });
        connect(&desk, &AttachedDesk::statusEvents, this, [this](const QList<StatusEvent> &events) {
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            for (const StatusEvent &e : events) {
                m_latencies << now - e.tsMs;
                if (e.status == RecordStatus::InSync)
                    m_deskView.erase(canonicalKey(e.keyJson));
                else
                    m_deskView[canonicalKey(e.keyJson)] = statusName(e.status);
            }
        });
        desk.start();
        QTRY_VERIFY_WITH_TIMEOUT(alive, 30000);

        for (int round = 0; round < 4; ++round) {
            m_latencies.clear();
            for (int i = 0; i < 60; ++i) {
                randomWrite();
                if (i % 10 == 0)
                    QTest::qWait(int(m_rng() % 200)); // the agent reads some writes apart, some together
                readAgent();
            }
            if (round == 1) {
                // Killed mid-stream; more writes while it is away; then an agent again.
                m_agent.kill();
                m_agent.waitForFinished();
                for (int i = 0; i < 30; ++i)
                    randomWrite();
                startAgent();
            }
            QVERIFY2(settle(), "the agent did not settle");
            QString why;
            QTRY_VERIFY2_WITH_TIMEOUT(viewsAgree(&why), qPrintable(QStringLiteral("round %1: %2").arg(round).arg(why)),
                                      15000);
            std::sort(m_latencies.begin(), m_latencies.end());
            if (!m_latencies.isEmpty())
                qInfo("round %d: %lld statuses, agent → desk p50 %lld ms, max %lld ms", round,
                      qint64(m_latencies.size()), m_latencies[m_latencies.size() / 2], m_latencies.constLast());
        }

        // The truth: what a full comparison finds out of sync now.
        const testsupport::CliRun diff = testsupport::runCli(
            {QStringLiteral("diff"), QStringLiteral("--workspace"), m_workspace, QStringLiteral("--flow"),
             QStringLiteral("items"), QStringLiteral("--list"), QStringLiteral("--json")});
        QVERIFY2(diff.exitCode == 0 || diff.exitCode == 1, diff.err.constData());
        QJsonDocument doc = QJsonDocument::fromJson(diff.out);
        const QJsonObject flow = doc.isArray() ? doc.array().first().toObject() : doc.object();
        QStringList truth;
        for (const QJsonValue &r : flow.value(u"records").toArray())
            truth << QString::fromUtf8(QJsonDocument(r.toObject().value(u"key").toArray()).toJson(QJsonDocument::Compact));
        QStringList shown;
        for (const auto &[k, s] : m_deskView)
            shown << k;
        truth.sort();
        QCOMPARE(shown, truth);
        QVERIFY(!truth.isEmpty());
        QCOMPARE(testsupport::stopGracefully(m_agent), 0);
    }
};

QTEST_GUILESS_MAIN(TestAttach)
#include "tst_attach.moc"

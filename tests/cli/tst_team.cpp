#include "CliRun.h"
#include "TestPostgres.h"
#include "TestSqlite.h"
#include "TwoSystems.h"
#include "state/PostgresStateStore.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <tuple>

using testsupport::TestSystem;

// A team's desk on one shared PostgreSQL state store, as its operators use it: `team setup`,
// logins with roles that PostgreSQL enforces, claims, and one audit chain that many writers
// append to at once.
class TestTeam : public QObject
{
    Q_OBJECT

    using Run = testsupport::CliRun;
    static Run cli(const QStringList &args) { return testsupport::runCli(args); }

    QTemporaryDir m_dir;
    TestSystem m_source, m_target;
    QString m_ws;
    QString m_owner;   // conninfo of the store's database as its owner (postgres)
    QString m_address; // 127.0.0.1:PORT

    QString storeAs(const QString &login) const
    {
        return QStringLiteral("postgresql://%1@%2/team_store").arg(login, m_address);
    }

    // The CLI on the workspace, with the state store reached as `login`.
    Run as(const QString &login, QStringList args) const
    {
        args << QStringLiteral("--workspace") << m_ws << QStringLiteral("--state") << storeAs(login);
        return cli(args);
    }

    Run resolve(const QString &login, const QString &key, const QString &operatorName) const
    {
        return as(login, {QStringLiteral("resolve"), QStringLiteral("--flow"), QStringLiteral("f"),
                          QStringLiteral("--key"), key, QStringLiteral("--take"), QStringLiteral("source"),
                          QStringLiteral("--reason"), QStringLiteral("the source is the master"),
                          QStringLiteral("--operator"), operatorName});
    }

    Run claim(const QString &login, const QString &key, const QString &operatorName, QStringList more = {}) const
    {
        return as(login, QStringList{QStringLiteral("claim"), QStringLiteral("--flow"), QStringLiteral("f"),
                                     QStringLiteral("--key"), key, QStringLiteral("--operator"), operatorName}
                             + more);
    }

    QString value(const QString &conninfo, const QString &sql)
    {
        QString error;
        const QString v = testsupport::pgValue(conninfo, sql, &error);
        if (!error.isEmpty())
            qWarning("%s", qPrintable(error));
        return v;
    }

    qint64 auditEntries() { return value(m_owner, QStringLiteral("SELECT count(*) FROM audit_log")).toLongLong(); }
    QString targetNote(const QString &sku)
    {
        return value(m_target.conninfo, QStringLiteral("SELECT note FROM t WHERE sku = '%1'").arg(sku));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("pg->pg"), QStringLiteral("team"), m_dir.path(), &m_source,
                                          &m_target, &error),
                 qPrintable(error));
        const QString ddl = QStringLiteral("CREATE TABLE t (sku text PRIMARY KEY, price numeric, note text)");
        QStringList src{ddl}, dst{ddl};
        for (int i = 1; i <= 6; ++i) {
            src << QStringLiteral("INSERT INTO t VALUES ('K%1', %1, 'src')").arg(i);
            dst << QStringLiteral("INSERT INTO t VALUES ('K%1', %1, 'dst')").arg(i);
        }
        QVERIFY2(m_source.exec(src, &error) && m_target.exec(dst, &error), qPrintable(error));
        QVERIFY2(testsupport::createDatabase(QStringLiteral("team_store"), &m_owner, &error), qPrintable(error));
        const QString fixture = testsupport::fixtureConninfo(&error);
        const auto port = QRegularExpression(QStringLiteral("port=(\\d+)")).match(fixture);
        QVERIFY(port.hasMatch());
        m_address = QStringLiteral("127.0.0.1:") + port.captured(1);
        m_ws = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("team.json"),
                                      testsupport::workspaceJson(m_source, m_target, QStringLiteral("t"),
                                                                 {QStringLiteral("sku")},
                                                                 {QStringLiteral("price"), QStringLiteral("note")}));
        QVERIFY(!m_ws.isEmpty());
        // Logins are the cluster's: earlier runs may have left them.
        for (const char *login : {"ana", "bob", "vic", "adam", "audrey"})
            PG_EXEC(fixture, QStringLiteral("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%1') "
                                            "THEN CREATE ROLE %1 LOGIN; END IF; END $$")
                                 .arg(QLatin1String(login)));

        // `team setup` makes the empty database a team's store.
        const Run first = cli({QStringLiteral("team"), QStringLiteral("setup"), QStringLiteral("--state"),
                               storeAs(QStringLiteral("postgres"))});
        QVERIFY2(first.exitCode == 0, first.err.constData());
        QVERIFY2(first.out.contains("schema version"), first.out.constData());
        QCOMPARE(value(m_owner, QStringLiteral("SELECT relrowsecurity FROM pg_class WHERE relname = 'claims'")),
                 QStringLiteral("t"));
        for (const auto &[login, role] : {std::pair{"ana", "resolver"}, {"bob", "resolver"}, {"vic", "viewer"},
                                          {"adam", "admin"}, {"audrey", "auditor"}}) {
            const Run r = cli({QStringLiteral("team"), QStringLiteral("grant"), QStringLiteral("--state"),
                               storeAs(QStringLiteral("postgres")), QStringLiteral("--user"), QLatin1String(login),
                               QStringLiteral("--role"), QLatin1String(role)});
            QVERIFY2(r.exitCode == 0, r.err.constData());
        }
    }

    // Run again, `team setup` changes nothing; `team grant` gives logins their roles and
    // refuses what is not one.
    void shouldSetUpTheStoreAndItsRoles()
    {
        const Run again = cli({QStringLiteral("team"), QStringLiteral("setup"), QStringLiteral("--state"),
                               storeAs(QStringLiteral("postgres"))});
        QVERIFY2(again.exitCode == 0, again.err.constData());
        QVERIFY2(again.out.contains("already there"), again.out.constData());
        const Run bad = cli({QStringLiteral("team"), QStringLiteral("grant"), QStringLiteral("--state"),
                             storeAs(QStringLiteral("postgres")), QStringLiteral("--user"), QStringLiteral("ana"),
                             QStringLiteral("--role"), QStringLiteral("superuser")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("no role 'superuser'"), bad.err.constData());
        const Run file = cli({QStringLiteral("team"), QStringLiteral("setup"), QStringLiteral("--state"),
                              m_dir.filePath(QStringLiteral("state.db"))});
        QCOMPARE(file.exitCode, 2);
        // An admin may append to the log but never change it: append-only for all but its owner.
        QString error;
        const QString asAdam = QStringLiteral("host=127.0.0.1 port=%1 user=adam dbname=team_store")
                                   .arg(m_address.section(u':', 1));
        QVERIFY(!testsupport::pgExec(asAdam, QStringLiteral("UPDATE audit_log SET entry = '{}'"), &error));
        QVERIFY2(error.contains(QLatin1String("permission denied")), qPrintable(error));
        QVERIFY(!testsupport::pgExec(asAdam, QStringLiteral("DELETE FROM audit_log"), &error));
    }

    // Given Ana's claim on K2, when Bob resolves it (under any operator name), then exit 5 and
    // nothing is written; Ana resolves it; an admin breaks a claim, audited; a lapsed claim
    // is anyone's.
    void shouldHonourClaims()
    {
        const Run taken = claim(QStringLiteral("ana"), QStringLiteral("K2"), QStringLiteral("Ana"));
        QVERIFY2(taken.exitCode == 0, taken.err.constData());
        QVERIFY2(taken.out.contains("claimed by Ana since"), taken.out.constData());

        const qint64 before = auditEntries();
        const Run bob = resolve(QStringLiteral("bob"), QStringLiteral("K2"), QStringLiteral("Bob"));
        QCOMPARE(bob.exitCode, 5);
        QVERIFY2(bob.err.contains("claimed by Ana"), bob.err.constData());
        // Typing Ana's name on another login does not make her claim his.
        const Run posing = resolve(QStringLiteral("bob"), QStringLiteral("K2"), QStringLiteral("Ana"));
        QCOMPARE(posing.exitCode, 5);
        QCOMPARE(auditEntries(), before);
        QCOMPARE(targetNote(QStringLiteral("K2")), QStringLiteral("dst"));

        QCOMPARE(claim(QStringLiteral("bob"), QStringLiteral("K2"), QStringLiteral("Bob")).exitCode, 5);
        QCOMPARE(claim(QStringLiteral("bob"), QStringLiteral("K2"), QStringLiteral("Bob"), {QStringLiteral("--release")})
                     .exitCode,
                 5);
        const Run notAdmin = claim(QStringLiteral("bob"), QStringLiteral("K2"), QStringLiteral("Bob"),
                                   {QStringLiteral("--release"), QStringLiteral("--break"), QStringLiteral("--reason"),
                                    QStringLiteral("she left")});
        QCOMPARE(notAdmin.exitCode, 5);
        QVERIFY2(notAdmin.err.contains("syncdesk_admin"), notAdmin.err.constData());
        // Row-level security, not only the client: Bob's own SQL cannot end Ana's claim.
        QString error;
        const QString asBob = QStringLiteral("host=127.0.0.1 port=%1 user=bob dbname=team_store")
                                  .arg(m_address.section(u':', 1));
        QVERIFY2(testsupport::pgExec(asBob, QStringLiteral("DELETE FROM claims"), &error), qPrintable(error));
        QCOMPARE(value(m_owner, QStringLiteral("SELECT operator FROM claims WHERE record_key = '[\"K2\"]'")),
                 QStringLiteral("Ana"));

        // Others see it.
        const Run listed = as(QStringLiteral("vic"), {QStringLiteral("claim"), QStringLiteral("--list"),
                                                      QStringLiteral("--json")});
        QVERIFY2(listed.exitCode == 0, listed.err.constData());
        const QJsonArray claims = QJsonDocument::fromJson(listed.out).array();
        QCOMPARE(claims.size(), 1);
        QCOMPARE(claims[0].toObject().value(u"operator").toString(), QStringLiteral("Ana"));
        QCOMPARE(claims[0].toObject().value(u"key").toArray(), QJsonArray{QStringLiteral("K2")});

        const Run ana = resolve(QStringLiteral("ana"), QStringLiteral("K2"), QStringLiteral("Ana"));
        QVERIFY2(ana.exitCode == 0, ana.err.constData());
        QCOMPARE(targetNote(QStringLiteral("K2")), QStringLiteral("src"));
        const Run released = claim(QStringLiteral("ana"), QStringLiteral("K2"), QStringLiteral("Ana"),
                                   {QStringLiteral("--release")});
        QVERIFY2(released.exitCode == 0 && released.out.contains("released"), released.err.constData());

        // An admin breaks Bob's claim: audited, and the chain stays whole.
        QCOMPARE(claim(QStringLiteral("bob"), QStringLiteral("K3"), QStringLiteral("Bob")).exitCode, 0);
        const Run broken = claim(QStringLiteral("adam"), QStringLiteral("K3"), QStringLiteral("Adam"),
                                 {QStringLiteral("--release"), QStringLiteral("--break"), QStringLiteral("--reason"),
                                  QStringLiteral("Bob is off shift")});
        QVERIFY2(broken.exitCode == 0, broken.err.constData());
        const QJsonObject entry = QJsonDocument::fromJson(
                                      value(m_owner, QStringLiteral("SELECT entry FROM audit_log ORDER BY seq DESC LIMIT 1"))
                                          .toUtf8())
                                      .object();
        QCOMPARE(entry.value(u"type").toString(), QStringLiteral("claim"));
        QCOMPARE(entry.value(u"event").toString(), QStringLiteral("broken"));
        QCOMPARE(entry.value(u"claimed_by").toString(), QStringLiteral("Bob"));
        QCOMPARE(entry.value(u"operator").toString(), QStringLiteral("Adam"));
        QCOMPARE(entry.value(u"reason").toString(), QStringLiteral("Bob is off shift"));
        const Run verified = as(QStringLiteral("audrey"), {QStringLiteral("audit"), QStringLiteral("verify")});
        QVERIFY2(verified.exitCode == 0, verified.err.constData());

        // A lapsed claim holds nothing: another resolver takes it over.
        QCOMPARE(claim(QStringLiteral("ana"), QStringLiteral("K4"), QStringLiteral("Ana")).exitCode, 0);
        PG_EXEC(m_owner, QStringLiteral("UPDATE claims SET expires_at = expires_at - 3600000 WHERE record_key = '[\"K4\"]'"));
        const Run takeover = claim(QStringLiteral("bob"), QStringLiteral("K4"), QStringLiteral("Bob"));
        QVERIFY2(takeover.exitCode == 0 && takeover.out.contains("claimed by Bob"), takeover.err.constData());
        const Run bobResolves = resolve(QStringLiteral("bob"), QStringLiteral("K4"), QStringLiteral("Bob"));
        QVERIFY2(bobResolves.exitCode == 0, bobResolves.err.constData());
    }

    // Given a viewer, when they resolve or claim through the CLI, then PostgreSQL refuses it:
    // exit 5, nothing written anywhere; reading still works.
    // Given a workspace with "claim_minutes": 5, when Ana claims without --minutes, then her
    // claim holds five minutes; --minutes still wins; without the key it is 30.
    void shouldHoldClaimsForTheWorkspacesClaimMinutes()
    {
        QFile f(m_ws);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
        root.insert(QStringLiteral("claim_minutes"), 5);
        const QString five = QFileInfo(m_ws).absolutePath() + QStringLiteral("/five.json");
        QFile out(five);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QJsonDocument(root).toJson());
        out.close();
        const auto held = [this](const QString &key) {
            return value(m_owner, QStringLiteral("SELECT expires_at - claimed_at FROM claims WHERE record_key = '[\"%1\"]'")
                                      .arg(key));
        };
        const auto claimIn = [this](const QString &ws, const QString &key, const QStringList &more) {
            return cli(QStringList{QStringLiteral("claim"), QStringLiteral("--workspace"), ws, QStringLiteral("--state"),
                                   storeAs(QStringLiteral("ana")), QStringLiteral("--flow"), QStringLiteral("f"),
                                   QStringLiteral("--key"), key, QStringLiteral("--operator"), QStringLiteral("Ana")}
                       + more);
        };
        for (const auto &[ws, key, more, ms] :
             {std::tuple{five, QStringLiteral("K6"), QStringList{}, QStringLiteral("300000")},
              std::tuple{five, QStringLiteral("K7"), QStringList{QStringLiteral("--minutes"), QStringLiteral("2")},
                         QStringLiteral("120000")},
              std::tuple{m_ws, QStringLiteral("K8"), QStringList{}, QStringLiteral("1800000")}}) {
            const Run r = claimIn(ws, key, more);
            QVERIFY2(r.exitCode == 0, r.err.constData());
            QCOMPARE(held(key), ms);
            QVERIFY(claimIn(ws, key, {QStringLiteral("--release")}).exitCode == 0);
        }
    }

    void shouldDenyAViewer()
    {
        const qint64 before = auditEntries();
        const Run r = resolve(QStringLiteral("vic"), QStringLiteral("K5"), QStringLiteral("Vic"));
        QCOMPARE(r.exitCode, 5);
        QVERIFY2(r.err.contains("permission denied"), r.err.constData());
        QCOMPARE(auditEntries(), before);
        QCOMPARE(targetNote(QStringLiteral("K5")), QStringLiteral("dst"));
        QCOMPARE(claim(QStringLiteral("vic"), QStringLiteral("K5"), QStringLiteral("Vic")).exitCode, 5);
        QCOMPARE(value(m_owner, QStringLiteral("SELECT count(*) FROM claims WHERE record_key = '[\"K5\"]'")),
                 QStringLiteral("0"));
        const Run verify = as(QStringLiteral("vic"), {QStringLiteral("audit"), QStringLiteral("verify")});
        QVERIFY2(verify.exitCode == 0, verify.err.constData());
        // Resuming a halted policy is an admin's: a resolver is refused before anything is audited.
        PG_EXEC(m_owner, QStringLiteral("INSERT INTO policy_state VALUES ('f', 1, 'guard', 0, 'policy:source-wins') "
                                        "ON CONFLICT (flow) DO UPDATE SET halted = 1"));
        const qint64 entries = auditEntries();
        const Run resume = as(QStringLiteral("bob"), {QStringLiteral("policy"), QStringLiteral("resume"),
                                                      QStringLiteral("--flow"), QStringLiteral("f")});
        QCOMPARE(resume.exitCode, 5);
        QVERIFY2(resume.err.contains("may not resume policies"), resume.err.constData());
        QCOMPARE(auditEntries(), entries);
        const Run adminResumes = as(QStringLiteral("adam"), {QStringLiteral("policy"), QStringLiteral("resume"),
                                                             QStringLiteral("--flow"), QStringLiteral("f")});
        QVERIFY2(adminResumes.exitCode == 0, adminResumes.err.constData());
        QCOMPARE(auditEntries(), entries + 1);
        // An auditor reads and verifies, and resolves nothing either.
        QCOMPARE(resolve(QStringLiteral("audrey"), QStringLiteral("K5"), QStringLiteral("Audrey")).exitCode, 5);
    }

    // Given four processes appending 500 entries each at once, as four logins, then the log is
    // one gap-free chain of all 2,000 that `audit verify` accepts.
    void shouldKeepOneChainWithManyWriters()
    {
        const qint64 before = auditEntries();
        QList<QProcess *> writers;
        const QStringList logins{QStringLiteral("ana"), QStringLiteral("bob"), QStringLiteral("adam"),
                                 QStringLiteral("ana")};
        for (const QString &login : logins) {
            auto *p = new QProcess(this);
            p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            p->start(QCoreApplication::applicationFilePath(),
                     {QStringLiteral("--append-audit"), storeAs(login), QStringLiteral("500")});
            writers << p;
        }
        for (QProcess *p : writers) {
            QVERIFY(p->waitForFinished(300000));
            QCOMPARE(p->exitCode(), 0);
        }
        QCOMPARE(auditEntries(), before + 2000);
        QCOMPARE(value(m_owner, QStringLiteral("SELECT max(seq) - min(seq) + 1 FROM audit_log")).toLongLong(),
                 before + 2000);
        const Run verify = as(QStringLiteral("audrey"), {QStringLiteral("audit"), QStringLiteral("verify")});
        QVERIFY2(verify.exitCode == 0, verify.err.constData());
        QVERIFY2(verify.out.contains(QByteArray::number(before + 2000)), verify.out.constData());
    }

    // Given Ana's claim on K6, when Bob resolves every different record at once, then K6 is
    // left to her (counted, exit 5) and the others are resolved.
    void shouldLeaveAClaimedRecordOutOfABulkResolution()
    {
        QCOMPARE(claim(QStringLiteral("ana"), QStringLiteral("K6"), QStringLiteral("Ana")).exitCode, 0);
        const Run bulk = as(QStringLiteral("bob"),
                            {QStringLiteral("resolve"), QStringLiteral("--flow"), QStringLiteral("f"),
                             QStringLiteral("--status"), QStringLiteral("different"), QStringLiteral("--take"),
                             QStringLiteral("source"), QStringLiteral("--reason"), QStringLiteral("source is master"),
                             QStringLiteral("--operator"), QStringLiteral("Bob")});
        QCOMPARE(bulk.exitCode, 5);
        QVERIFY2(bulk.out.contains("1 left alone (claimed by another operator)"), bulk.out.constData());
        QCOMPARE(targetNote(QStringLiteral("K6")), QStringLiteral("dst"));
        QCOMPARE(targetNote(QStringLiteral("K1")), QStringLiteral("src"));
        QCOMPARE(targetNote(QStringLiteral("K5")), QStringLiteral("src"));
    }
};

// One writer of the many-writers test: appends `count` entries to the store's log.
static int appendAudit(const QString &uri, int count)
{
    try {
        syncdesk::PostgresStateStore store(uri);
        for (int i = 0; i < count; ++i)
            store.appendAudit(QJsonObject{{QStringLiteral("type"), QStringLiteral("test")},
                                          {QStringLiteral("writer"), QCoreApplication::applicationPid()},
                                          {QStringLiteral("n"), i}});
    } catch (const std::exception &e) {
        qWarning("append-audit: %s", e.what());
        return 1;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc == 4 && qstrcmp(argv[1], "--append-audit") == 0)
        return appendAudit(QString::fromUtf8(argv[2]), QByteArray(argv[3]).toInt());
    TestTeam test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_team.moc"

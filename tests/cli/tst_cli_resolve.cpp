#include "CliRun.h"
#include "TestPostgres.h"
#include "TestSqlite.h"
#include "TwoSystems.h"
#include "audit/AuditExport.h"
#include "model/WorkspaceLoader.h"
#include "state/StateStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <libpq-fe.h>

using testsupport::TestSystem;

// syncdesk-cli resolve and audit, as an operator's scripts use them.
class TestCliResolve : public QObject
{
    Q_OBJECT

    using Run = testsupport::CliRun;
    static Run cli(const QStringList &args) { return testsupport::runCli(args); }

    QTemporaryDir m_dir;
    int m_case = 0;
    TestSystem m_source, m_target;

    // A pairing with table t: A1, B2 on both sides (B2 differs), C3 only on the source,
    // D4 only on the target.
    QString workspace(const QString &pairing, QString *error)
    {
        if (!testsupport::makePairing(pairing, QStringLiteral("res%1").arg(++m_case), m_dir.path(),
                                      &m_source, &m_target, error))
            return {};
        const QString ddl = QStringLiteral("CREATE TABLE t (sku text PRIMARY KEY, price numeric, note text)");
        if (!m_source.exec({ddl, QStringLiteral("INSERT INTO t VALUES ('A1', 1.10, 'a'), ('B2', 2, 'src'), ('C3', 3, NULL)")}, error)
            || !m_target.exec({ddl, QStringLiteral("INSERT INTO t VALUES ('A1', 1.1, 'a'), ('B2', 2, 'dst'), ('D4', 4, 'x')")}, error))
            return {};
        return testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("res%1.json").arg(m_case),
                                      testsupport::workspaceJson(m_source, m_target, QStringLiteral("t"),
                                                                 {QStringLiteral("sku")},
                                                                 {QStringLiteral("price"), QStringLiteral("note")}));
    }

    static QStringList resolveArgs(const QString &ws, const QString &key, const QString &take,
                                   const QString &reason)
    {
        return {QStringLiteral("resolve"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                QStringLiteral("f"), QStringLiteral("--key"), key, QStringLiteral("--take"), take,
                QStringLiteral("--reason"), reason, QStringLiteral("--operator"), QStringLiteral("alice")};
    }

    static QJsonArray exportJson(const QString &ws, const QString &out)
    {
        const Run r = cli({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"),
                           ws, QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--out"), out});
        QFile f(out);
        if (r.exitCode != 0 || !f.open(QIODevice::ReadOnly))
            return {};
        return QJsonDocument::fromJson(f.readAll()).array();
    }

    static QJsonObject show(const QString &ws, const QString &key)
    {
        const Run r = cli({QStringLiteral("show"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                           QStringLiteral("f"), QStringLiteral("--key"), key, QStringLiteral("--json")});
        return QJsonDocument::fromJson(r.out).object();
    }

    // One field's value on one side in `show --json` output.
    static QString field(const QJsonObject &shown, const char *name, const char *side)
    {
        for (const QJsonValue &f : shown.value(u"fields").toArray())
            if (f.toObject().value(u"name").toString() == QLatin1String(name))
                return f.toObject().value(QLatin1String(side)).toString();
        return QStringLiteral("(no such field)");
    }

    // `diff --list` records by their first key value.
    static QHash<QString, QJsonObject> listed(const QString &ws)
    {
        const Run list = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                              QStringLiteral("f"), QStringLiteral("--json"), QStringLiteral("--list")});
        QHash<QString, QJsonObject> records;
        for (const QJsonValue &r : QJsonDocument::fromJson(list.out).object().value(u"records").toArray())
            records.insert(r.toObject().value(u"key").toArray()[0].toString(), r.toObject());
        return records;
    }

private slots:
    void shouldUpdateInsertAndDeleteWithAnAuditTrail_data()
    {
        QTest::addColumn<QString>("pairing");
        for (const QString &p : testsupport::pairingNames())
            QTest::newRow(qPrintable(p)) << p;
    }

    // Given differing, missing and extra records, when each is resolved, then the losing side
    // is written, the flow is in sync, and the log holds an intent and an outcome for each.
    void shouldUpdateInsertAndDeleteWithAnAuditTrail()
    {
        QFETCH(QString, pairing);
        QString error;
        const QString ws = workspace(pairing, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        for (const auto &[key, take] : {std::pair{"B2", "source"}, std::pair{"C3", "source"},
                                        std::pair{"D4", "source"}}) {
            const Run r = cli(resolveArgs(ws, QLatin1String(key), QLatin1String(take),
                                          QStringLiteral("warehouse is right")));
            QVERIFY2(r.exitCode == 0, r.err.constData());
        }
        const Run diff = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws,
                              QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--json")});
        QVERIFY2(diff.exitCode == 0, diff.out + diff.err);
        QCOMPARE(QJsonDocument::fromJson(diff.out).object().value(u"in_sync").toInt(), 3);

        const QJsonArray log = exportJson(ws, m_dir.filePath(QStringLiteral("log%1.json").arg(m_case)));
        QCOMPARE(log.size(), 6);
        const QJsonObject intent = log[0].toObject();
        QCOMPARE(intent.value(u"type").toString(), QStringLiteral("intent"));
        QCOMPARE(intent.value(u"operator").toString(), QStringLiteral("alice"));
        QCOMPARE(intent.value(u"reason").toString(), QStringLiteral("warehouse is right"));
        QCOMPARE(intent.value(u"target").toObject().value(u"values").toObject().value(u"note").toString(),
                 QStringLiteral("dst"));
        const QJsonObject outcome = log[1].toObject();
        QCOMPARE(outcome.value(u"outcome").toString(), QStringLiteral("applied"));
        QCOMPARE(outcome.value(u"id"), intent.value(u"id"));
        const QJsonObject after = outcome.value(u"after").toObject();
        for (const char16_t *side : {u"source", u"target"})
            QCOMPARE(after.value(side).toObject().value(u"values").toObject().value(u"note").toString(),
                     QStringLiteral("src"));
        QVERIFY(log[5].toObject().value(u"after").toObject().value(u"target").isNull()); // D4 deleted
        const QByteArray all = QJsonDocument(log).toJson();
        QVERIFY(!all.contains("password"));
        QCOMPARE(cli({QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws}).exitCode, 0);
    }

    // Given the record changed after the operator looked, the write is refused, nothing is
    // written, and the log says so.
    void shouldRefuseWhenTheRecordChanged()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("pg->sqlite"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const Run list = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                              QStringLiteral("f"), QStringLiteral("--json"), QStringLiteral("--list")});
        const QJsonObject b2 = QJsonDocument::fromJson(list.out).object().value(u"records").toArray()[0].toObject();
        QCOMPARE(b2.value(u"key").toArray()[0].toString(), QStringLiteral("B2"));
        // Meanwhile someone edits the target.
        QVERIFY2(m_target.exec({QStringLiteral("UPDATE t SET note = 'edited' WHERE sku = 'B2'")}, &error), qPrintable(error));
        const Run r = cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("stale view"))
                          + QStringList{QStringLiteral("--expect-source-hash"), b2.value(u"source_hash").toString(),
                                        QStringLiteral("--expect-target-hash"), b2.value(u"target_hash").toString()});
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.err.contains("refused"));
        // The refusal names the flow and the record's key, not only audit entry numbers.
        QVERIFY2(r.err.contains("flow 'f'") && r.err.contains(R"(["B2"])"), r.err.constData());
        const Run show = cli({QStringLiteral("show"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                              QStringLiteral("f"), QStringLiteral("--key"), QStringLiteral("B2"), QStringLiteral("--json")});
        QCOMPARE(QJsonDocument::fromJson(show.out).object().value(u"fields").toArray()[1].toObject()
                     .value(u"target").toString(), QStringLiteral("edited"));
        const QJsonArray log = exportJson(ws, m_dir.filePath(QStringLiteral("refused.json")));
        QCOMPARE(log.size(), 2);
        QCOMPARE(log[1].toObject().value(u"outcome").toString(), QStringLiteral("refused"));
    }

    void shouldRequireAReasonAndWriteNothingWithoutOne()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->sqlite"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const Run r = cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("  ")));
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("a reason is required"));
        QCOMPARE(exportJson(ws, m_dir.filePath(QStringLiteral("none.json"))).size(), 0);
        QCOMPARE(cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("both"), QStringLiteral("x"))).exitCode, 2);
    }

    // Given --state naming another store (an agent's state directory), resolve writes its
    // audit log there and audit reads it from there; a password in it is refused.
    void shouldUseTheStateStoreNamedOnTheCommandLine()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->sqlite"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const QString store = m_dir.filePath(QStringLiteral("agent/elsewhere.state.db"));
        QVERIFY(QDir().mkpath(QFileInfo(store).path()));
        const QStringList state{QStringLiteral("--state"), store};
        const Run r = cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("agent")) + state);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(QFileInfo::exists(store));
        QCOMPARE(exportJson(ws, m_dir.filePath(QStringLiteral("default.json"))).size(), 0);
        const Run verify = cli(QStringList{QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws} + state);
        QVERIFY2(verify.exitCode == 0, verify.err.constData());
        QVERIFY2(verify.out.contains("2 entries"), verify.out.constData());

        const Run bad = cli({QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws,
                             QStringLiteral("--state"), QStringLiteral("postgresql://u:hunter2@127.0.0.1/s")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("--state") && bad.err.contains("password"), bad.err.constData());
        QVERIFY(!bad.err.contains("hunter2"));
    }

    // Given a log of four entries, each kind of tampering is caught at the right entry.
    void shouldFindTheFirstTamperedEntry_data()
    {
        QTest::addColumn<QStringList>("tamper");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("one byte changed")
            << QStringList{QStringLiteral("UPDATE audit_log SET entry = replace(entry, 'alice', 'alicf') WHERE seq = 3")}
            << QByteArray("broken at entry 3: entry 3 was modified");
        QTest::newRow("entry deleted") << QStringList{QStringLiteral("DELETE FROM audit_log WHERE seq = 2")}
                                       << QByteArray("broken at entry 2: entry 2 is missing");
        QTest::newRow("entry deleted, renumbered")
            << QStringList{QStringLiteral("DELETE FROM audit_log WHERE seq = 2"),
                           QStringLiteral("UPDATE audit_log SET seq = seq - 1 WHERE seq > 2")}
            << QByteArray("broken at entry 2: entry 2 does not follow entry 1");
        QTest::newRow("two swapped")
            << QStringList{QStringLiteral("UPDATE audit_log SET seq = -2 WHERE seq = 2"),
                           QStringLiteral("UPDATE audit_log SET seq = 2 WHERE seq = 3"),
                           QStringLiteral("UPDATE audit_log SET seq = 3 WHERE seq = -2")}
            << QByteArray("broken at entry 2: entry 2 does not follow entry 1");
        QTest::newRow("one inserted")
            << QStringList{QStringLiteral("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 2"),
                           QStringLiteral("UPDATE audit_log SET seq = seq - 99 WHERE seq >= 102"),
                           QStringLiteral("INSERT INTO audit_log (seq, entry, prev_hash, hash) VALUES (2, '{}', 'x', 'y')")}
            << QByteArray("broken at entry 2: entry 2 does not follow entry 1");
    }

    void shouldFindTheFirstTamperedEntry()
    {
        QFETCH(QStringList, tamper);
        QFETCH(QByteArray, expected);
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->sqlite"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QCOMPARE(cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("one"))).exitCode, 0);
        QCOMPARE(cli(resolveArgs(ws, QStringLiteral("C3"), QStringLiteral("source"), QStringLiteral("two"))).exitCode, 0);
        const Run intact = cli({QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws});
        QCOMPARE(intact.exitCode, 0);
        QVERIFY2(intact.out.contains("intact: 4 entries, head "), intact.out.constData());
        const QString state = ws.chopped(5) + QStringLiteral(".state.db");
        SQLITE_EXEC(state, {tamper});
        const Run broken = cli({QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws});
        QCOMPARE(broken.exitCode, 4);
        QVERIFY2(broken.out.contains(expected), broken.out.constData());
    }

    // Given resolves killed after their intent (one after its write, one before), the next
    // run closes both with what actually happened.
    void shouldCloseIntentsLeftOpenByACrash()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->pg"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const QHash<QString, QJsonObject> records = listed(ws);
        const syncdesk::Workspace workspace = syncdesk::WorkspaceLoader::load(ws);
        const auto store = syncdesk::StateStore::open(workspace);
        // B2's intent as this version writes it (with the planned values); C3's as an earlier
        // version did (hashes only).
        auto intent = [&](const QString &key, const QJsonObject &planned = {}) {
            const QJsonObject r = records.value(key);
            QJsonObject entry{
                {QStringLiteral("type"), QStringLiteral("intent")}, {QStringLiteral("id"), key},
                {QStringLiteral("at"), QStringLiteral("2026-11-22T00:00:00.000Z")},
                {QStringLiteral("flow"), QStringLiteral("f")}, {QStringLiteral("key"), QJsonArray{key}},
                {QStringLiteral("choice"), QStringLiteral("take_source")},
                {QStringLiteral("reason"), QStringLiteral("crash test")},
                {QStringLiteral("expected_source_hash"), r.value(u"source_hash").toString()},
                {QStringLiteral("expected_target_hash"), r.value(u"target_hash").toString()}};
            if (!planned.isEmpty())
                entry.insert(QStringLiteral("planned"), planned);
            store->appendAudit(entry);
        };
        const QJsonObject b2Row{{QStringLiteral("price"), QStringLiteral("2")}, {QStringLiteral("note"), QStringLiteral("src")}};
        intent(QStringLiteral("B2"),
               {{QStringLiteral("source"), QJsonObject{{QStringLiteral("write"), false}, {QStringLiteral("values"), b2Row}}},
                {QStringLiteral("target"), QJsonObject{{QStringLiteral("write"), true}, {QStringLiteral("values"), b2Row}}}});
        // killed after the write
        QVERIFY2(m_target.exec({QStringLiteral("UPDATE t SET note = 'src' WHERE sku = 'B2'")}, &error), qPrintable(error));
        intent(QStringLiteral("C3")); // killed before the write
        // One still in progress (this process is alive): it must be left alone.
        store->appendAudit(QJsonObject{
            {QStringLiteral("type"), QStringLiteral("intent")}, {QStringLiteral("id"), QStringLiteral("live")},
            {QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
            {QStringLiteral("flow"), QStringLiteral("f")}, {QStringLiteral("key"), QJsonArray{QStringLiteral("A1")}},
            {QStringLiteral("choice"), QStringLiteral("take_source")},
            {QStringLiteral("host"), QHostInfo::localHostName()},
            {QStringLiteral("pid"), QCoreApplication::applicationPid()}});
        QCOMPARE(cli(resolveArgs(ws, QStringLiteral("D4"), QStringLiteral("target"), QStringLiteral("keep it"))).exitCode, 0);

        QJsonArray log = exportJson(ws, m_dir.filePath(QStringLiteral("crash.json")));
        QCOMPARE(log.size(), 7); // three intents, two recovered outcomes, D4's pair
        for (const QJsonValue &e : log)
            QVERIFY(!(e.toObject().value(u"id").toString() == u"live"
                      && e.toObject().value(u"type").toString() == u"outcome"));
        log.removeAt(2); // the live intent
        QCOMPARE(log[2].toObject().value(u"id").toString(), QStringLiteral("B2"));
        QCOMPARE(log[2].toObject().value(u"outcome").toString(), QStringLiteral("applied"));
        QVERIFY(log[2].toObject().value(u"recovered").toBool());
        QCOMPARE(log[3].toObject().value(u"id").toString(), QStringLiteral("C3"));
        QCOMPARE(log[3].toObject().value(u"outcome").toString(), QStringLiteral("failed"));
        QVERIFY(log[3].toObject().value(u"error").toString().contains(QLatin1String("nothing was written")));
        QCOMPARE(cli({QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws}).exitCode, 0);
    }

    // Given a differing record, when the operator takes the source but the note from the target
    // and types a price, then both sides are written to that row and the log says which field
    // came from where.
    void shouldApplyPerFieldPicksAndCustomValues_data()
    {
        QTest::addColumn<QString>("pairing");
        for (const QString &p : testsupport::pairingNames())
            QTest::newRow(qPrintable(p)) << p;
    }
    void shouldApplyPerFieldPicksAndCustomValues()
    {
        QFETCH(QString, pairing);
        QString error;
        const QString ws = workspace(pairing, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const Run r = cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("mixed"))
                          + QStringList{QStringLiteral("--field"), QStringLiteral("note=target"),
                                        QStringLiteral("--set"), QStringLiteral("price=9.50")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject shown = show(ws, QStringLiteral("B2"));
        for (const char *side : {"source", "target"}) {
            QCOMPARE(field(shown, "price", side), QStringLiteral("9.5"));
            QCOMPARE(field(shown, "note", side), QStringLiteral("dst"));
        }
        const QJsonArray log = exportJson(ws, m_dir.filePath(QStringLiteral("fields%1.json").arg(m_case)));
        QCOMPARE(log.size(), 2);
        QCOMPARE(log[0].toObject().value(u"choice").toString(), QStringLiteral("per_field"));
        QCOMPARE(log[0].toObject().value(u"picks").toObject(),
                 (QJsonObject{{QStringLiteral("note"), QStringLiteral("target")},
                              {QStringLiteral("price"), QStringLiteral("custom")}}));
    }

    // Given bad picks, each gets one clear error and nothing is audited or written.
    void shouldRejectBadPicksBeforeAnythingIsWritten()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->pg"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const QList<std::pair<QStringList, const char *>> cases{
            {{QStringLiteral("--set"), QStringLiteral("price=lots")}, "not a valid value for field 'price'"},
            {{QStringLiteral("--field"), QStringLiteral("colour=target")}, "no field 'colour'"},
            {{QStringLiteral("--field"), QStringLiteral("note=sideways")}, "NAME=source|target|baseline"},
            {{QStringLiteral("--field"), QStringLiteral("note=baseline")}, "no baseline is known"},
        };
        for (const auto &[extra, message] : cases) {
            const Run r = cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("x")) + extra);
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains(message), r.err.constData());
            QCOMPARE(r.err.count('\n'), 1);
        }
        // C3 has no target row: a field cannot come from there.
        const Run none = cli(resolveArgs(ws, QStringLiteral("C3"), QStringLiteral("source"), QStringLiteral("x"))
                             + QStringList{QStringLiteral("--field"), QStringLiteral("note=target")});
        QCOMPARE(none.exitCode, 2);
        QVERIFY2(none.err.contains("cannot come from the target"), none.err.constData());
        QCOMPARE(exportJson(ws, m_dir.filePath(QStringLiteral("bad.json"))).size(), 0);
        QCOMPARE(field(show(ws, QStringLiteral("B2")), "note", "target"), QStringLiteral("dst"));
    }

    // Given --preview, the exact statements with their values are printed per system and
    // nothing is written or audited.
    void shouldPreviewTheExactStatements_data()
    {
        QTest::addColumn<QString>("pairing");
        QTest::addColumn<QString>("update");
        QTest::newRow("pg->pg") << QStringLiteral("pg->pg")
                                << QStringLiteral("UPDATE \"public\".\"t\" SET \"price\" = $2::numeric, \"note\" = $3::text WHERE \"sku\" = $1::text");
        QTest::newRow("sqlite->sqlite") << QStringLiteral("sqlite->sqlite")
                                        << QStringLiteral("UPDATE \"main\".\"t\" SET \"price\" = ?, \"note\" = ? WHERE \"sku\" = ?");
    }
    void shouldPreviewTheExactStatements()
    {
        QFETCH(QString, pairing);
        QFETCH(QString, update);
        QString error;
        const QString ws = workspace(pairing, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QStringList args = resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QString());
        args << QStringLiteral("--preview") << QStringLiteral("--json");
        const Run r = cli(args);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject plan = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(plan.value(u"choice").toString(), QStringLiteral("take_source"));
        const QJsonObject target = plan.value(u"sides").toObject().value(u"target").toObject();
        QVERIFY(target.value(u"write").toBool());
        QVERIFY(!plan.value(u"sides").toObject().value(u"source").toObject().value(u"write").toBool());
        const QJsonArray statements = target.value(u"statements").toArray();
        // begin, (PostgreSQL: the lock timeout), lock, update, commit
        QVERIFY(statements.first().toObject().value(u"sql").toString().startsWith(QLatin1String("BEGIN")));
        QCOMPARE(statements.last().toObject().value(u"sql").toString(), QStringLiteral("COMMIT"));
        const QJsonObject change = statements[statements.size() - 2].toObject();
        QCOMPARE(change.value(u"sql").toString(), update);
        QVERIFY(statements[statements.size() - 3].toObject().value(u"sql").toString().contains(QLatin1String("FOR UPDATE"))
                || pairing.startsWith(QLatin1String("sqlite")));
        const QJsonArray values = change.value(u"values").toArray();
        QVERIFY2(values.contains(QStringLiteral("src")) && values.contains(QStringLiteral("B2")),
                 QJsonDocument(values).toJson().constData());
        const Run text = cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QString())
                             + QStringList{QStringLiteral("--preview")});
        QVERIFY2(text.out.contains(update.toUtf8()) && text.out.contains("'src'"), text.out.constData());
        QCOMPARE(exportJson(ws, m_dir.filePath(QStringLiteral("preview%1.json").arg(m_case))).size(), 0);
        QCOMPARE(field(show(ws, QStringLiteral("B2")), "note", "target"), QStringLiteral("dst"));
    }

    // Given an applied resolution, undo puts back what it overwrote through a new audited
    // resolution; a second undo, or one after the record moved on, writes nothing.
    void shouldUndoByACompensatingResolution_data()
    {
        QTest::addColumn<QString>("pairing");
        for (const QString &p : testsupport::pairingNames())
            QTest::newRow(qPrintable(p)) << p;
    }
    void shouldUndoByACompensatingResolution()
    {
        QFETCH(QString, pairing);
        QString error;
        const QString ws = workspace(pairing, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        auto resolutionId = [](const Run &r) {
            const QByteArray marker = "resolution ";
            const qsizetype at = r.out.indexOf(marker);
            return at < 0 ? QString() : QString::fromUtf8(r.out.mid(at + marker.size(), 36));
        };
        const Run b2 = cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("first")));
        const Run d4 = cli(resolveArgs(ws, QStringLiteral("D4"), QStringLiteral("source"), QStringLiteral("gone")));
        QVERIFY2(b2.exitCode == 0 && d4.exitCode == 0, b2.err + d4.err);
        auto undo = [&](const QString &id) {
            return cli({QStringLiteral("resolve"), QStringLiteral("--workspace"), ws, QStringLiteral("--undo"), id,
                        QStringLiteral("--reason"), QStringLiteral("wrong call"), QStringLiteral("--operator"),
                        QStringLiteral("carol")});
        };
        const Run undone = undo(resolutionId(b2));
        QVERIFY2(undone.exitCode == 0, undone.err.constData());
        QCOMPARE(field(show(ws, QStringLiteral("B2")), "note", "target"), QStringLiteral("dst"));
        QCOMPARE(field(show(ws, QStringLiteral("B2")), "note", "source"), QStringLiteral("src"));
        QCOMPARE(undo(resolutionId(d4)).exitCode, 0); // the deleted row comes back
        QCOMPARE(field(show(ws, QStringLiteral("D4")), "note", "target"), QStringLiteral("x"));
        const Run again = undo(resolutionId(b2));
        QCOMPARE(again.exitCode, 2);
        QVERIFY2(again.err.contains("already undone"), again.err.constData());

        // Resolved again, then edited elsewhere: the undo is refused and writes nothing.
        const Run third = cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("target"), QStringLiteral("third")));
        QCOMPARE(third.exitCode, 0);
        QVERIFY2(m_source.exec({QStringLiteral("UPDATE t SET note = 'moved on' WHERE sku = 'B2'")}, &error), qPrintable(error));
        QCOMPARE(undo(resolutionId(third)).exitCode, 3);
        QCOMPARE(field(show(ws, QStringLiteral("B2")), "note", "source"), QStringLiteral("moved on"));

        const QJsonArray log = exportJson(ws, m_dir.filePath(QStringLiteral("undo%1.json").arg(m_case)));
        QCOMPARE(log[4].toObject().value(u"choice").toString(), QStringLiteral("undo"));
        QCOMPARE(log[4].toObject().value(u"undoes").toString(), resolutionId(b2));
        QCOMPARE(log[4].toObject().value(u"operator").toString(), QStringLiteral("carol"));
        QCOMPARE(cli({QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws}).exitCode, 0);
    }

    // Given the same resolution replayed with the hashes the operator saw, the second run
    // finds the decision in place and writes nothing.
    void shouldNotWriteTwiceWhenReplayed()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("pg->sqlite"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const QJsonObject b2 = listed(ws).value(QStringLiteral("B2"));
        const QStringList args = resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("replayed"))
                                 + QStringList{QStringLiteral("--expect-source-hash"), b2.value(u"source_hash").toString(),
                                               QStringLiteral("--expect-target-hash"), b2.value(u"target_hash").toString()};
        QCOMPARE(cli(args).exitCode, 0);
        const Run second = cli(args);
        QVERIFY2(second.exitCode == 0, second.err.constData());
        const QJsonArray log = exportJson(ws, m_dir.filePath(QStringLiteral("replay.json")));
        QCOMPARE(log.size(), 4);
        QVERIFY(!log[2].toObject().value(u"planned").toObject().value(u"target").toObject().value(u"write").toBool());
        QVERIFY(log[3].toObject().value(u"note").toString().contains(QLatin1String("already held")));
    }

    // Given the winning row changes while the resolve waits for its lock, the check made under
    // the lock sees it: refused, and the losing side keeps its row.
    void shouldCheckTheWinnerUnderItsLock()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("pg->pg"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        PGconn *conn = PQconnectdb(m_source.conninfo.toUtf8().constData());
        const auto close = qScopeGuard([&] { PQfinish(conn); });
        QCOMPARE(PQstatus(conn), CONNECTION_OK);
        PQclear(PQexec(conn, "BEGIN; UPDATE t SET note = 'sold meanwhile' WHERE sku = 'B2'"));
        QProcess resolve;
        resolve.start(QStringLiteral(SYNCDESK_CLI_PATH),
                      resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("racing")));
        QVERIFY(resolve.waitForStarted());
        // The resolve reads the committed row, then waits on the row lock this session holds.
        QVERIFY(!resolve.waitForFinished(1500));
        PQclear(PQexec(conn, "COMMIT"));
        QVERIFY(resolve.waitForFinished(30000));
        QCOMPARE(resolve.exitCode(), 3);
        QCOMPARE(field(show(ws, QStringLiteral("B2")), "note", "target"), QStringLiteral("dst"));
    }

    // Given records of one status, a bulk resolution previews a sample with the total, then
    // resolves each with its own intent and outcome.
    void shouldResolveInBulk()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->pg"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QVERIFY2(m_source.exec({QStringLiteral("UPDATE t SET note = 'new' WHERE sku = 'A1'")}, &error), qPrintable(error));
        const QStringList rule{QStringLiteral("resolve"), QStringLiteral("--workspace"), ws,
                               QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--status"),
                               QStringLiteral("different"), QStringLiteral("--take"), QStringLiteral("source")};
        const Run preview = cli(rule + QStringList{QStringLiteral("--preview"), QStringLiteral("--json"),
                                                   QStringLiteral("--sample"), QStringLiteral("1")});
        QVERIFY2(preview.exitCode == 0, preview.err.constData());
        const QJsonObject p = QJsonDocument::fromJson(preview.out).object();
        QCOMPARE(p.value(u"total").toInt(), 2); // A1 and B2
        QCOMPARE(p.value(u"sample").toArray().size(), 1);
        const Run filtered = cli(rule + QStringList{QStringLiteral("--where"), QStringLiteral("note=dst"),
                                                    QStringLiteral("--preview"), QStringLiteral("--json")});
        QCOMPARE(QJsonDocument::fromJson(filtered.out).object().value(u"total").toInt(), 1);
        QCOMPARE(exportJson(ws, m_dir.filePath(QStringLiteral("bulk0.json"))).size(), 0);

        const Run noReason = cli(rule);
        QCOMPARE(noReason.exitCode, 2);
        const Run run = cli(rule + QStringList{QStringLiteral("--reason"), QStringLiteral("warehouse is the master")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("2 of 2 record(s) applied"), run.out.constData());
        QCOMPARE(field(show(ws, QStringLiteral("A1")), "note", "target"), QStringLiteral("new"));
        const QJsonArray log = exportJson(ws, m_dir.filePath(QStringLiteral("bulk.json")));
        QCOMPARE(log.size(), 4);
        QVERIFY(log[0].toObject().value(u"bulk").toObject().value(u"rule").toString().contains(QLatin1String("status different")));
        QCOMPARE(log[0].toObject().value(u"bulk"), log[2].toObject().value(u"bulk"));
    }

    // Given a system that fails on the second record, the bulk run stops there: the first is
    // resolved and audited, the failing one audited as failed, the rest untouched.
    void shouldStopABulkResolutionAtTheFirstFailure()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->pg"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QVERIFY2(m_source.exec({QStringLiteral("UPDATE t SET note = 'new' WHERE sku IN ('A1', 'B2')"),
                                QStringLiteral("INSERT INTO t VALUES ('E5', 5, 'src')")}, &error), qPrintable(error));
        QVERIFY2(m_target.exec({QStringLiteral("INSERT INTO t VALUES ('E5', 5, 'dst')"),
                                QStringLiteral("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                                               "$$BEGIN RAISE EXCEPTION 'disk full'; END$$"),
                                QStringLiteral("CREATE TRIGGER refuse BEFORE UPDATE ON t FOR EACH ROW "
                                               "WHEN (OLD.sku = 'B2') EXECUTE FUNCTION refuse()")}, &error),
                 qPrintable(error));
        const Run run = cli({QStringLiteral("resolve"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                             QStringLiteral("f"), QStringLiteral("--status"), QStringLiteral("different"),
                             QStringLiteral("--take"), QStringLiteral("source"), QStringLiteral("--reason"),
                             QStringLiteral("master data")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("stopped") && run.err.contains("disk full") && run.err.contains("B2"),
                 run.err.constData());
        QCOMPARE(field(show(ws, QStringLiteral("A1")), "note", "target"), QStringLiteral("new"));
        QCOMPARE(field(show(ws, QStringLiteral("B2")), "note", "target"), QStringLiteral("dst"));
        QCOMPARE(field(show(ws, QStringLiteral("E5")), "note", "target"), QStringLiteral("dst"));
        const QJsonArray log = exportJson(ws, m_dir.filePath(QStringLiteral("bulkfail.json")));
        QCOMPARE(log.size(), 4);
        QCOMPARE(log[1].toObject().value(u"outcome").toString(), QStringLiteral("applied"));
        QCOMPARE(log[3].toObject().value(u"outcome").toString(), QStringLiteral("failed"));
    }

    // Given a log with two operators, the HTML and PDF reports show the summary, the chain and
    // every entry of the operator asked for, and nothing of the other.
    void shouldWriteReportsForAnAuditor()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->sqlite"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QCOMPARE(cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("count checked"))).exitCode, 0);
        QStringList bob = resolveArgs(ws, QStringLiteral("C3"), QStringLiteral("source"), QStringLiteral("bob's call"));
        bob[bob.indexOf(QStringLiteral("alice"))] = QStringLiteral("bob");
        QCOMPARE(cli(bob).exitCode, 0);
        for (const QString &format : {QStringLiteral("html"), QStringLiteral("pdf")}) {
            const QString out = m_dir.filePath(QStringLiteral("report.") + format);
            const Run r = cli({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"), ws,
                               QStringLiteral("--format"), format, QStringLiteral("--out"), out,
                               QStringLiteral("--operator"), QStringLiteral("alice")});
            QVERIFY2(r.exitCode == 0 && r.err.isEmpty(), r.err.constData());
            QString text;
            if (format == u"pdf") {
                QProcess toText;
                toText.start(QStringLiteral("pdftotext"), {out, QStringLiteral("-")});
                QVERIFY(toText.waitForFinished(30000));
                text = QString::fromUtf8(toText.readAllStandardOutput());
            } else {
                QFile f(out);
                QVERIFY(f.open(QIODevice::ReadOnly));
                text = QString::fromUtf8(f.readAll());
            }
            for (const char *needle : {"SyncDesk audit report", "operator alice", "intact: 4 entries",
                                       "count checked", "B2", "applied"})
                QVERIFY2(text.contains(QLatin1String(needle)), qPrintable(format + u' ' + QLatin1String(needle) + u'\n' + text));
            QVERIFY2(!text.contains(QLatin1String("bob's call")), qPrintable(text));
        }
    }

    // Given an export its progress callback cancels, nothing is written and the error says so;
    // one let run is told it reached the total.
    void shouldLeaveNoFileWhenAnExportIsCancelled()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->sqlite"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QCOMPARE(cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), QStringLiteral("checked"))).exitCode, 0);
        const auto store = syncdesk::StateStore::open(syncdesk::WorkspaceLoader::load(ws));
        for (const QString &format : {QStringLiteral("csv"), QStringLiteral("json"), QStringLiteral("html")}) {
            const QString out = m_dir.filePath(QStringLiteral("cancelled.") + format);
            QCOMPARE(syncdesk::writeAuditReport(*store, format, {}, out, &error, [](qint64, qint64) { return false; }), qint64(-1));
            QCOMPARE(error, QStringLiteral("cancelled"));
            QVERIFY(!QFile::exists(out));
            qint64 done = -1, total = -1;
            QCOMPARE(syncdesk::writeAuditReport(*store, format, {}, out, &error, [&](qint64 d, qint64 t) {
                         done = d;
                         total = t;
                         return true;
                     }),
                     qint64(2));
            QCOMPARE(total, qint64(2));
            QCOMPARE(done, total);
            QVERIFY(QFileInfo(out).size() > 0);
        }
    }

    // Given awkward reasons, the CSV export quotes them per RFC 4180, defuses formulas, and
    // parses back to the same text.
    void shouldExportCsvThatParsesBack()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->sqlite"), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const QString reason = QStringLiteral("=HYPERLINK(\"x\"), line one\nline two – ünïcode");
        QCOMPARE(cli(resolveArgs(ws, QStringLiteral("B2"), QStringLiteral("source"), reason)).exitCode, 0);
        const QString out = m_dir.filePath(QStringLiteral("log.csv"));
        QCOMPARE(cli({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"), ws,
                      QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("--out"), out}).exitCode, 0);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        // A small RFC 4180 reader: fields, quotes doubled, line breaks inside quotes.
        QList<QStringList> records{{}};
        QString field;
        bool quoted = false;
        for (qsizetype i = 0; i < text.size(); ++i) {
            const QChar c = text[i];
            if (quoted) {
                if (c == u'"' && i + 1 < text.size() && text[i + 1] == u'"') {
                    field += u'"';
                    ++i;
                } else if (c == u'"') {
                    quoted = false;
                } else {
                    field += c;
                }
            } else if (c == u'"') {
                quoted = true;
            } else if (c == u',') {
                records.last() << field;
                field.clear();
            } else if (c == u'\r' && i + 1 < text.size() && text[i + 1] == u'\n') {
                records.last() << field;
                field.clear();
                records.append(QStringList());
                ++i;
            } else {
                field += c;
            }
        }
        QCOMPARE(records.size(), 4); // header, intent, outcome, and the empty tail
        const int column = int(records[0].indexOf(QStringLiteral("reason")));
        QCOMPARE(records[1].value(column), u'\'' + reason); // leading '=' defused with a quote
        QCOMPARE(records[1].size(), records[0].size());
    }
};

QTEST_GUILESS_MAIN(TestCliResolve)
#include "tst_cli_resolve.moc"

#include "CliRun.h"
#include "TestPostgres.h"
#include "TestSqlite.h"
#include "TwoSystems.h"
#include "model/WorkspaceLoader.h"
#include "state/StateStore.h"

#include <QDir>
#include <QFile>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

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
        QCOMPARE(outcome.value(u"after").toObject().value(u"values").toObject().value(u"note").toString(),
                 QStringLiteral("src"));
        QVERIFY(log[5].toObject().value(u"after").isNull()); // D4 deleted from the target
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
                           QStringLiteral("INSERT INTO audit_log VALUES (2, '{}', 'x', 'y')")}
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
        const Run list = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                              QStringLiteral("f"), QStringLiteral("--json"), QStringLiteral("--list")});
        QHash<QString, QJsonObject> records;
        for (const QJsonValue &r : QJsonDocument::fromJson(list.out).object().value(u"records").toArray())
            records.insert(r.toObject().value(u"key").toArray()[0].toString(), r.toObject());
        const syncdesk::Workspace workspace = syncdesk::WorkspaceLoader::load(ws);
        const auto store = syncdesk::StateStore::open(workspace);
        auto intent = [&](const QString &key) {
            const QJsonObject r = records.value(key);
            store->appendAudit(QJsonObject{
                {QStringLiteral("type"), QStringLiteral("intent")}, {QStringLiteral("id"), key},
                {QStringLiteral("at"), QStringLiteral("2026-11-22T00:00:00.000Z")},
                {QStringLiteral("flow"), QStringLiteral("f")}, {QStringLiteral("key"), QJsonArray{key}},
                {QStringLiteral("choice"), QStringLiteral("take_source")},
                {QStringLiteral("reason"), QStringLiteral("crash test")},
                {QStringLiteral("expected_source_hash"), r.value(u"source_hash").toString()},
                {QStringLiteral("expected_target_hash"), r.value(u"target_hash").toString()}});
        };
        intent(QStringLiteral("B2")); // killed after the write
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

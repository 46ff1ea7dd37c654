#include "CliRun.h"
#include "TestSqlite.h"
#include "model/WorkspaceLoader.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using testsupport::runCli;
using namespace syncdesk;

// The audit report as an auditor prints it: `audit export --format pdf|html` over a log long
// enough for many pages, at A4 and Letter.
class TestCliAuditReport : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_ws;
    QString m_longReason;
    QByteArray m_head;

    static QString run(const QString &program, const QStringList &args)
    {
        QProcess p;
        p.start(program, args);
        p.waitForFinished(60000);
        return QString::fromUtf8(p.readAllStandardOutput());
    }

    static QString squeezed(QString s)
    {
        return s.remove(QRegularExpression(QStringLiteral("\\s+")));
    }

    QString exportPdf(const QString &pageSize)
    {
        const QString file = QDir(m_dir.path()).filePath(QStringLiteral("audit-%1.pdf").arg(pageSize));
        const auto r = runCli({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"),
                               m_ws, QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("--out"),
                               file, QStringLiteral("--page-size"), pageSize});
        return r.exitCode == 0 ? file : QString::fromUtf8(r.err);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QDir dir(m_dir.path());
        m_ws = testsupport::writeFile(dir, QStringLiteral("ws.json"),
                                      R"({"version": 1, "systems": [], "flows": []})");
        // A reason of 600 characters: words, then one long unbroken token (a pasted URL).
        for (int i = 0; m_longReason.size() < 540; ++i)
            m_longReason += QStringLiteral("word%1 ").arg(i);
        m_longReason += QStringLiteral("https://tickets.example/").append(QString(600 - m_longReason.size() - 24, u'x'));
        QCOMPARE(m_longReason.size(), 600);
        // Given 150 resolutions (an intent and an outcome each), the 77th with the long reason.
        const auto store = StateStore::open(WorkspaceLoader::load(m_ws));
        const qint64 t0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC).toMSecsSinceEpoch();
        for (int i = 1; i <= 150; ++i) {
            const QString id = QStringLiteral("r%1").arg(i);
            const QJsonObject side{{QStringLiteral("values"),
                                    QJsonObject{{QStringLiteral("status"), QStringLiteral("sold")},
                                                {QStringLiteral("price_cents"), QString::number(1000 + i)}}}};
            const QString at = QDateTime::fromMSecsSinceEpoch(t0 + i * 1000, Qt::UTC).toString(Qt::ISODateWithMs);
            store->appendAudit({{QStringLiteral("type"), QStringLiteral("intent")}, {QStringLiteral("id"), id},
                                {QStringLiteral("at"), at}, {QStringLiteral("flow"), QStringLiteral("devices")},
                                {QStringLiteral("key"), QJsonArray{QStringLiteral("SKU-%1").arg(i)}},
                                {QStringLiteral("choice"), QStringLiteral("take_source")},
                                {QStringLiteral("operator"), i % 3 ? QStringLiteral("alice") : QStringLiteral("policy:source-wins")},
                                {QStringLiteral("os_user"), QStringLiteral("alice")}, {QStringLiteral("host"), QStringLiteral("desk1")},
                                {QStringLiteral("reason"), i == 77 ? m_longReason : QStringLiteral("count checked")},
                                {QStringLiteral("source"), side}, {QStringLiteral("target"), side}});
            m_head = store->appendAudit({{QStringLiteral("type"), QStringLiteral("outcome")}, {QStringLiteral("id"), id},
                                         {QStringLiteral("at"), at}, {QStringLiteral("flow"), QStringLiteral("devices")},
                                         {QStringLiteral("key"), QJsonArray{QStringLiteral("SKU-%1").arg(i)}},
                                         {QStringLiteral("outcome"), i % 10 ? QStringLiteral("applied") : QStringLiteral("refused")},
                                         {QStringLiteral("after"), QJsonObject{{QStringLiteral("source"), side},
                                                                               {QStringLiteral("target"), side}}}})
                         .hash;
        }
    }

    void shouldPrintPageNumbersHashAndWholeReasons_data()
    {
        QTest::addColumn<QString>("pageSize");
        QTest::addColumn<QString>("mediaBox");
        QTest::newRow("A4") << QStringLiteral("a4") << QStringLiteral("595 x 842 pts (A4)");
        QTest::newRow("Letter") << QStringLiteral("letter") << QStringLiteral("612 x 792 pts (letter)");
    }

    // Then every page says "page N of M" and the chain's head hash, the header is repeated, and
    // the long reason is in the text whole (wrapped, never cut).
    void shouldPrintPageNumbersHashAndWholeReasons()
    {
        QFETCH(QString, pageSize);
        QFETCH(QString, mediaBox);
        const QString file = exportPdf(pageSize);
        QVERIFY2(QFile::exists(file), qPrintable(file));
        const QString info = run(QStringLiteral("pdfinfo"), {file});
        QVERIFY2(info.contains(mediaBox), qPrintable(info));
        const int pages = QRegularExpression(QStringLiteral("Pages:\\s+(\\d+)")).match(info).captured(1).toInt();
        QVERIFY2(pages >= 3, qPrintable(info));
        for (int page = 1; page <= pages; ++page) {
            const QString text = run(QStringLiteral("pdftotext"), {QStringLiteral("-f"), QString::number(page),
                                                                   QStringLiteral("-l"), QString::number(page), file,
                                                                   QStringLiteral("-")});
            QVERIFY2(text.contains(QStringLiteral("page %1 of %2").arg(page).arg(pages)), qPrintable(text));
            QVERIFY2(text.contains(QString::fromLatin1(m_head)), qPrintable(text));
            QVERIFY2(text.contains(QLatin1String("Audit chain intact: 300 entries")), qPrintable(text));
            if (page > 1) // the entries' header, repeated
                QVERIFY2(text.contains(QLatin1String("reason and values")), qPrintable(text));
        }
        // In drawing order a cell's lines follow each other: the reason comes back whole.
        const QString all = run(QStringLiteral("pdftotext"), {QStringLiteral("-raw"), file, QStringLiteral("-")});
        QVERIFY2(squeezed(all).contains(squeezed(m_longReason)), qPrintable(all.left(4000)));
        // The cover: filters, period and the summaries by flow, operator and outcome.
        for (const char *needle : {"Filters: none", "Period: ", "By flow", "By operator", "By outcome",
                                   "policy:source-wins", "refused"})
            QVERIFY2(all.contains(QLatin1String(needle)), needle);
    }

    // The HTML holds the same: one file, sortable tables, the head hash, the long reason whole.
    void shouldWriteOneSelfContainedHtmlFile()
    {
        const QString file = QDir(m_dir.path()).filePath(QStringLiteral("audit.html"));
        QCOMPARE(runCli({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"), m_ws,
                         QStringLiteral("--format"), QStringLiteral("html"), QStringLiteral("--out"), file})
                     .exitCode,
                 0);
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(f.readAll());
        QVERIFY(html.contains(QLatin1String("class=\"sortable\"")));
        QVERIFY(html.contains(QLatin1String("<script>")));
        QVERIFY(html.contains(QString::fromLatin1(m_head)));
        QVERIFY(html.contains(m_longReason.toHtmlEscaped()));
        QVERIFY(!html.contains(QLatin1String("src=")) && !html.contains(QLatin1String("<link")));
    }

    // Given a log whose head was written down (verify's output) and exported as JSON, CSV and
    // HTML, when it grows, it still matches all of them; when entry 10 is rewritten and the
    // chain recomputed after it, or its last entries are deleted, plain verify still says
    // intact (nothing inside the log can tell), but --expect-head and --against say it is not
    // as written down (exit 4). Bad anchors are refused with exit 2.
    void shouldTellARewrittenOrCutLogFromWhatWasWrittenDown()
    {
        const QDir dir(m_dir.path());
        const QString ws = testsupport::writeFile(dir, QStringLiteral("anchored.json"),
                                                  R"({"version": 1, "systems": [], "flows": []})");
        const QString state = dir.filePath(QStringLiteral("anchored.state.db"));
        auto append = [&](int from, int to) {
            const auto store = StateStore::open(WorkspaceLoader::load(ws));
            for (int i = from; i <= to; ++i)
                // Outcomes: an intent without one would be closed by watch (an interrupted resolution).
                store->appendAudit({{QStringLiteral("type"), QStringLiteral("outcome")},
                                    {QStringLiteral("id"), QStringLiteral("a%1").arg(i)},
                                    {QStringLiteral("reason"), QStringLiteral("entry %1, with \"quotes\", commas\nand a line break").arg(i)}});
        };
        auto verify = [&](const QStringList &extra) {
            return runCli(QStringList{QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--workspace"), ws}
                          + extra);
        };
        append(1, 20);
        const auto first = verify({});
        QCOMPARE(first.exitCode, 0);
        const QString head = QString::fromUtf8(first.out).section(QStringLiteral("head "), 1).trimmed();
        QCOMPARE(head.size(), 64);
        // The agent tells its journal the head, where no writer of the log can reach it.
        // ...and a head-hash history file, kept where the log's writers cannot reach.
        const QString heads = dir.filePath(QStringLiteral("heads.tsv"));
        QProcess watch;
        watch.start(QStringLiteral(SYNCDESK_CLI_PATH), {QStringLiteral("watch"), QStringLiteral("--workspace"), ws,
                                                       QStringLiteral("--events"), QStringLiteral("--anchor-file"), heads});
        QVERIFY(watch.waitForStarted(10000));
        testsupport::ProcessOutput journal{watch, {}, {}};
        QVERIFY2(journal.waitErr(QStringLiteral("audit head: entry 20, hash %1").arg(head).toUtf8(), 20000),
                 journal.err.constData());
        QCOMPARE(testsupport::stopGracefully(watch), 0);

        QFile history(heads);
        QVERIFY(history.open(QIODevice::ReadOnly));
        QVERIFY2(history.readAll().endsWith(QStringLiteral("\t20\t%1\n").arg(head).toUtf8()), qPrintable(heads));
        QStringList reports{heads};
        for (const char *format : {"json", "csv", "html"}) {
            reports << dir.filePath(QStringLiteral("anchored-report.%1").arg(QLatin1String(format)));
            const auto exported = runCli({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"), ws,
                                          QStringLiteral("--format"), QLatin1String(format), QStringLiteral("--out"),
                                          reports.last()});
            QVERIFY2(exported.exitCode == 0, exported.err.constData());
        }
        append(21, 25);
        auto r = verify({QStringLiteral("--expect-head"), head});
        QVERIFY2(r.exitCode == 0 && r.out.contains("up to entry 20; 5 entries were added since"), r.out.constData());
        for (const QString &report : reports) {
            r = verify({QStringLiteral("--against"), report});
            QVERIFY2(r.exitCode == 0 && r.out.contains("up to entry 20"), qPrintable(report + QString::fromUtf8(r.out + r.err)));
        }

        // Rewritten from entry 10 on, and chained again: every hash from there is recomputed.
        const QString connection = QStringLiteral("tamper");
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
            db.setDatabaseName(state);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT seq, entry, prev_hash FROM audit_log WHERE seq >= 10 ORDER BY seq")));
            QList<std::pair<qint64, QByteArray>> rows;
            while (q.next())
                rows.append({q.value(0).toLongLong(), q.value(1).toString().toUtf8()});
            QSqlQuery before(db);
            QVERIFY(before.exec(QStringLiteral("SELECT hash FROM audit_log WHERE seq = 9")) && before.next());
            QByteArray previous = before.value(0).toString().toUtf8();
            rows.first().second.replace("entry 10", "entry 10 (quietly changed)");
            for (const auto &[seq, entry] : rows) {
                const QByteArray hash = StateStore::chainHash(previous, entry);
                QSqlQuery u(db);
                u.prepare(QStringLiteral("UPDATE audit_log SET entry = ?, prev_hash = ?, hash = ? WHERE seq = ?"));
                u.addBindValue(QString::fromUtf8(entry));
                u.addBindValue(QString::fromUtf8(previous));
                u.addBindValue(QString::fromUtf8(hash));
                u.addBindValue(seq);
                QVERIFY2(u.exec(), qPrintable(u.lastError().text()));
                previous = hash;
            }
        }
        QSqlDatabase::removeDatabase(connection);
        QCOMPARE(verify({}).exitCode, 0); // the gap these options close
        r = verify({QStringLiteral("--expect-head"), head});
        QVERIFY2(r.exitCode == 4 && r.out.contains("no entry of this log"), r.out.constData());
        for (const QString &report : reports) {
            r = verify({QStringLiteral("--against"), report});
            QVERIFY2(r.exitCode == 4 && r.out.contains("NOT as written down"), qPrintable(report + QString::fromUtf8(r.out)));
        }

        // A fresh log, cut short: its last 10 entries deleted.
        QFile::remove(state);
        append(1, 25);
        const QString cutHead = QString::fromUtf8(verify({}).out).section(QStringLiteral("head "), 1).trimmed();
        const QString cutReport = dir.filePath(QStringLiteral("cut.json"));
        QCOMPARE(runCli({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"), ws,
                         QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--out"), cutReport})
                     .exitCode,
                 0);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
            db.setDatabaseName(state);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("DELETE FROM audit_log WHERE seq > 15")));
        }
        QSqlDatabase::removeDatabase(connection);
        QCOMPARE(verify({}).exitCode, 0);
        r = verify({QStringLiteral("--expect-head"), cutHead});
        QVERIFY2(r.exitCode == 4 && r.out.contains("NOT as written down"), r.out.constData());
        r = verify({QStringLiteral("--against"), cutReport});
        QVERIFY2(r.exitCode == 4 && r.out.contains("the log ends at entry 15"), r.out.constData());

        // Anchors that are not anchors.
        r = verify({QStringLiteral("--expect-head"), QStringLiteral("abc")});
        QVERIFY2(r.exitCode == 2 && r.err.contains("64 hex digits"), r.err.constData());
        const QString pdf = testsupport::writeFile(dir, QStringLiteral("report.pdf"), "%PDF-1.4\n...");
        r = verify({QStringLiteral("--against"), pdf});
        QVERIFY2(r.exitCode == 2 && r.err.contains("is a PDF") && r.err.contains("--expect-head"), r.err.constData());
        r = verify({QStringLiteral("--against"), dir.filePath(QStringLiteral("nowhere.json"))});
        QVERIFY2(r.exitCode == 2 && r.err.contains("cannot read the report"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliAuditReport)
#include "tst_cli_auditreport.moc"

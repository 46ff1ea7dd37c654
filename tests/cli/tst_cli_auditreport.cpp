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
};

QTEST_GUILESS_MAIN(TestCliAuditReport)
#include "tst_cli_auditreport.moc"

#include "CliRun.h"
#include "TestSqlite.h"
#include "model/LagHistogram.h"
#include "model/WorkspaceLoader.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using testsupport::runCli;
using namespace syncdesk;

// `syncdesk-cli report sla`: the consistency-window report read from a real SQLite state store
// filled through StateStore::apply with known activity over two days.
class TestCliReport : public QObject
{
    Q_OBJECT

    static constexpr qint64 H = 3600 * 1000;
    static constexpr qint64 M = 60 * 1000;
    // 2026-11-01T00:00:00Z and the next two midnights.
    const qint64 m_d1 = QDateTime(QDate(2026, 11, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    const qint64 m_d2 = m_d1 + 24 * H;
    const qint64 m_d3 = m_d2 + 24 * H;

    QTemporaryDir m_dir;
    QString m_ws;

    static qint64 ub(qint64 lagMs) { return LagHistogram::upperBoundMs(LagHistogram::bucketOf(lagMs)); }

    static QString iso(qint64 ms)
    {
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
    }

    QString out(const QString &name) const { return QDir(m_dir.path()).filePath(name); }

    QStringList slaArgs(const QString &format, const QString &file) const
    {
        return {QStringLiteral("report"), QStringLiteral("sla"), QStringLiteral("--workspace"), m_ws,
                QStringLiteral("--from"), QStringLiteral("2026-11-01"), QStringLiteral("--to"),
                QStringLiteral("2026-11-03T00:00:00Z"), QStringLiteral("--format"), format,
                QStringLiteral("--out"), file};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QDir dir(m_dir.path());
        for (const QString &db : {dir.filePath(QStringLiteral("src.db")), dir.filePath(QStringLiteral("dst.db"))})
            SQLITE_EXEC(db, {QStringLiteral("CREATE TABLE t (k text PRIMARY KEY, v text)")});
        m_ws = testsupport::writeFile(
            dir, QStringLiteral("ws.json"),
            R"({"version": 1, "systems": [{"name": "src", "kind": "sqlite", "path": "src.db"},
                {"name": "dst", "kind": "sqlite", "path": "dst.db"}],
                "flows": [{"name": "devices", "source": {"system": "src", "table": "t"},
                  "target": {"system": "dst", "table": "t"}, "key": ["k"], "fields": ["v"],
                  "direction": "one-way", "sla_seconds": 300},
                 {"name": "orders", "source": {"system": "src", "table": "t"},
                  "target": {"system": "dst", "table": "t"}, "key": ["k"], "fields": ["v"],
                  "direction": "one-way", "sla_seconds": 60}]})");

        // Given a day 1 of 100 arrivals (95 within 300 s, late ones up to 900 s), a day 2 of 10
        // quick ones, activity just outside the period on both sides, three breaches (one across
        // midnight, one still open) and nothing at all for the flow "orders".
        StateChanges c;
        auto count = [&](qint64 hour, const QString &name, qint64 value) {
            c.counts.append({QStringLiteral("devices"), hour, name, value});
        };
        auto lags = [&](qint64 hour, qint64 lagMs, qint64 n) {
            count(hour, LagHistogram::counterName(LagHistogram::bucketOf(lagMs)), n);
        };
        const qint64 h10 = m_d1 + 10 * H, h23 = m_d1 + 23 * H, h26 = m_d2 + 2 * H;
        count(h10, QStringLiteral("arrivals"), 80);
        count(h10, QStringLiteral("arrivals_within_sla"), 76);
        lags(h10, 1000, 70);
        lags(h10, 200'000, 6);
        lags(h10, 400'000, 4);
        count(h10, QStringLiteral("changes.source.insert"), 5);
        count(h23, QStringLiteral("arrivals"), 20);
        count(h23, QStringLiteral("arrivals_within_sla"), 19);
        lags(h23, 1000, 19);
        lags(h23, 900'000, 1);
        count(h26, QStringLiteral("arrivals"), 10);
        count(h26, QStringLiteral("arrivals_within_sla"), 10);
        lags(h26, 500, 10);
        count(h26, QStringLiteral("conflicts_detected"), 2);
        count(h26, QStringLiteral("resolutions.policy.applied"), 1);
        for (const qint64 outside : {m_d1 - H, m_d3}) {
            count(outside, QStringLiteral("arrivals"), 1000);
            c.peaks.append({QStringLiteral("devices"), outside, QStringLiteral("max_lag_ms"), 9'999'999, R"(["SKU-X"])"});
        }
        c.peaks.append({QStringLiteral("devices"), h10, QStringLiteral("max_lag_ms"), 400'000, R"(["SKU-7"])"});
        c.peaks.append({QStringLiteral("devices"), h23, QStringLiteral("max_lag_ms"), 900'000, R"(["SKU-9"])"});
        c.peaks.append({QStringLiteral("devices"), h26, QStringLiteral("max_lag_ms"), 500, R"(["SKU-1"])"});
        c.breaches.append({QStringLiteral("devices"), h10 + 30 * M, h10 + 50 * M, R"(["SKU-7"])", 400'000, 4});
        c.breaches.append({QStringLiteral("devices"), h23 + 45 * M, m_d2 + 30 * M, R"(["SKU-9"])", 900'000, 1});
        c.breaches.append({QStringLiteral("devices"), m_d2 + 20 * H, std::nullopt, R"(["SKU-3"])", 420'000, 2});
        c.breaches.append({QStringLiteral("devices"), m_d1 - 5 * H, m_d1 - 4 * H, R"(["SKU-0"])", 1, 1});
        const auto store = StateStore::open(WorkspaceLoader::load(m_ws));
        store->apply(c);
        // An audit entry, so that the PDF's footer has a head hash to show.
        store->appendAudit(QJsonObject{{QStringLiteral("type"), QStringLiteral("intent")},
                                       {QStringLiteral("flow"), QStringLiteral("devices")},
                                       {QStringLiteral("reason"), QStringLiteral("test")}});
    }

    // Then the JSON states each day's numbers and the period's exactly.
    void shouldReportEachDayAndThePeriodInJson()
    {
        const QString file = out(QStringLiteral("sla.json"));
        const auto run = runCli(slaArgs(QStringLiteral("json"), file));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(doc.value(u"from").toString(), iso(m_d1));
        QCOMPARE(doc.value(u"to").toString(), iso(m_d3));
        QVERIFY(doc.value(u"quantiles").toString().contains(u"9 %"));
        const QJsonArray flows = doc.value(u"flows").toArray();
        QCOMPARE(flows.size(), 2);
        const QJsonObject devices = flows[0].toObject();
        QCOMPARE(devices.value(u"flow").toString(), QStringLiteral("devices"));
        QCOMPARE(devices.value(u"sla_seconds").toInt(), 300);
        const QJsonArray days = devices.value(u"days").toArray();
        QCOMPARE(days.size(), 2);

        const QJsonObject day1 = days[0].toObject();
        QCOMPARE(day1.value(u"day").toString(), QStringLiteral("2026-11-01"));
        QCOMPARE(day1.value(u"arrivals").toInteger(), 100);
        QCOMPARE(day1.value(u"within_sla").toInteger(), 95);
        QCOMPARE(day1.value(u"within_sla_pct").toDouble(), 95.0);
        // 89 at 1 s, 6 at 200 s, 4 at 400 s, 1 at 900 s: ranks 50, 95 and 99.
        QCOMPARE(day1.value(u"lag_ms")[u"p50"].toInteger(), ub(1000));
        QCOMPARE(day1.value(u"lag_ms")[u"p95"].toInteger(), ub(200'000));
        QCOMPARE(day1.value(u"lag_ms")[u"p99"].toInteger(), ub(400'000));
        QCOMPARE(day1.value(u"longest_late")[u"key"].toArray(), QJsonArray{QStringLiteral("SKU-9")});
        QCOMPARE(day1.value(u"longest_late")[u"lag_ms"].toInteger(), 900'000);
        QCOMPARE(day1.value(u"breaches").toInt(), 2);
        QCOMPARE(day1.value(u"breach_ms").toInteger(), 35 * M); // 20 min, and 15 before midnight
        const QJsonArray b1 = day1.value(u"breach_list").toArray();
        QCOMPARE(b1[0][u"duration_ms"].toInteger(), 20 * M);
        QCOMPARE(b1[0][u"worst_key"].toArray(), QJsonArray{QStringLiteral("SKU-7")});
        QCOMPARE(b1[0][u"worst_lag_ms"].toInteger(), 400'000);
        QCOMPARE(b1[0][u"late_records"].toInteger(), 4);
        QCOMPARE(b1[1][u"start"].toString(), iso(m_d1 + 23 * H + 45 * M));
        QCOMPARE(b1[1][u"end"].toString(), iso(m_d2 + 30 * M));
        QCOMPARE(b1[1][u"duration_ms"].toInteger(), 15 * M);
        QCOMPARE(day1.value(u"activity")[u"changes.source.insert"].toInteger(), 5);

        const QJsonObject day2 = days[1].toObject();
        QCOMPARE(day2.value(u"arrivals").toInteger(), 10);
        QCOMPARE(day2.value(u"within_sla_pct").toDouble(), 100.0);
        QCOMPARE(day2.value(u"lag_ms")[u"p99"].toInteger(), ub(500));
        QVERIFY(day2.value(u"longest_late").isNull()); // 500 ms is not late
        QCOMPARE(day2.value(u"breaches").toInt(), 2);
        const QJsonArray b2 = day2.value(u"breach_list").toArray();
        QCOMPARE(b2[0][u"duration_ms"].toInteger(), 30 * M); // the midnight one, after midnight
        QCOMPARE(b2[1][u"end"].toString(), QStringLiteral("open"));
        QCOMPARE(b2[1][u"open"].toBool(), true);
        QCOMPARE(b2[1][u"duration_ms"].toInteger(), 4 * H); // open: up to the report's end
        QCOMPARE(day2.value(u"breach_ms").toInteger(), 30 * M + 4 * H);
        QCOMPARE(day2.value(u"activity")[u"conflicts_detected"].toInteger(), 2);
        QCOMPARE(day2.value(u"activity")[u"resolutions.policy.applied"].toInteger(), 1);

        const QJsonObject period = devices.value(u"period").toObject();
        QCOMPARE(period.value(u"arrivals").toInteger(), 110);
        QCOMPARE(period.value(u"within_sla_pct").toDouble(), 95.45); // 105 / 110
        QCOMPARE(period.value(u"longest_late")[u"lag_ms"].toInteger(), 900'000);
        QCOMPARE(period.value(u"breaches").toInt(), 3);
        QCOMPARE(period.value(u"breach_ms").toInteger(), 20 * M + 45 * M + 4 * H);

        // A flow without data still appears: nothing arrived, no share, no quantiles.
        const QJsonObject orders = flows[1].toObject();
        QCOMPARE(orders.value(u"flow").toString(), QStringLiteral("orders"));
        QCOMPARE(orders.value(u"days").toArray().size(), 2);
        QCOMPARE(orders.value(u"period")[u"arrivals"].toInteger(), 0);
        QVERIFY(orders.value(u"period")[u"within_sla_pct"].isNull());
        QVERIFY(orders.value(u"period")[u"lag_ms"].isNull());
        QCOMPARE(orders.value(u"period")[u"breaches"].toInt(), 0);
    }

    // Then the CSV holds the same numbers, one row per flow and day, per period and per breach.
    void shouldReportTheSameInCsv()
    {
        const QString file = out(QStringLiteral("sla.csv"));
        const auto run = runCli(slaArgs(QStringLiteral("csv"), file));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QList<QStringList> rows;
        for (const QByteArray &line : f.readAll().split('\n'))
            if (!line.trimmed().isEmpty())
                rows << QString::fromUtf8(line.trimmed()).split(u','); // no quoted commas here
        const QStringList header = rows.takeFirst();
        auto cell = [&](const QStringList &row, const char *name) {
            return row.value(header.indexOf(QLatin1String(name)));
        };
        auto find = [&](const char *kind, const char *flow, const QString &day, int nth = 0) {
            for (const QStringList &row : rows)
                if (cell(row, "kind") == QLatin1String(kind) && cell(row, "flow") == QLatin1String(flow)
                    && cell(row, "day") == day && nth-- == 0)
                    return row;
            return QStringList();
        };
        const QStringList day1 = find("day", "devices", QStringLiteral("2026-11-01"));
        QCOMPARE(cell(day1, "arrivals"), QStringLiteral("100"));
        QCOMPARE(cell(day1, "within_sla_pct"), QStringLiteral("95.00"));
        QCOMPARE(cell(day1, "p50_ms"), QString::number(ub(1000)));
        QCOMPARE(cell(day1, "p95_ms"), QString::number(ub(200'000)));
        QCOMPARE(cell(day1, "p99_ms"), QString::number(ub(400'000)));
        QCOMPARE(cell(day1, "longest_late_key"), QStringLiteral("\"[\"\"SKU-9\"\"]\""));
        QCOMPARE(cell(day1, "longest_late_lag_ms"), QStringLiteral("900000"));
        QCOMPARE(cell(day1, "breaches"), QStringLiteral("2"));
        QCOMPARE(cell(day1, "breach_ms"), QString::number(35 * M));
        QCOMPARE(cell(day1, "changes_source_insert"), QStringLiteral("5"));
        const QStringList midnight = find("breach", "devices", QStringLiteral("2026-11-02"), 0);
        QCOMPARE(cell(midnight, "breach_duration_ms"), QString::number(30 * M));
        const QStringList open = find("breach", "devices", QStringLiteral("2026-11-02"), 1);
        QCOMPARE(cell(open, "breach_end"), QStringLiteral("open"));
        QCOMPARE(cell(open, "breach_duration_ms"), QString::number(4 * H));
        QCOMPARE(cell(open, "late_records"), QStringLiteral("2"));
        const QStringList period = find("period", "devices", QString());
        QCOMPARE(cell(period, "within_sla_pct"), QStringLiteral("95.45"));
        QCOMPARE(cell(period, "breach_ms"), QString::number(20 * M + 45 * M + 4 * H));
        const QStringList orders = find("day", "orders", QStringLiteral("2026-11-01"));
        QCOMPARE(cell(orders, "arrivals"), QStringLiteral("0"));
        QCOMPARE(cell(orders, "within_sla_pct"), QString());
    }

    // Given bad input, report sla exits 2 with one line naming the problem and writes nothing.
    void shouldRefuseBadInput_data()
    {
        QTest::addColumn<QStringList>("change"); // option, value ("" value: drop the option)
        QTest::addColumn<QString>("says");
        QTest::newRow("no --to") << QStringList{QStringLiteral("--to"), QString()} << QStringLiteral("--to");
        QTest::newRow("from after to") << QStringList{QStringLiteral("--to"), QStringLiteral("2026-10-31")}
                                       << QStringLiteral("before --to");
        QTest::newRow("from = to") << QStringList{QStringLiteral("--to"), QStringLiteral("2026-11-01T00:00:00Z")}
                                   << QStringLiteral("before --to");
        QTest::newRow("bad time") << QStringList{QStringLiteral("--from"), QStringLiteral("yesterday")}
                                  << QStringLiteral("ISO 8601");
        QTest::newRow("unknown flow") << QStringList{QStringLiteral("--flow"), QStringLiteral("nope")}
                                      << QStringLiteral("no flow 'nope'");
        QTest::newRow("unknown format") << QStringList{QStringLiteral("--format"), QStringLiteral("xlsx")}
                                        << QStringLiteral("--format");
        QTest::newRow("unknown page size") << QStringList{QStringLiteral("--page-size"), QStringLiteral("a3")}
                                           << QStringLiteral("--page-size");
    }

    void shouldRefuseBadInput()
    {
        QFETCH(QStringList, change);
        QFETCH(QString, says);
        const QString file = out(QStringLiteral("bad.json"));
        QStringList args = slaArgs(QStringLiteral("json"), file);
        const qsizetype at = args.indexOf(change[0]);
        if (change[1].isEmpty())
            args.remove(at, 2);
        else if (at < 0)
            args << change;
        else
            args[at + 1] = change[1];
        const auto run = runCli(args);
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.err.count('\n'), 1);
        QVERIFY2(run.err.contains(says.toUtf8()), run.err.constData());
        QVERIFY(!QFileInfo::exists(file));
        QVERIFY(!QFileInfo::exists(file + QStringLiteral(".part")));
    }

    // Given a period of two months, the PDF at Letter size runs over several pages, each with its
    // page number, the audit chain's head hash and the table header; the HTML is one file.
    void shouldWriteAPdfWithAFooterOnEveryPageAtLetterSize()
    {
        const QString file = out(QStringLiteral("sla.pdf"));
        QStringList args = slaArgs(QStringLiteral("pdf"), file);
        args[args.indexOf(QStringLiteral("--from")) + 1] = QStringLiteral("2026-09-01");
        args << QStringLiteral("--page-size") << QStringLiteral("letter");
        const auto run = runCli(args);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QProcess info;
        info.start(QStringLiteral("pdfinfo"), {file});
        QVERIFY(info.waitForFinished(30000));
        const QString infoText = QString::fromUtf8(info.readAllStandardOutput());
        QVERIFY2(infoText.contains(QLatin1String("612 x 792 pts (letter)")), qPrintable(infoText));
        const int pages = QRegularExpression(QStringLiteral("Pages:\\s+(\\d+)")).match(infoText).captured(1).toInt();
        QVERIFY2(pages >= 2, qPrintable(infoText));
        const QByteArray head = StateStore::open(WorkspaceLoader::load(m_ws))->auditRows().last().hash;
        for (int page = 1; page <= pages; ++page) {
            QProcess text;
            text.start(QStringLiteral("pdftotext"), {QStringLiteral("-f"), QString::number(page), QStringLiteral("-l"),
                                                     QString::number(page), file, QStringLiteral("-")});
            QVERIFY(text.waitForFinished(30000));
            const QByteArray t = text.readAllStandardOutput();
            QVERIFY2(t.contains(QStringLiteral("page %1 of %2").arg(page).arg(pages).toUtf8()), t.constData());
            QVERIFY2(t.contains(head), t.constData());
            QVERIFY2(t.contains("day") || t.contains("start (UTC)"), t.constData()); // a header
        }
        QProcess text;
        text.start(QStringLiteral("pdftotext"), {file, QStringLiteral("-")});
        QVERIFY(text.waitForFinished(30000));
        // Wrapped cells: compare with every run of white space as one space.
        const QString all = QString::fromUtf8(text.readAllStandardOutput()).simplified();
        for (const char *needle : {"SKU-9", "no changes arrived", "open", "95.00 %", "9 %"})
            QVERIFY2(all.contains(QLatin1String(needle)), qPrintable(QLatin1String(needle) + u'\n' + all.left(3000)));

        const QString html = out(QStringLiteral("sla.html"));
        QCOMPARE(runCli(slaArgs(QStringLiteral("html"), html)).exitCode, 0);
        QFile f(html);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray page = f.readAll();
        QVERIFY(page.contains("<script>"));
        QVERIFY(page.contains(head));
        QVERIFY(!page.contains("http://") && !page.contains("https://") && !page.contains("src="));
    }
};

QTEST_GUILESS_MAIN(TestCliReport)
#include "tst_cli_report.moc"

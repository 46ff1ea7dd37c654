#include "cli/StatusTable.h"
#include "cli/TerminalScreen.h"
#include "engine/DeskStatus.h"

#include <QRegularExpression>
#include <QTest>

using namespace syncdesk;
using syncdesk::cli::StatusTable;

namespace {

constexpr qint64 T0 = 1'780'000'000'000; // a fixed instant

DeskStatus desk()
{
    DeskStatus d;
    d.takenAtMs = T0;
    DeskStatus::Flow devices;
    devices.name = QStringLiteral("devices");
    devices.state = QStringLiteral("live");
    devices.counts[size_t(RecordStatus::InSync)] = 993'333;
    devices.counts[size_t(RecordStatus::Pending)] = 12;
    devices.counts[size_t(RecordStatus::Conflict)] = 1;
    devices.counts[size_t(RecordStatus::MissingInTarget)] = 3;
    devices.oldestPendingMs = 64'000;
    devices.lagP95Ms = 2'100;
    devices.slaMs = 300'000;
    DeskStatus::Flow portal;
    portal.name = QStringLiteral("a-flow-with-a-long-name-that-must-never-be-cut");
    portal.state = QStringLiteral("first comparison 45%");
    portal.slaMs = 60'000;
    d.flows << devices << portal;
    d.systems << DeskStatus::System{QStringLiteral("warehouse"), true, {}, QStringLiteral("logical (wal2json)"), T0 - 3'000, 0}
              << DeskStatus::System{QStringLiteral("crm"), false, QStringLiteral("connection refused"),
                                    QStringLiteral("polling (updated_at)"), 0, T0 + 2'000};
    return d;
}

StatusTable::Options options(int width, bool colour)
{
    StatusTable::Options o;
    o.width = width;
    o.colour = colour;
    o.title = QStringLiteral("ws.json");
    o.nowMs = T0;
    return o;
}

QString plain(const QString &line)
{
    static const QRegularExpression sgr(QStringLiteral("\x1b\\[[0-9;]*m"));
    return QString(line).remove(sgr);
}

} // namespace

class TestStatusTable : public QObject
{
    Q_OBJECT

private slots:
    // Given a desk, the table has a header row and one aligned row per flow and system, with
    // counts grouped by thousands and durations readable at a glance.
    void shouldRenderFlowsSystemsAndAlerts()
    {
        const QStringList lines = StatusTable::render(desk(), options(140, false));
        const QString text = lines.join(u'\n');
        QVERIFY2(text.contains(QLatin1String("FLOW")) && text.contains(QLatin1String("P95 LAG / SLA")),
                 qPrintable(text));
        const qsizetype header = lines.indexOf(QRegularExpression(QStringLiteral("^FLOW .*")));
        QVERIFY(header > 0);
        // Columns line up: "IN SYNC" ends where the number below it ends.
        const qsizetype end = lines[header].indexOf(QLatin1String("IN SYNC")) + 7;
        QCOMPARE(lines[header + 1].mid(end - 7, 7), QStringLiteral("993,333"));
        QVERIFY(lines[header + 1].contains(QLatin1String("1 m 04 s")));
        QVERIFY(lines[header + 1].contains(QLatin1String("2 s / 5 m 00 s")));
        QVERIFY(text.contains(QLatin1String("crm        retrying (in 2 s)")));
        QVERIFY(text.contains(QLatin1String("3 s ago")));
        QVERIFY(text.contains(QLatin1String("! system crm is unavailable: connection refused")));
        QVERIFY(text.contains(QLatin1String("! flow devices has 1 conflict(s) waiting for an operator")));
    }

    // Given a narrow terminal, names are never cut (a flow's name stays whole even past the
    // width); free text (alerts) is shortened with an ellipsis.
    void shouldNeverCutANameOnlyFreeText()
    {
        const QStringList lines = StatusTable::render(desk(), options(60, false));
        const QString text = lines.join(u'\n');
        QVERIFY(text.contains(QLatin1String("a-flow-with-a-long-name-that-must-never-be-cut")));
        for (const QString &line : lines) {
            if (line.startsWith(QLatin1String("  !")))
                QVERIFY2(line.size() <= 60, qPrintable(line));
        }
        QVERIFY(text.contains(u'…'));
    }

    // Given colours off (NO_COLOR, a file), no escape sequence appears; with colours, the same
    // text once the escapes are removed.
    void shouldPaintOnlyWhenAskedTo()
    {
        const QStringList bare = StatusTable::render(desk(), options(140, false));
        QVERIFY(!bare.join(u'\n').contains(u'\x1b'));
        const QStringList painted = StatusTable::render(desk(), options(140, true));
        QVERIFY(painted.join(u'\n').contains(QLatin1String("\x1b[1;31m")));
        QCOMPARE(painted.size(), bare.size());
        for (qsizetype i = 0; i < bare.size(); ++i)
            QCOMPARE(plain(painted[i]).trimmed(), bare[i].trimmed());
    }

    // Given NO_COLOR (https://no-color.org) or a dumb terminal, no colours; otherwise colours.
    void shouldFollowNoColorAndTerm()
    {
        const QByteArray noColor = qgetenv("NO_COLOR");
        const QByteArray term = qgetenv("TERM");
        qputenv("TERM", "xterm-256color");
        qunsetenv("NO_COLOR");
        QVERIFY(cli::TerminalScreen::wantsColour());
        qputenv("NO_COLOR", "1");
        QVERIFY(!cli::TerminalScreen::wantsColour());
        qunsetenv("NO_COLOR");
        qputenv("TERM", "dumb");
        QVERIFY(!cli::TerminalScreen::wantsColour());
        qputenv("TERM", term);
        if (!noColor.isNull())
            qputenv("NO_COLOR", noColor);
    }

    // Given a flow filter, only that flow's row is shown.
    void shouldFilterByFlow()
    {
        StatusTable::Options o = options(140, false);
        o.flowFilter = QStringLiteral("devices");
        const QString text = StatusTable::render(desk(), o).join(u'\n');
        QVERIFY(text.contains(QLatin1String("devices")));
        QVERIFY(!text.contains(QLatin1String("a-flow-with-a-long-name")));
    }

    // Given a snapshot read later, the header says how old it is.
    void shouldSayHowOldASnapshotIs()
    {
        StatusTable::Options o = options(140, false);
        o.nowMs = T0 + 90'000;
        QVERIFY(StatusTable::render(desk(), o).first().contains(QLatin1String("(1 m 30 s old)")));
    }

    void shouldFormatDurations_data()
    {
        QTest::addColumn<qint64>("ms");
        QTest::addColumn<QString>("text");
        QTest::newRow("ms") << qint64(850) << QStringLiteral("850 ms");
        QTest::newRow("s") << qint64(12'400) << QStringLiteral("12 s");
        QTest::newRow("m") << qint64(64'000) << QStringLiteral("1 m 04 s");
        QTest::newRow("h") << qint64(7'500'000) << QStringLiteral("2 h 05 m");
        QTest::newRow("d") << qint64(273'600'000) << QStringLiteral("3 d 04 h");
    }
    void shouldFormatDurations()
    {
        QFETCH(qint64, ms);
        QFETCH(QString, text);
        QCOMPARE(StatusTable::duration(ms), text);
    }

    // Given a desk, its JSON (what the state store keeps) reads back the same, and its health
    // is 1 while a conflict waits or a system is down, 0 when all is well.
    void shouldRoundTripThroughJsonAndTellHealth()
    {
        const DeskStatus d = desk();
        const std::optional<DeskStatus> back = DeskStatus::fromJson(d.toJson());
        QVERIFY(back.has_value());
        QCOMPARE(back->toJson(), d.toJson());
        QCOMPARE(d.health(), 1);
        DeskStatus calm = d;
        calm.flows[0].counts[size_t(RecordStatus::Conflict)] = 0;
        calm.systems[1].connected = true;
        QCOMPARE(calm.health(), 0);
        calm.flows[0].oldestPendingMs = 301'000; // past the SLA
        QCOMPARE(calm.health(), 1);
        QVERIFY(!DeskStatus::fromJson("not json").has_value());
    }
};

QTEST_GUILESS_MAIN(TestStatusTable)
#include "tst_statustable.moc"

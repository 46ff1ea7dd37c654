#include "session/FlowActivity.h"

#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using syncdesk::FlowActivity;

// The "went silent" alert: a flow far below its usual count for this hour of the week.
class TestFlowActivity : public QObject
{
    Q_OBJECT

    static constexpr qint64 Hour = 3600 * 1000;
    // A Monday 09:00 local time, so hours of the week line up whatever the zone.
    static qint64 monday9() { return QDateTime(QDate(2026, 11, 16), QTime(9, 0)).toMSecsSinceEpoch(); }

private slots:
    // Given three weeks of ~600 changes in Monday's 9 o'clock hour, when the fourth Monday
    // brings 10 by 9:30, the flow is silent; with 300 it is not; the other hours are unknown.
    void shouldFlagAFlowFarBelowItsUsualRate()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
        {
            FlowActivity a(&settings, QStringLiteral("ws"));
            for (int week = 0; week < 3; ++week) {
                const qint64 start = monday9() + week * 7 * 24 * Hour;
                for (int minute = 0; minute < 60; ++minute)
                    a.record(QStringLiteral("devices"), 10, start + minute * 60 * 1000);
                a.record(QStringLiteral("devices"), 0, start + Hour); // the hour is over
            }
        }
        FlowActivity a(&settings, QStringLiteral("ws")); // the usual counts survive a restart
        QCOMPARE(a.usualPerHour(QStringLiteral("devices"), 9), 600.0);
        const qint64 week4 = monday9() + 3 * 7 * 24 * Hour;
        a.record(QStringLiteral("devices"), 10, week4 + 60 * 1000);
        qint64 seen = 0, usual = 0;
        QVERIFY(!a.silent(QStringLiteral("devices"), week4 + 10 * 60 * 1000)); // too early to tell
        QVERIFY(a.silent(QStringLiteral("devices"), week4 + 30 * 60 * 1000, &seen, &usual));
        QCOMPARE(seen, 10);
        QCOMPARE(usual, 600);
        a.record(QStringLiteral("devices"), 290, week4 + 31 * 60 * 1000);
        QVERIFY(!a.silent(QStringLiteral("devices"), week4 + 32 * 60 * 1000));
        QVERIFY(!a.silent(QStringLiteral("devices"), week4 + 5 * Hour)); // 14:00: nothing usual known
        QVERIFY(!a.silent(QStringLiteral("listings"), week4 + 30 * 60 * 1000));
    }
};

QTEST_GUILESS_MAIN(TestFlowActivity)
#include "tst_flowactivity.moc"

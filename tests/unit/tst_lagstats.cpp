#include "engine/LagStats.h"

#include <QTest>

using namespace syncdesk;

namespace {

constexpr qint64 Minute = 60 * 1000;
constexpr qint64 Now = 1'700'000'000'000; // an arbitrary "now", ms since the epoch

} // namespace

class TestLagStats : public QObject
{
    Q_OBJECT

private slots:
    // Given no arrival, when summarised, then every figure is 0 and the SLA share is 1.
    void shouldSummariseNothingAsAllWithinSla()
    {
        const LagStats stats(1000);
        const LagStats::Summary s = stats.summary(Now, 5 * Minute);
        QCOMPARE(s.count, 0);
        QCOMPARE(s.p50, 0);
        QCOMPARE(s.p95, 0);
        QCOMPARE(s.p99, 0);
        QCOMPARE(s.max, 0);
        QCOMPARE(s.withinSla, 1.0);
        QCOMPARE(stats.totalArrivals(), 0);
        QCOMPARE(stats.totalBreaches(), 0);
    }

    void shouldComputeNearestRankQuantiles_data()
    {
        QTest::addColumn<QList<qint64>>("lags");
        QTest::addColumn<qint64>("p50");
        QTest::addColumn<qint64>("p95");
        QTest::addColumn<qint64>("p99");
        QTest::addColumn<qint64>("max");

        QList<qint64> hundred, hundredReversed, twenty, ten;
        for (qint64 i = 1; i <= 100; ++i) {
            hundred << i;
            hundredReversed.prepend(i);
        }
        for (qint64 i = 1; i <= 20; ++i)
            twenty << i * 10;
        for (qint64 i = 1; i <= 10; ++i)
            ten << i;
        QTest::newRow("1..100 ms") << hundred << qint64(50) << qint64(95) << qint64(99)
                                   << qint64(100);
        QTest::newRow("100..1 ms") << hundredReversed << qint64(50) << qint64(95) << qint64(99)
                                   << qint64(100);
        // ceil(0.95 * 20) = 19th, ceil(0.99 * 20) = 20th.
        QTest::newRow("10..200 step 10") << twenty << qint64(100) << qint64(190) << qint64(200)
                                         << qint64(200);
        // ceil(0.5 * 10) = 5th, ceil(9.5) = ceil(9.9) = 10th.
        QTest::newRow("1..10") << ten << qint64(5) << qint64(10) << qint64(10) << qint64(10);
        QTest::newRow("one sample") << QList<qint64>{42} << qint64(42) << qint64(42)
                                    << qint64(42) << qint64(42);
        // ceil(1.5) = 2nd of 3.
        QTest::newRow("three samples") << QList<qint64>{300, 100, 200} << qint64(200)
                                       << qint64(300) << qint64(300) << qint64(300);
    }

    // Given known lags arrived within the last minute, when summarised over 5 minutes, then the
    // quantiles are the nearest-rank ones (the smallest lag with at least q of them at or
    // below it).
    void shouldComputeNearestRankQuantiles()
    {
        QFETCH(QList<qint64>, lags);
        QFETCH(qint64, p50);
        QFETCH(qint64, p95);
        QFETCH(qint64, p99);
        QFETCH(qint64, max);

        LagStats stats(1'000'000);
        qint64 at = Now - lags.size();
        for (const qint64 lag : lags)
            stats.recordArrival(++at, lag);

        const LagStats::Summary s = stats.summary(Now, 5 * Minute);
        QCOMPARE(s.count, lags.size());
        QCOMPARE(s.p50, p50);
        QCOMPARE(s.p95, p95);
        QCOMPARE(s.p99, p99);
        QCOMPARE(s.max, max);
        QCOMPARE(s.withinSla, 1.0);
    }

    // Given arrivals 10 minutes and 1 minute ago, when summarised over 5 minutes and over an
    // hour, then the short window only holds the recent one and the hour holds both.
    void shouldExcludeSamplesOlderThanTheWindow()
    {
        LagStats stats(1000);
        stats.recordArrival(Now - 10 * Minute, 700);
        stats.recordArrival(Now - 1 * Minute, 200);

        const LagStats::Summary five = stats.summary(Now, 5 * Minute);
        QCOMPARE(five.count, 1);
        QCOMPARE(five.p50, 200);
        QCOMPARE(five.max, 200);

        const LagStats::Summary hour = stats.summary(Now, LagStats::HourMs);
        QCOMPARE(hour.count, 2);
        QCOMPARE(hour.p50, 200);
        QCOMPARE(hour.max, 700);
    }

    // Given an arrival exactly one window before now and one just inside, when summarised,
    // then the window is (now − window, now]: the boundary sample is out.
    void shouldTreatTheWindowAsHalfOpen()
    {
        LagStats stats(1000);
        stats.recordArrival(Now - 5 * Minute, 900);
        stats.recordArrival(Now - 5 * Minute + 1, 100);
        stats.recordArrival(Now, 50);

        const LagStats::Summary s = stats.summary(Now, 5 * Minute);
        QCOMPARE(s.count, 2);
        QCOMPARE(s.max, 100);
    }

    // Given an arrival, when another arrives an hour later, then the first is dropped even from
    // a window longer than an hour, while the totals still count it.
    void shouldDropSamplesOlderThanAnHour()
    {
        LagStats stats(100);
        stats.recordArrival(Now - LagStats::HourMs, 5000); // a breach
        stats.recordArrival(Now - LagStats::HourMs + 1, 20);
        stats.recordArrival(Now, 10);

        const LagStats::Summary s = stats.summary(Now, 2 * LagStats::HourMs);
        QCOMPARE(s.count, 2);
        QCOMPARE(s.max, 20);
        QCOMPARE(s.withinSla, 1.0);
        QCOMPARE(stats.totalArrivals(), 3);
        QCOMPARE(stats.totalBreaches(), 1);
    }

    // Given lags below, at and above a 100 ms SLA, when summarised, then the share within the
    // SLA counts "at" as within, and only lags above the SLA count as breaches.
    void shouldCountShareWithinSlaAndBreaches()
    {
        LagStats stats(100);
        stats.recordArrival(Now - 4000, 50);
        stats.recordArrival(Now - 3000, 100);
        stats.recordArrival(Now - 2000, 101);
        stats.recordArrival(Now - 1000, 5000);

        const LagStats::Summary s = stats.summary(Now, 5 * Minute);
        QCOMPARE(s.count, 4);
        QCOMPARE(s.withinSla, 0.5);
        QCOMPARE(stats.totalArrivals(), 4);
        QCOMPARE(stats.totalBreaches(), 2);

        // The share follows the window; the breach counter does not.
        const LagStats::Summary recent = stats.summary(Now, 1500);
        QCOMPARE(recent.count, 1);
        QCOMPARE(recent.withinSla, 0.0);
        QCOMPARE(stats.totalBreaches(), 2);
    }

    // Given a negative lag (clocks of two systems disagree), when recorded, then it counts as 0
    // and is neither a breach nor below the other samples.
    void shouldClampNegativeLagsToZero()
    {
        LagStats stats(100);
        stats.recordArrival(Now - 1000, -250);
        QCOMPARE(stats.summary(Now, 5 * Minute).p50, 0);
        QCOMPARE(stats.summary(Now, 5 * Minute).max, 0);
        QCOMPARE(stats.totalBreaches(), 0);

        stats.recordArrival(Now, -1'000'000);
        stats.recordArrival(Now, 30);
        const LagStats::Summary s = stats.summary(Now, 5 * Minute);
        QCOMPARE(s.count, 3);
        QCOMPARE(s.p50, 0);
        QCOMPARE(s.max, 30);
        QCOMPARE(s.withinSla, 1.0);
        QCOMPARE(stats.totalArrivals(), 3);
        QCOMPARE(stats.totalBreaches(), 0);
    }
};

QTEST_GUILESS_MAIN(TestLagStats)
#include "tst_lagstats.moc"

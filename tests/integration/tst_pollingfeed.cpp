#include "TestSqlite.h"
#include "feeds/SqlitePollingFeed.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;

// The SQLite polling feed on its own: every change reported once, whatever the updated_at
// column holds (integer seconds share a tick easily), deletes found, and marks that carry over
// a restart.
class TestPollingFeed : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;
    QString m_path;

    SystemSpec system() const
    {
        SystemSpec s;
        s.name = QStringLiteral("lite");
        s.kind = SystemKind::Sqlite;
        s.path = m_path;
        return s;
    }

    QList<SqlitePollingFeed::Table> tables() const
    {
        return {{TableRef{QString(), QStringLiteral("t")}, {QStringLiteral("k")}, QStringLiteral("u")}};
    }

    // The keys the feed reports from now until it has reported `expected` of them (or 5 s).
    static QStringList reported(QSignalSpy &spy, qsizetype expected)
    {
        QStringList keys;
        QElapsedTimer timer;
        timer.start();
        while (keys.size() < expected && timer.elapsed() < 5000) {
            if (spy.isEmpty() && !spy.wait(500))
                continue;
            while (!spy.isEmpty()) {
                const auto events = spy.takeFirst().at(0).value<QList<ChangeEvent>>();
                for (const ChangeEvent &e : events)
                    keys << e.columns.value(QStringLiteral("k")).value_or(QStringLiteral("<null>"));
            }
        }
        return keys;
    }

    // Nothing more is reported over a few polls: the feed is idle after `marker` is reported
    // (a write to another table wakes every poll, so idleness is observed, not slept on).
    static bool quietUntilMarker(QSignalSpy &spy, const QString &path)
    {
        QString error;
        if (!testsupport::sqliteExec(path, {QStringLiteral("INSERT INTO t VALUES ('zz-marker', 'm', 4000000000)")}, &error))
            return false;
        const QStringList keys = reported(spy, 1);
        return keys == QStringList{QStringLiteral("zz-marker")};
    }

    // start() and its first poll, which runs on the next pass of the event loop.
    static void startAndPoll(SqlitePollingFeed &feed)
    {
        feed.start();
        QCoreApplication::processEvents();
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("poll-%1.db").arg(++m_case));
    }

    // Given a table empty at start with an integer updated_at, when rows arrive within one
    // second (one tick of the clock) and one of them changes twice in that second, then each
    // change is reported once and a poll that finds nothing new reports nothing.
    void shouldReportEachChangeOnceWithIntegerTimes()
    {
        SQLITE_EXEC(m_path, {QStringLiteral("CREATE TABLE t (k text PRIMARY KEY, v text, u integer)")});
        qRegisterMetaType<QList<ChangeEvent>>();
        SqlitePollingFeed feed(system(), tables(), 50, nullptr);
        QSignalSpy spy(&feed, &ChangeFeed::changes);
        startAndPoll(feed);
        SQLITE_EXEC(m_path, {QStringLiteral("INSERT INTO t VALUES ('a', '1', 1000), ('b', '1', 1000)")});
        QCOMPARE(reported(spy, 2), QStringList({QStringLiteral("a"), QStringLiteral("b")}));
        SQLITE_EXEC(m_path, {QStringLiteral("UPDATE t SET v = '2' WHERE k = 'a'")}); // same second
        QCOMPARE(reported(spy, 1), QStringList{QStringLiteral("a")});
        SQLITE_EXEC(m_path, {QStringLiteral("UPDATE t SET v = '3', u = 1001 WHERE k = 'b'")});
        QCOMPARE(reported(spy, 1), QStringList{QStringLiteral("b")});
        QVERIFY(quietUntilMarker(spy, m_path)); // nothing re-reported at the mark
    }

    // Given rows deleted (no row is left to poll), they are reported, and so is a row inserted
    // without a time.
    void shouldReportDeletes()
    {
        SQLITE_EXEC(m_path, {QStringLiteral("CREATE TABLE t (k text PRIMARY KEY, v text, u integer)"),
                             QStringLiteral("INSERT INTO t VALUES ('a', '1', 10), ('b', '1', 10), ('c', '1', 10)")});
        qRegisterMetaType<QList<ChangeEvent>>();
        SqlitePollingFeed feed(system(), tables(), 50, nullptr);
        QSignalSpy spy(&feed, &ChangeFeed::changes);
        startAndPoll(feed);
        SQLITE_EXEC(m_path, {QStringLiteral("DELETE FROM t WHERE k IN ('a', 'c')")});
        QStringList gone = reported(spy, 2);
        gone.sort();
        QCOMPARE(gone, QStringList({QStringLiteral("a"), QStringLiteral("c")}));
        SQLITE_EXEC(m_path, {QStringLiteral("INSERT INTO t VALUES ('d', '1', NULL)")});
        QCOMPARE(reported(spy, 1), QStringList{QStringLiteral("d")});
    }

    // Given a feed stopped after reporting, when a new one resumes from its position, then
    // changes made meanwhile are reported (with their own times) and nothing twice.
    void shouldResumeFromItsPosition()
    {
        SQLITE_EXEC(m_path, {QStringLiteral("CREATE TABLE t (k text PRIMARY KEY, v text, u text)"),
                             QStringLiteral("INSERT INTO t VALUES ('a', '1', '2026-01-01T00:00:00.000Z')")});
        qRegisterMetaType<QList<ChangeEvent>>();
        QString position;
        {
            SqlitePollingFeed feed(system(), tables(), 50, nullptr);
            QSignalSpy spy(&feed, &ChangeFeed::changes);
            startAndPoll(feed);
            SQLITE_EXEC(m_path, {QStringLiteral("UPDATE t SET v = '2', u = '2026-01-01T00:00:01.000Z' WHERE k = 'a'")});
            QVERIFY(spy.wait(5000));
            position = spy.takeFirst().at(1).toString();
            QVERIFY2(position.contains(QLatin1String("2026-01-01T00:00:01.000Z")), qPrintable(position));
        }
        SQLITE_EXEC(m_path, {QStringLiteral("INSERT INTO t VALUES ('b', '1', '2026-01-01T00:00:02.000Z')")});
        SqlitePollingFeed again(system(), tables(), 50, nullptr);
        QSignalSpy spy(&again, &ChangeFeed::changes);
        again.resume(position);
        startAndPoll(again); // its first poll reports what happened meanwhile
        QVERIFY(!spy.isEmpty() || spy.wait(5000));
        const auto events = spy.takeFirst().at(0).value<QList<ChangeEvent>>();
        QCOMPARE(events.size(), 1); // b, made while stopped; not a again
        QCOMPARE(events.first().columns.value(QStringLiteral("k")), std::optional(QStringLiteral("b")));
        QCOMPARE(events.first().commitMs, QDateTime::fromString(QStringLiteral("2026-01-01T00:00:02.000Z"),
                                                                Qt::ISODateWithMs).toMSecsSinceEpoch());
    }
};

QTEST_GUILESS_MAIN(TestPollingFeed)
#include "tst_pollingfeed.moc"

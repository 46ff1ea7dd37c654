#include "WatchFixture.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using testsupport::WatchProcess;

// Tracer probes as an operator uses them: `watch` writes a token into the source's probe table
// every interval; a pipeline (here a trigger, then a person copying by hand) carries it to the
// target's probe table; its arrival is timed, reported and served as a metric; a pipeline that
// stops is alerted within two intervals, and recovers by itself; on PostgreSQL and SQLite.
class TestProbe : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;

    // Where the statements of the current row run: a PostgreSQL database or an SQLite file.
    struct System
    {
        bool postgres = false;
        QString conninfo;
        QString path;
        bool exec(const QStringList &statements, QString *error) const
        {
            if (postgres)
                return testsupport::pgExec(conninfo, statements.join(QStringLiteral(";\n")), error);
            return testsupport::sqliteExec(path, statements, error);
        }
    };

    static QStringList pipelineOn(bool postgres)
    {
        if (postgres)
            return {QStringLiteral("CREATE OR REPLACE FUNCTION pipe() RETURNS trigger LANGUAGE plpgsql AS $$ "
                                   "BEGIN INSERT INTO probe_dst VALUES (NEW.id, NEW.token, NEW.sent_at_ms) "
                                   "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, "
                                   "sent_at_ms = EXCLUDED.sent_at_ms; RETURN NEW; END $$"),
                    QStringLiteral("CREATE TRIGGER pipe AFTER INSERT OR UPDATE ON probe_src FOR EACH ROW "
                                   "EXECUTE FUNCTION pipe()")};
        // SQLite lets the outer statement's conflict handling override a trigger's own.
        return {QStringLiteral("CREATE TRIGGER pipe_i AFTER INSERT ON probe_src BEGIN DELETE FROM probe_dst "
                               "WHERE id = new.id; INSERT INTO probe_dst VALUES (new.id, new.token, "
                               "new.sent_at_ms); END"),
                QStringLiteral("CREATE TRIGGER pipe_u AFTER UPDATE ON probe_src BEGIN DELETE FROM probe_dst "
                               "WHERE id = new.id; INSERT INTO probe_dst VALUES (new.id, new.token, "
                               "new.sent_at_ms); END")};
    }
    static QStringList pipelineOff(bool postgres)
    {
        if (postgres)
            return {QStringLiteral("DROP TRIGGER pipe ON probe_src")};
        return {QStringLiteral("DROP TRIGGER pipe_i"), QStringLiteral("DROP TRIGGER pipe_u")};
    }

    static qint64 tsMs(const QJsonObject &event)
    {
        return QDateTime::fromString(event.value(u"ts").toString(), Qt::ISODateWithMs).toMSecsSinceEpoch();
    }

private slots:
    void shouldTimeTheProbeAndAlertAStalledPipeline_data()
    {
        QTest::addColumn<bool>("postgres");
        QTest::newRow("postgres") << true;
        QTest::newRow("sqlite") << false;
    }

    void shouldTimeTheProbeAndAlertAStalledPipeline()
    {
        QFETCH(bool, postgres);
        QString error;
        System system;
        system.postgres = postgres;
        const QString name = QStringLiteral("probe%1").arg(++m_case);
        if (postgres) {
            QVERIFY2(testsupport::createDatabase(name, &system.conninfo, &error), qPrintable(error));
        } else {
            system.path = QDir(m_dir.path()).absoluteFilePath(name + QStringLiteral(".db"));
        }
        const QString probeDdl = QStringLiteral("(id text PRIMARY KEY, token text NOT NULL, sent_at_ms bigint NOT NULL)");
        QVERIFY2(system.exec(QStringList{QStringLiteral("CREATE TABLE items (k text PRIMARY KEY, v text)"),
                                         QStringLiteral("CREATE TABLE items2 (k text PRIMARY KEY, v text)"),
                                         QStringLiteral("INSERT INTO items VALUES ('a', '1')"),
                                         QStringLiteral("INSERT INTO items2 VALUES ('a', '1')"),
                                         QStringLiteral("CREATE TABLE probe_src ") + probeDdl,
                                         QStringLiteral("CREATE TABLE probe_dst ") + probeDdl}
                                 + pipelineOn(postgres),
                             &error),
                 qPrintable(error));
        const QByteArray systemJson =
            postgres ? "{\"name\": \"s\", \"kind\": \"postgres\", \"feed\": \"rescan\", \"conninfo\": \""
                           + system.conninfo.toUtf8() + "\"}"
                     : "{\"name\": \"s\", \"kind\": \"sqlite\", \"path\": \"" + system.path.toUtf8() + "\"}";
        constexpr int intervalS = 2;
        const QString ws = testsupport::writeFile(
            QDir(m_dir.path()), name + QStringLiteral(".json"),
            "{\"version\": 1, \"systems\": [" + systemJson
                + "], \"flows\": [{\"name\": \"f\", \"source\": {\"system\": \"s\", \"table\": \"items\"}, "
                  "\"target\": {\"system\": \"s\", \"table\": \"items2\"}, \"key\": [\"k\"], \"fields\": [\"v\"], "
                  "\"probe\": {\"table\": \"probe_src\", \"target_table\": \"probe_dst\", \"id\": \"desk-1\", "
                  "\"interval_seconds\": " + QByteArray::number(intervalS) + "}}]}");

        WatchProcess watch;
        watch.start(ws, {QStringLiteral("--metrics"), QStringLiteral("127.0.0.1:0")});
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        auto probe = [](const QJsonObject &o) { return o.value(u"event").toString() == u"probe"; };

        // 1. The pipeline carries the probe: its trip is timed, said once, and served.
        const std::optional<QJsonObject> first = watch.waitFor(probe, 10000);
        QVERIFY2(first, qPrintable(watch.transcript()));
        QVERIFY(first->value(u"lag_ms").toInteger(-1) >= 0);
        QVERIFY(first->value(u"lag_ms").toInteger() < 1000); // a trigger: at the next read
        QVERIFY(watch.waitForErr(QStringLiteral("flow 'f': first probe arrived after"), 5000));
        QVERIFY2(watch.errLine(QStringLiteral("tracer probe every 2 s: INSERT INTO \"probe_src\"")).size() > 0,
                 qPrintable(watch.transcript()));
        const QByteArray page = watch.metrics();
        QVERIFY2(QRegularExpression(QStringLiteral("syncdesk_probe_lag_seconds\\{flow=\"f\"\\} \\d+\\.\\d{3}"))
                     .match(QString::fromUtf8(page)).hasMatch(),
                 page.constData());
        QVERIFY2(page.contains("syncdesk_probe_stalled{flow=\"f\"} 0"), page.constData());
        // Probe rows are not business records: the flow still has its one record, in sync.
        QVERIFY2(page.contains("syncdesk_records{flow=\"f\",status=\"in_sync\"} 1"), page.constData());

        // 2. The pipeline stops: alerted within two intervals of the stop, though no business
        // data moves.
        QVERIFY2(system.exec(pipelineOff(postgres), &error), qPrintable(error));
        const qint64 stoppedMs = QDateTime::currentMSecsSinceEpoch();
        const std::optional<QJsonObject> stall = watch.waitFor(
            [](const QJsonObject &o) { return o.value(u"event").toString() == u"pipeline_stalled"; }, 15000);
        QVERIFY2(stall, qPrintable(watch.transcript()));
        const qint64 alertedAfter = tsMs(*stall) - stoppedMs;
        QVERIFY2(alertedAfter <= 2 * intervalS * 1000 + 500, qPrintable(QString::number(alertedAfter)));
        QVERIFY(watch.waitForErr(QStringLiteral("flow 'f': pipeline stalled: the tracer probe has not arrived after"), 5000));
        QTRY_VERIFY_WITH_TIMEOUT(watch.metrics().contains("syncdesk_probe_stalled{flow=\"f\"} 1"), 5000);

        // 3. Someone catches the pipeline up by hand and starts it again (in one go: a pipeline
        // left stopped longer stalls again, rightly): the copy is reported within a second of
        // its arrival, with the trip it made.
        QVERIFY2(system.exec(QStringList{QStringLiteral("DELETE FROM probe_dst"),
                                         QStringLiteral("INSERT INTO probe_dst SELECT id, token, sent_at_ms FROM probe_src")}
                                 + pipelineOn(postgres),
                             &error),
                 qPrintable(error));
        const qint64 copiedMs = QDateTime::currentMSecsSinceEpoch();
        const std::optional<QJsonObject> late = watch.waitFor(probe, 10000);
        QVERIFY2(late, qPrintable(watch.transcript()));
        QVERIFY2(tsMs(*late) - copiedMs <= 1000, qPrintable(QString::number(tsMs(*late) - copiedMs)));
        QVERIFY2(late->value(u"lag_ms").toInteger() >= 0, qPrintable(watch.transcript()));
        QVERIFY(watch.waitForErr(QStringLiteral("flow 'f': pipeline moving again"), 5000));

        // 4. The pipeline back: probes flow again, the alert stays cleared.
        const qsizetype before = watch.eventCount();
        QVERIFY2(watch.waitFor(probe, 10000), qPrintable(watch.transcript()));
        QTRY_VERIFY_WITH_TIMEOUT(watch.metrics().contains("syncdesk_probe_stalled{flow=\"f\"} 0"), 5000);
        QVERIFY(watch.eventCount() > before);
        QCOMPARE(watch.errCount(QStringLiteral("pipeline stalled")), 1);
        QCOMPARE(watch.stop(), 0);
    }

    // Given a probe table that is missing at the target (the source's is written), when watched,
    // then one line says so (retried), no stall is claimed (nothing is known of the target), the
    // flow itself works, and nothing crashes.
    void shouldReportAProbeThatCannotBeWritten()
    {
        QString error;
        const QString path = QDir(m_dir.path()).absoluteFilePath(QStringLiteral("noprobe.db"));
        QVERIFY2(testsupport::sqliteExec(path, {QStringLiteral("CREATE TABLE items (k text PRIMARY KEY, v text)"),
                                                QStringLiteral("CREATE TABLE items2 (k text PRIMARY KEY, v text)"),
                                                QStringLiteral("CREATE TABLE probe_src (id text PRIMARY KEY, token text NOT NULL, "
                                                               "sent_at_ms bigint NOT NULL)")},
                                         &error),
                 qPrintable(error));
        const QString ws = testsupport::writeFile(
            QDir(m_dir.path()), QStringLiteral("noprobe.json"),
            "{\"version\": 1, \"systems\": [{\"name\": \"s\", \"kind\": \"sqlite\", \"path\": \"" + path.toUtf8()
                + "\"}], \"flows\": [{\"name\": \"f\", \"source\": {\"system\": \"s\", \"table\": \"items\"}, "
                  "\"target\": {\"system\": \"s\", \"table\": \"items2\"}, \"key\": [\"k\"], \"fields\": [\"v\"], "
                  "\"probe\": {\"table\": \"probe_src\", \"target_table\": \"probe_gone\", "
                  "\"interval_seconds\": 1}}]}");
        WatchProcess watch;
        watch.start(ws);
        const std::optional<QJsonObject> e = watch.waitFor(
            [](const QJsonObject &o) { return o.value(u"event").toString() == u"probe_error"; }, 10000);
        QVERIFY2(e, qPrintable(watch.transcript()));
        QVERIFY2(e->value(u"error").toString().contains(QLatin1String("probe table probe_gone")),
                 qPrintable(watch.transcript()));
        QVERIFY(watch.waitForErr(QStringLiteral("tracer probe: system 's' (sqlite), probe table probe_gone"), 5000));
        // The flow itself is live. Its ready line may come before the probe's error (which
        // waitFor above has already read past) or after it.
        const auto ready = [](const QJsonObject &o) { return o.value(u"event").toString() == u"ready"; };
        QVERIFY2(watch.saw(ready) || watch.waitFor(ready), qPrintable(watch.transcript()));
        // Once per incident, not per retry.
        watch.observe(2500); // tokens written meanwhile are older than stall_after_seconds
        QCOMPARE(watch.errCount(QStringLiteral("tracer probe: ")), 1);
        QVERIFY2(!watch.saw([](const QJsonObject &o) { return o.value(u"event").toString() == u"pipeline_stalled"; }),
                 qPrintable(watch.transcript()));
        QCOMPARE(watch.stop(), 0);
    }
};

QTEST_GUILESS_MAIN(TestProbe)
#include "tst_probe.moc"

#include "TestSeed.h"
#include "PgSession.h"
#include "TestPostgres.h"
#include "TwoSystems.h"
#include "engine/DiffResult.h"
#include "engine/LiveFlow.h"
#include "engine/Reconciler.h"
#include "feeds/PgLogicalFeed.h"
#include "state/StateStore.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace syncdesk;
using testsupport::TestSystem;

// The logical feed's row images stand in for reading the rows they carry: the live engine
// reads only the side that did not report the change. An image must therefore encode exactly
// as a read of the same row (every type, NULL, padding, bytes, special numbers), must not be
// used when a column is missing from it (an unchanged TOAST value), and must never undo a
// read that already saw a later commit.
class TestRowImage : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    TestSystem m_source;
    TestSystem m_target;
    Workspace m_ws;
    QString m_slot = QStringLiteral("syncdesk_rowimage_test");
    std::unique_ptr<PgLogicalFeed> m_feed;
    QList<ChangeEvent> m_events; // every change the feed delivered, in order
    int m_deliveries = 0;        // changes() signals received

    static QStringList fields()
    {
        return {QStringLiteral("i4"), QStringLiteral("n"),  QStringLiteral("n2"), QStringLiteral("f8"),
                QStringLiteral("f4"), QStringLiteral("t"),  QStringLiteral("vc"), QStringLiteral("c6"),
                QStringLiteral("b"),  QStringLiteral("tz"), QStringLiteral("ts"), QStringLiteral("d"),
                QStringLiteral("iv"), QStringLiteral("u"),  QStringLiteral("jb"), QStringLiteral("js"),
                QStringLiteral("by"), QStringLiteral("ai"), QStringLiteral("at"), QStringLiteral("big")};
    }

    // One random value per column, edge cases often.
    static QString randomRow(QRandomGenerator &rng, qint64 id)
    {
        const auto pick = [&rng](const QStringList &options) {
            return options[int(rng.bounded(options.size()))];
        };
        // A NULL, NaN or infinite float or numeric leaves the row to a read (wal2json writes them
        // all as null): one field in ten is one, so most rows are images to check, and with four
        // such fields about a third of the rows still cover the read path.
        const auto number = [&rng, &pick](const QStringList &finite, QStringList special) {
            special.append(QStringLiteral("NULL"));
            return pick(rng.bounded(10) == 0 ? special : finite);
        };
        QStringList v;
        v << QString::number(id);
        v << pick({QStringLiteral("NULL"), QStringLiteral("0"), QStringLiteral("-2147483648"),
                   QString::number(rng.bounded(1000000))});
        v << number({QStringLiteral("1.50"), QStringLiteral("-0.000"),
                     QStringLiteral("123456789012345678901234567890.123456789012345678901234567890"),
                     QStringLiteral("1e-30")},
                    {QStringLiteral("'NaN'"), QStringLiteral("'Infinity'"), QStringLiteral("'-Infinity'")});
        v << number({QStringLiteral("12.3400"), QStringLiteral("-0.0001"),
                     QString::number(rng.bounded(100000)) + QStringLiteral(".5")},
                    {});
        v << number({QStringLiteral("'-0'"), QStringLiteral("1e-300"), QStringLiteral("0.1"),
                     QStringLiteral("1.7976931348623157e308"), QString::number(rng.generateDouble(), 'g', 17)},
                    {QStringLiteral("'NaN'"), QStringLiteral("'-Infinity'")});
        v << number({QStringLiteral("0.1"), QStringLiteral("3.4028235e38")}, {QStringLiteral("'Infinity'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("''"), QStringLiteral("'NULL'"),
                   QStringLiteral("E'quote '' dq \" bs \\\\ nl \\n tab \\t u \\u00e9\\u4e2d \\U0001F600'"),
                   QStringLiteral("'  padded  '")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("''"), QStringLiteral("'vc ") + QString::number(id) + u'\''});
        v << pick({QStringLiteral("NULL"), QStringLiteral("''"), QStringLiteral("'ab'"), QStringLiteral("'abcdef'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("true"), QStringLiteral("false")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'2024-03-10 01:59:59.123456-08'"),
                   QStringLiteral("'infinity'"), QStringLiteral("'1999-12-31 23:59:59+14'"),
                   QStringLiteral("'0044-03-15 12:00:00 BC'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'2024-02-29 12:00:00.5'"), QStringLiteral("'-infinity'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'2024-02-29'"), QStringLiteral("'4713-01-01 BC'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'1 year 2 mons 3 days 04:05:06.7'"),
                   QStringLiteral("'-1 day'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'{\"b\": [1, 2.50, null], \"a\": \"x\\\"y\"}'"),
                   QStringLiteral("'null'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'{ \"spaced\" :  1.0 }'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("''::bytea"), QStringLiteral("'\\x00ff10'::bytea"),
                   QStringLiteral("convert_to('caf\u00e9', 'UTF8')")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'{}'"), QStringLiteral("'{1,NULL,-3}'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'{\"a b\",\"c,d\",\"e\\\"f\",NULL}'")});
        v << pick({QStringLiteral("NULL"), QStringLiteral("'short'")});
        return u'(' + v.join(QStringLiteral(", ")) + u')';
    }

    // The feed's events of `table` for `id`, in order.
    QList<ChangeEvent> eventsFor(qint64 id) const
    {
        QList<ChangeEvent> out;
        for (const ChangeEvent &e : m_events)
            if (e.columns.value(QStringLiteral("id")) == QString::number(id))
                out.append(e);
        return out;
    }

    // Both tables hold record `id` alone, in agreement; `live` has compared and loaded them
    // (its state store at `statePath`) and is open.
    void startAgreed(int id, LiveFlow &live, std::unique_ptr<StateStore> &store, const QString &statePath)
    {
        PG_EXEC(m_source.conninfo, QStringLiteral("DELETE FROM items"));
        PG_EXEC(m_target.conninfo, QStringLiteral("DELETE FROM items"));
        const QString base =
            QStringLiteral("INSERT INTO items (id, t, n, n2, f8, f4) VALUES (%1, 'base', 1, 1, 1, 1)").arg(id);
        PG_EXEC(m_source.conninfo, base);
        PG_EXEC(m_target.conninfo, base);
        Workspace stateWs;
        stateWs.state = statePath;
        store = StateStore::open(stateWs);
        RecordTable scanned;
        (void)LiveFlow::compare(m_ws, m_ws.flows.first(), scanned, {});
        QList<StatusEvent> events;
        StateChanges changes;
        live.load(std::move(scanned), *store, 1000, events, changes);
        live.open();
    }

    void startFeed()
    {
        m_feed = std::make_unique<PgLogicalFeed>(m_source.spec(QStringLiteral("src")), m_slot,
                                                 QList<TableRef>{{QStringLiteral("public"), QStringLiteral("items")}},
                                                 nullptr);
        connect(m_feed.get(), &ChangeFeed::changes, this,
                [this](const QList<ChangeEvent> &events, const QString &position) {
                    m_events.append(events);
                    ++m_deliveries;
                    m_feed->confirm(position);
                });
        m_feed->start();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("pg->pg"), QStringLiteral("rowimage"), m_dir.path(),
                                          &m_source, &m_target, &error),
                 qPrintable(error));
        const QString table = QStringLiteral(
            "CREATE TABLE items (id bigint PRIMARY KEY, i4 integer, n numeric, n2 numeric(20,4), "
            "f8 double precision, f4 real, t text, vc varchar(40), c6 character(6), b boolean, "
            "tz timestamptz, ts timestamp, d date, iv interval, u uuid, jb jsonb, js json, by bytea, "
            "ai integer[], at text[], big text)");
        QVERIFY2(m_source.exec({table}, &error), qPrintable(error));
        QVERIFY2(m_target.exec({table}, &error), qPrintable(error));
        m_ws = testsupport::makeWorkspace(m_source, m_target, QStringLiteral("items"), {QStringLiteral("id")},
                                          fields());
        testsupport::pgExec(m_source.conninfo,
                            QStringLiteral("SELECT pg_drop_replication_slot('%1') FROM pg_replication_slots "
                                           "WHERE slot_name = '%1'").arg(m_slot),
                            &error);
        startFeed();
        QTRY_VERIFY_WITH_TIMEOUT(m_feed->isConnected(), 10000);
    }

    void cleanupTestCase()
    {
        m_feed.reset();
        QString error;
        testsupport::pgExec(m_source.conninfo,
                            QStringLiteral("SELECT pg_drop_replication_slot('%1') FROM pg_replication_slots "
                                           "WHERE slot_name = '%1'").arg(m_slot),
                            &error);
    }

    // What one wake-up of the feed reads goes to the engine as one batch: the engine applies
    // it at once (LiveEngine::onFeedChanges), so it must not be a transaction at a time.
    void shouldHandOverAWakeUpsTransactionsAsOneBatch()
    {
        QString error;
        QTRY_VERIFY_WITH_TIMEOUT(m_feed->isConnected(), 10000);
        // Hold the event loop while the server sends eight transactions (one query string runs
        // as one transaction unless its blocks say otherwise): they wait on the socket, a few
        // kilobytes that one read of libpq's 16 KiB buffer takes in at the next wake-up.
        constexpr int Transactions = 8;
        QString script;
        for (int id = 1; id <= Transactions; ++id)
            script += QStringLiteral("BEGIN; INSERT INTO items (id) VALUES (%1); COMMIT;\n").arg(500000 + id);
        QVERIFY2(testsupport::pgExec(m_source.conninfo, script, &error), qPrintable(error));
        const QString end = testsupport::pgValue(m_source.conninfo, QStringLiteral("SELECT pg_current_wal_lsn()"), &error);
        QVERIFY2(!end.isEmpty(), qPrintable(error));
        const QString sent = QStringLiteral(
            "SELECT r.sent_lsn >= '%1' FROM pg_replication_slots s JOIN pg_stat_replication r "
            "ON r.pid = s.active_pid WHERE s.slot_name = '%2'").arg(end, m_slot);
        QElapsedTimer waited;
        waited.start();
        while (testsupport::pgValue(m_source.conninfo, sent, &error) != u"t") {
            QVERIFY2(waited.elapsed() < 15000, qPrintable(QStringLiteral("the server did not send the commits: ") + error));
            QThread::msleep(20); // polls the server's own progress; the feed's loop stays held
        }
        const int before = m_deliveries;
        const qsizetype eventsBefore = m_events.size();
        QTRY_VERIFY_WITH_TIMEOUT(!eventsFor(500000 + Transactions).isEmpty(), 15000);
        QCOMPARE(m_events.size() - eventsBefore, qsizetype(Transactions));
        QCOMPARE(m_deliveries - before, 1);
    }

    // Randomized: rows inserted, updated and deleted one transaction each; every last image of
    // a row encodes as the read of it does (key, hash and every field's canonical text).
    void imagesEncodeAsReads()
    {
        const quint32 seed = testsupport::seedFrom("SYNCDESK_ROWIMAGE_SEED");
        qInfo("seed %u (SYNCDESK_ROWIMAGE_SEED repeats it)", seed);
        QRandomGenerator rng(seed);
        LiveFlow flow(m_ws, m_ws.flows.first());
        flow.open();
        FlowSides &sides = flow.sides();
        testsupport::PgSession session;
        QString error;
        QVERIFY2(session.open(m_source.conninfo, &error), qPrintable(error));
        constexpr int Rows = 200;
        QString script;
        for (int id = 1; id <= Rows; ++id)
            script += QStringLiteral("INSERT INTO items VALUES %1;\n").arg(randomRow(rng, id));
        QVERIFY2(session.exec(script, &error), qPrintable(error));
        script.clear();
        for (int round = 0; round < Rows; ++round) {
            const qint64 id = 1 + rng.bounded(Rows);
            switch (rng.bounded(4)) {
            case 0:
                script += QStringLiteral("DELETE FROM items WHERE id = %1;\n").arg(id);
                break;
            case 1: // the key moves: the old one is gone
                script += QStringLiteral("UPDATE items SET id = id + %1 WHERE id = %2;\n")
                              .arg(1000 * (round + 1)).arg(id);
                break;
            default: // the whole row again (an update of every column)
                script += QStringLiteral("DELETE FROM items WHERE id = %1; INSERT INTO items VALUES %2;\n")
                              .arg(id).arg(randomRow(rng, id));
            }
        }
        // A last row as a marker: once it is reported, everything before it is.
        script += QStringLiteral("INSERT INTO items (id) VALUES (999999);\n");
        QVERIFY2(session.exec(script, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!eventsFor(999999).isEmpty(), 15000);
        QList<KeyText> keys;
        QSet<QString> seen;
        for (const ChangeEvent &e : std::as_const(m_events)) {
            const QString id = e.columns.value(QStringLiteral("id")).value_or(QString());
            if (!seen.contains(id)) {
                seen.insert(id);
                keys.append(KeyText{id});
            }
        }
        const auto rows = sides.fetch(keys);
        int rowImages = 0, absent = 0, ambiguous = 0;
        for (const KeyText &key : keys) {
            const QList<ChangeEvent> events = eventsFor(key.first()->toLongLong());
            const ChangeEvent &e = events.last();
            const QByteArray keyJson = sides.keyJson(key);
            const auto read = rows[0].constFind(keyJson);
            const std::optional<KeyChange> c = flow.keyChange(true, e);
            QVERIFY(c);
            if (c->image == RowImage::Absent) {
                QVERIFY2(read == rows[0].constEnd(), qPrintable(QString::fromUtf8(keyJson + " is read, image absent")));
                ++absent;
                continue;
            }
            QVERIFY2(read != rows[0].constEnd(), qPrintable(QString::fromUtf8(keyJson + " not read, image a row")));
            if (c->image == RowImage::None) {
                // Only where wal2json wrote null for a float or numeric: NULL, or NaN or
                // ±Infinity, which it writes the same way.
                bool special = false;
                for (const QString &f : {QStringLiteral("n"), QStringLiteral("n2"), QStringLiteral("f8"),
                                         QStringLiteral("f4")})
                    special = special || !e.columns.value(f);
                QVERIFY2(special, qPrintable(QString::fromUtf8(keyJson + " has no image")));
                ++ambiguous;
                continue;
            }
            const std::optional<EncodedRow> image = sides.encodeImage(true, key, c->fields);
            QVERIFY(image);
            QCOMPARE(image->keyJson, read->keyJson);
            for (qsizetype f = 0; f < fields().size(); ++f)
                QVERIFY2(image->fields.value(f) == read->fields.value(f),
                         qPrintable(QStringLiteral("%1 field %2: image %3, read %4")
                                        .arg(QString::fromUtf8(keyJson), fields()[f],
                                             QString::fromUtf8(image->fields.value(f).value_or("NULL")),
                                             QString::fromUtf8(read->fields.value(f).value_or("NULL")))));
            QCOMPARE(image->hash, read->hash);
            ++rowImages;
        }
        qInfo("%d images checked, %d deletes, %d left to a read (NaN or infinity)", rowImages, absent, ambiguous);
        QVERIFY2(rowImages > 20 && absent > 5 && ambiguous > 0,
                 qPrintable(QStringLiteral("%1 rows, %2 absent, %3 ambiguous").arg(rowImages).arg(absent).arg(ambiguous)));
    }

    // An update that leaves a TOAST value as it was leaves it out of the stream: no image.
    void toastLeftOutMeansNoImage()
    {
        LiveFlow flow(m_ws, m_ws.flows.first());
        flow.open();
        QString error;
        // Incompressible, well past the TOAST threshold.
        PG_EXEC(m_source.conninfo,
                QStringLiteral("INSERT INTO items (id, n, n2, f8, f4, big) SELECT 5000, 0, 0, 0, 0, string_agg(md5(g::text), '') "
                               "FROM generate_series(1, 2000) g"));
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET i4 = 7 WHERE id = 5000"));
        QTRY_VERIFY_WITH_TIMEOUT(eventsFor(5000).size() >= 2, 15000);
        const QList<ChangeEvent> events = eventsFor(5000);
        const std::optional<KeyChange> inserted = flow.keyChange(true, events.first());
        QVERIFY(inserted);
        QCOMPARE(inserted->image, RowImage::Row);
        QVERIFY(!events.last().columns.contains(QStringLiteral("big")));
        const std::optional<KeyChange> updated = flow.keyChange(true, events.last());
        QVERIFY(updated);
        QCOMPARE(updated->image, RowImage::None);
        QCOMPARE(updated->key, KeyText{QStringLiteral("5000")});
    }

    // Images are trusted only past every read of their side: an older commit's image, coming
    // after a read that saw a later one, is read again instead of undoing what was read; a
    // newer one stands in for the read (which would see a later commit still).
    void olderImagesNeverUndoReads()
    {
        QTemporaryDir stateDir;
        std::unique_ptr<StateStore> store;
        LiveFlow live(m_ws, m_ws.flows.first());
        startAgreed(1, live, store, stateDir.filePath(QStringLiteral("state.db")));
        if (QTest::currentTestFailed())
            return;
        QList<StatusEvent> events;
        StateChanges changes;
        const QByteArray key1 = "[1]";
        const RowHash agreed = live.state(key1)->source;
        // From here on, only this test's changes.
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(m_events.cbegin(), m_events.cend(), [](const ChangeEvent &e) {
                                     return e.columns.value(QStringLiteral("t")) == QStringLiteral("base");
                                 }),
                                 15000);
        m_events.clear();

        // The feed's event that set record 1's t to `value` (a delete: nullopt), once it came.
        const auto eventSetting = [this](const std::optional<QString> &value) -> std::optional<ChangeEvent> {
            for (const ChangeEvent &e : std::as_const(m_events)) {
                if (e.columns.value(QStringLiteral("id")) != QStringLiteral("1"))
                    continue;
                if (value ? e.columns.value(QStringLiteral("t")) == value : e.image == RowImage::Absent)
                    return e;
            }
            return std::nullopt;
        };
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET t = 'A' WHERE id = 1"));
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET t = 'B' WHERE id = 1"));
        QTRY_VERIFY_WITH_TIMEOUT(eventSetting(QStringLiteral("B")), 15000);
        const ChangeEvent toA = *eventSetting(QStringLiteral("A"));
        const ChangeEvent toB = *eventSetting(QStringLiteral("B"));
        const auto hashOf = [&live](const ChangeEvent &e) {
            const std::optional<KeyChange> c = live.keyChange(true, e);
            return RowHash(live.sides().encodeImage(true, c->key, c->fields)->hash);
        };

        // Right after the comparison nothing is trusted: the image of A is read past, to B.
        QList<KeyChange> later;
        live.apply({*live.keyChange(true, toA)}, 2000, events, changes, &later);
        QCOMPARE(live.state(key1)->source, hashOf(toB));
        QVERIFY(live.state(key1)->source != agreed);
        QCOMPARE(live.status(key1), RecordStatus::Pending);

        // A's image again (a replay), after reads that saw B: still read, never undone to A.
        events.clear();
        live.apply({*live.keyChange(true, toA)}, 3000, events, changes, &later);
        QCOMPARE(live.state(key1)->source, hashOf(toB));
        QVERIFY2(events.isEmpty(), "a status changed on an older image");

        // C committed after those reads; D after C. C's image stands in for a read (which
        // would show D): the image is used, and D comes with its own change.
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET t = 'C' WHERE id = 1"));
        QTRY_VERIFY_WITH_TIMEOUT(eventSetting(QStringLiteral("C")), 15000);
        const ChangeEvent toC = *eventSetting(QStringLiteral("C"));
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET t = 'D' WHERE id = 1"));
        QTRY_VERIFY_WITH_TIMEOUT(eventSetting(QStringLiteral("D")), 15000);
        const ChangeEvent toD = *eventSetting(QStringLiteral("D"));
        const std::optional<KeyChange> c = live.keyChange(true, toC);
        QCOMPARE(c->image, RowImage::Row);
        live.apply({*c}, 4000, events, changes, &later);
        QCOMPARE(live.state(key1)->source, hashOf(toC));
        live.apply({*live.keyChange(true, toD)}, 5000, events, changes, &later);
        QCOMPARE(live.state(key1)->source, hashOf(toD));

        // The target catches up to D: in sync, read from the target (no image there).
        PG_EXEC(m_target.conninfo, QStringLiteral("UPDATE items SET t = 'D' WHERE id = 1"));
        later.clear(); // the replay of A read back as it was: read again later, as any replay
        live.apply({KeyChange(ChangeSide::Target, KeyText{QStringLiteral("1")}, 6000)}, 6000, events,
                   changes, &later);
        QCOMPARE(live.status(key1), RecordStatus::InSync);
        QVERIFY(later.isEmpty());

        // A delete's image: gone from the source, without a read.
        PG_EXEC(m_source.conninfo, QStringLiteral("DELETE FROM items WHERE id = 1"));
        QTRY_VERIFY_WITH_TIMEOUT(eventSetting(std::nullopt), 15000);
        const std::optional<KeyChange> gone = live.keyChange(true, *eventSetting(std::nullopt));
        QCOMPARE(gone->image, RowImage::Absent);
        live.apply({*gone}, 7000, events, changes, &later);
        QVERIFY(!live.state(key1)->source);
        QCOMPARE(live.status(key1), RecordStatus::Pending);
    }

    // An image that fell behind the other side's read (the source moved twice, the second
    // value already copied over) is read afresh before it could make a false conflict; one
    // whose side alone moved from the agreement is used as it is.
    void staleImagesNeverMakeConflicts()
    {
        QTemporaryDir stateDir;
        std::unique_ptr<StateStore> store;
        LiveFlow live(m_ws, m_ws.flows.first());
        startAgreed(2, live, store, stateDir.filePath(QStringLiteral("state.db")));
        if (QTest::currentTestFailed())
            return;
        QList<StatusEvent> events;
        StateChanges changes;
        const QByteArray key2 = "[2]";
        const KeyText key{QStringLiteral("2")};
        // A read of both sides: from here on, the source's later commits are trusted.
        QList<KeyChange> later;
        live.apply({KeyChange(ChangeSide::Target, key, 1500)}, 1500, events, changes, &later);
        QCOMPARE(live.status(key2), RecordStatus::InSync);

        const auto eventSetting = [this](const QString &value) -> std::optional<ChangeEvent> {
            for (const ChangeEvent &e : std::as_const(m_events))
                if (e.columns.value(QStringLiteral("id")) == QStringLiteral("2")
                    && e.columns.value(QStringLiteral("t")) == value)
                    return e;
            return std::nullopt;
        };
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET t = 'v1' WHERE id = 2"));
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET t = 'v2' WHERE id = 2"));
        PG_EXEC(m_target.conninfo, QStringLiteral("UPDATE items SET t = 'v2' WHERE id = 2"));
        QTRY_VERIFY_WITH_TIMEOUT(eventSetting(QStringLiteral("v2")), 15000);
        const std::optional<KeyChange> toV1 = live.keyChange(true, *eventSetting(QStringLiteral("v1")));
        QCOMPARE(toV1->image, RowImage::Row);
        events.clear();
        live.apply({*toV1}, 2000, events, changes, &later);
        for (const StatusEvent &e : std::as_const(events))
            QVERIFY2(e.status != RecordStatus::Conflict, "a stale image made a conflict");
        QCOMPARE(live.status(key2), RecordStatus::InSync); // both at v2, read afresh

        // The source alone moves on: its image is used (a read would show the later v4).
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET t = 'v3' WHERE id = 2"));
        QTRY_VERIFY_WITH_TIMEOUT(eventSetting(QStringLiteral("v3")), 15000);
        PG_EXEC(m_source.conninfo, QStringLiteral("UPDATE items SET t = 'v4' WHERE id = 2"));
        const std::optional<KeyChange> toV3 = live.keyChange(true, *eventSetting(QStringLiteral("v3")));
        live.apply({*toV3}, 3000, events, changes, &later);
        QCOMPARE(live.status(key2), RecordStatus::Pending);
        QCOMPARE(live.state(key2)->source,
                 RowHash(live.sides().encodeImage(true, toV3->key, toV3->fields)->hash));
    }
};

QTEST_GUILESS_MAIN(TestRowImage)
#include "tst_rowimage.moc"

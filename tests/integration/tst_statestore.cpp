#include "TestPostgres.h"
#include "TestSqlite.h"
#include "model/SyncError.h"
#include "model/Workspace.h"
#include "state/BaselineSnapshot.h"
#include "state/StateStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>

using namespace syncdesk;

namespace {

QList<StoredBaseline> sortedByKey(QList<StoredBaseline> list)
{
    std::sort(list.begin(), list.end(), [](const StoredBaseline &a, const StoredBaseline &b) {
        return a.keyJson < b.keyJson;
    });
    return list;
}

QString describe(const StoredBaseline &b)
{
    return QStringLiteral("%1 %2 %3 %4 %5 %6")
        .arg(b.flow, QString::fromUtf8(b.keyJson),
             b.hash ? QString::number(*b.hash, 16) : QStringLiteral("absent"),
             QString::fromUtf8(b.fieldValues))
        .arg(b.sourceChangedAtMs)
        .arg(b.targetChangedAtMs);
}

QStringList describeAll(const QList<StoredBaseline> &list)
{
    QStringList out;
    for (const StoredBaseline &b : sortedByKey(list))
        out << describe(b);
    return out;
}

StoredBaseline baseline(const QString &flow, const char *keyJson, RowHash hash,
                        const QString &fieldValues, qint64 sourceAt, qint64 targetAt)
{
    StoredBaseline b;
    b.flow = flow;
    b.keyJson = keyJson;
    b.hash = hash;
    b.fieldValues = fieldValues.toUtf8();
    b.sourceChangedAtMs = sourceAt;
    b.targetChangedAtMs = targetAt;
    return b;
}

} // namespace

class TestStateStore : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;

    static void backends()
    {
        QTest::addColumn<QString>("backend");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
        QTest::newRow("postgres") << QStringLiteral("postgres");
    }

    // A fresh, empty store location for the current data row: an SQLite file in the temporary
    // folder, or a new database of the fixture's server as a postgresql:// URI. `conninfo` is
    // set for PostgreSQL, `path` for SQLite.
    bool freshState(Workspace *ws, QString *conninfo, QString *path, QString *error)
    {
        QFETCH(QString, backend);
        const QString name = QStringLiteral("state_%1").arg(++m_case);
        if (backend == u"sqlite") {
            *path = QDir(m_dir.path()).absoluteFilePath(name + QStringLiteral(".db"));
            QFile::remove(*path);
            ws->state = *path;
            return true;
        }
        const QString server = testsupport::fixtureConninfo(error);
        if (server.isEmpty())
            return false;
        const auto port = QRegularExpression(QStringLiteral("port=(\\d+)")).match(server);
        if (!port.hasMatch()) {
            *error = QStringLiteral("no port in the fixture's conninfo: ") + server;
            return false;
        }
        if (!testsupport::createDatabase(name, conninfo, error))
            return false;
        ws->state = QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2")
                        .arg(port.captured(1), name);
        return true;
    }

    // A fresh store location for the current data row (freshState), opened.
    std::unique_ptr<StateStore> freshStore(Workspace *ws, QString *path, QString *error)
    {
        QString conninfo;
        return freshState(ws, &conninfo, path, error) ? open(*ws, error) : nullptr;
    }

    static std::unique_ptr<StateStore> open(const Workspace &ws, QString *error)
    {
        try {
            return StateStore::open(ws);
        } catch (const SyncError &e) {
            *error = e.message();
        }
        return {};
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void shouldKeepSnapshotsInPartsAndRowsOverThem_data() { backends(); }

    // Given a flow's baselines written as a snapshot in parts (an empty flow as one empty
    // part), then rows written later, reading them back gives the snapshot's records first and
    // the rows after, and says the set is complete; the snapshot folds in-sync rows away.
    void shouldKeepSnapshotsInPartsAndRowsOverThem()
    {
        Workspace ws;
        QString path, error;
        const auto store = freshStore(&ws, &path, &error);
        QVERIFY2(store, qPrintable(error));
        try {
            BaselineSnapshot big;
            for (int i = 0; i < BaselineSnapshot::RecordsPerPart + 3; ++i)
                big.add(QStringLiteral("[\"K%1\"]").arg(i).toStdString(),
                        i % 3 == 0 ? std::optional<RowHash>() : std::optional<RowHash>(RowHash(quint64(i))));
            StateChanges first;
            StoredBaseline inSync = baseline(QStringLiteral("f"), "[\"K1\"]", quint64(1), QString(), 0, 0);
            inSync.inSync = true;
            first.upserts << inSync; // written before the snapshot: folded into it
            store->apply(first);
            StateChanges snap;
            const qint64 records = big.records();
            snap.snapshots << StoredSnapshot{QStringLiteral("f"), records, big.takeParts()}
                           << StoredSnapshot{QStringLiteral("empty"), 0, {}};
            QCOMPARE(snap.snapshots.first().parts.size(), 2);
            store->apply(snap);
            StateChanges later; // a row after the snapshot overrides it
            later.upserts << baseline(QStringLiteral("f"), "[\"K4\"]", quint64(44), QString(), 7, 8);
            store->apply(later);
            store->apply(later); // and the store still takes writes

            QHash<QByteArray, std::optional<RowHash>> seen;
            qsizetype rows = 0;
            const bool complete = store->forEachBaseline(
                QStringLiteral("f"),
                [&](std::string_view key, const std::optional<RowHash> &b) {
                    seen.insert(QByteArray(key.data(), qsizetype(key.size())), b);
                },
                [&](const StoredBaseline &b) {
                    ++rows;
                    seen.insert(b.keyJson, b.hash);
                });
            QVERIFY(complete);
            QCOMPARE(rows, 1); // K1's in-sync row was folded away, K4's later row stays
            QCOMPARE(seen.size(), BaselineSnapshot::RecordsPerPart + 3);
            QCOMPARE(seen.value("[\"K3\"]"), std::optional<RowHash>());
            QCOMPARE(seen.value("[\"K4\"]"), std::optional<RowHash>(RowHash(44)));
            QCOMPARE(store->snapshotRecords(QStringLiteral("f")), std::optional<qint64>(records));
            qsizetype emptyRecords = 0;
            QVERIFY(store->forEachBaseline(
                QStringLiteral("empty"), [&](std::string_view, const std::optional<RowHash> &) { ++emptyRecords; },
                [&](const StoredBaseline &) { ++emptyRecords; }));
            QCOMPARE(emptyRecords, 0);
            QVERIFY(!store->forEachBaseline(QStringLiteral("never"), [](std::string_view, const std::optional<RowHash> &) {},
                                           [](const StoredBaseline &) {}));
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }

    void shouldMigrateAFreshStoreToTheNewestVersion_data() { backends(); }

    // Given an empty location, when the store opens, then its schema is at the highest
    // migration compiled in.
    void shouldMigrateAFreshStoreToTheNewestVersion()
    {
        Workspace ws;
        QString conninfo, path, error;
        QVERIFY2(freshState(&ws, &conninfo, &path, &error), qPrintable(error));

        const auto migrations = StateStore::migrations();
        QVERIFY(!migrations.isEmpty());
        int newest = 0;
        for (const auto &[version, statements] : migrations) {
            QVERIFY2(!statements.isEmpty(), qPrintable(QString::number(version)));
            newest = std::max(newest, version);
        }
        QVERIFY(newest >= 1);

        const auto store = open(ws, &error);
        QVERIFY2(store, qPrintable(error));
        QCOMPARE(store->schemaVersion(), newest);
        QVERIFY(store->baselines(QStringLiteral("f")).isEmpty());
        QVERIFY(!store->feedPosition(QStringLiteral("src/logical")).has_value());
    }

    void shouldIndexAnOlderAuditLogWhenMigrating_data() { backends(); }

    // Given a log written before version 7 (a resolution, its undo, an intent left open), when
    // the store opens, then the migration indexes every entry: a record's history, a
    // resolution with its undo and the open intent are read by index.
    void shouldIndexAnOlderAuditLogWhenMigrating()
    {
        QFETCH(QString, backend);
        Workspace ws;
        QString conninfo, path, error;
        QVERIFY2(freshState(&ws, &conninfo, &path, &error), qPrintable(error));
        {
            auto store = open(ws, &error);
            QVERIFY2(store, qPrintable(error));
            const auto entry = [](const char *type, const char *id, const char *key) {
                return QJsonObject{{QStringLiteral("type"), QLatin1String(type)}, {QStringLiteral("id"), QLatin1String(id)},
                                   {QStringLiteral("flow"), QStringLiteral("f")},
                                   {QStringLiteral("key"), QJsonArray{QLatin1String(key)}}};
            };
            QJsonObject undo = entry("intent", "r3", "K1");
            undo.insert(QStringLiteral("undoes"), QStringLiteral("r1"));
            store->appendAudits({entry("intent", "r1", "K1"), entry("outcome", "r1", "K1"), entry("intent", "r2", "K2"),
                                 undo, entry("outcome", "r3", "K1"),
                                 QJsonObject{{QStringLiteral("type"), QStringLiteral("policy")},
                                             {QStringLiteral("flow"), QStringLiteral("f")}}});
        }
        // Back to version 6: no index columns, no open intents.
        const QStringList down{QStringLiteral("DROP INDEX audit_log_record"), QStringLiteral("DROP INDEX audit_log_resolution"),
                               QStringLiteral("DROP INDEX audit_log_flow"),
                               QStringLiteral("DROP INDEX audit_log_undoes"),
                               QStringLiteral("ALTER TABLE audit_log DROP COLUMN flow"),
                               QStringLiteral("ALTER TABLE audit_log DROP COLUMN record_key"),
                               QStringLiteral("ALTER TABLE audit_log DROP COLUMN entry_type"),
                               QStringLiteral("ALTER TABLE audit_log DROP COLUMN resolution_id"),
                               QStringLiteral("ALTER TABLE audit_log DROP COLUMN undoes"),
                               QStringLiteral("DROP TABLE open_intents"),
                               QStringLiteral("UPDATE syncdesk_schema SET version = 6")};
        if (backend == u"sqlite")
            QVERIFY2(testsupport::sqliteExec(path, down, &error), qPrintable(error));
        else
            QVERIFY2(testsupport::pgExec(conninfo, down.join(u';'), &error), qPrintable(error));

        auto store = open(ws, &error);
        QVERIFY2(store, qPrintable(error));
        QCOMPARE(store->schemaVersion(), StateStore::migrations().constLast().first);
        const auto seqs = [](const QList<AuditRow> &rows) {
            QList<qint64> out;
            for (const AuditRow &r : rows)
                out << r.seq;
            return out;
        };
        QCOMPARE(seqs(store->auditRowsOfRecord(QStringLiteral("f"), "[ \"K1\" ]")), (QList<qint64>{1, 2, 4, 5}));
        QCOMPARE(seqs(store->auditRowsOfRecord(QStringLiteral("f"), "[\"K2\"]")), (QList<qint64>{3}));
        QCOMPARE(seqs(store->auditRowsOfResolution(QStringLiteral("r1"))), (QList<qint64>{1, 2, 4, 5}));
        QCOMPARE(seqs(store->openIntentRows()), (QList<qint64>{3}));
        // Appends keep them: r2's outcome closes it.
        store->appendAudit(QJsonObject{{QStringLiteral("type"), QStringLiteral("outcome")},
                                       {QStringLiteral("id"), QStringLiteral("r2")},
                                       {QStringLiteral("flow"), QStringLiteral("f")},
                                       {QStringLiteral("key"), QJsonArray{QStringLiteral("K2")}}});
        QVERIFY(store->openIntentRows().isEmpty());
        QCOMPARE(seqs(store->auditRowsOfRecord(QStringLiteral("f"), "[\"K2\"]")), (QList<qint64>{3, 7}));
    }

    void shouldOpenTwiceIdempotently_data() { backends(); }

    // Given a migrated store holding data, when it is opened again (while still open, and
    // after closing), then no error, the same version, and the data is still there.
    void shouldOpenTwiceIdempotently()
    {
        Workspace ws;
        QString conninfo, path, error;
        QVERIFY2(freshState(&ws, &conninfo, &path, &error), qPrintable(error));

        auto first = open(ws, &error);
        QVERIFY2(first, qPrintable(error));
        const int version = first->schemaVersion();
        StateChanges changes;
        changes.upserts << baseline(QStringLiteral("f"), "[\"K1\"]", quint64(7),
                                    QStringLiteral("[\"a\"]"), 1, 2);
        first->apply(changes);

        const auto second = open(ws, &error);
        QVERIFY2(second, qPrintable(error));
        QCOMPARE(second->schemaVersion(), version);
        QCOMPARE(second->baselines(QStringLiteral("f")).size(), 1);

        first.reset();
        const auto third = open(ws, &error);
        QVERIFY2(third, qPrintable(error));
        QCOMPARE(third->schemaVersion(), version);
        QCOMPARE(describeAll(third->baselines(QStringLiteral("f"))),
                 describeAll(changes.upserts));
    }

    void shouldRoundTripBaselinesPerFlow_data() { backends(); }

    // Given baselines of two flows (present, absent, hashes with the top bit set), when read
    // back per flow, then each flow gets exactly its own, field for field.
    void shouldRoundTripBaselinesPerFlow()
    {
        Workspace ws;
        QString path, error;
        const auto store = freshStore(&ws, &path, &error);
        QVERIFY2(store, qPrintable(error));

        const QString f = QStringLiteral("devices");
        const QString g = QStringLiteral("leads");
        StateChanges changes;
        changes.upserts
            << baseline(f, "[\"SKU-1\"]", quint64(0xFEDCBA9876543210ULL),
                        QStringLiteral("[\"Pixel 7\",\"A\",null,\"12.5\"]"),
                        1'700'000'000'123, 1'700'000'000'456)
            << baseline(f, "[\"SKU-2\"]", std::nullopt, QStringLiteral("null"), 0, 0)
            << baseline(f, "[\"SKU-3\"]", quint64(0x8000000000000000ULL),
                        QStringLiteral("[\"Grüße \\\"€\\\"\",\"\"]"), 5, 0)
            << baseline(f, "[\"SKU-4\"]", quint64(0xFFFFFFFFFFFFFFFFULL),
                        QStringLiteral("[\"x\"]"), 0, 9)
            << baseline(f, "[\"eu\",10]", quint64(0), QStringLiteral("[null]"), 3, 4)
            << baseline(g, "[\"SKU-1\"]", quint64(42), QStringLiteral("[\"other\"]"), 6, 7);
        // Given, when: all in one apply.
        store->apply(changes);

        // Then: per flow, exactly what was stored.
        const QList<StoredBaseline> expectedF = changes.upserts.mid(0, 5);
        const QList<StoredBaseline> expectedG = changes.upserts.mid(5);
        const QList<StoredBaseline> gotF = store->baselines(f);
        QCOMPARE(describeAll(gotF), describeAll(expectedF));
        QCOMPARE(describeAll(store->baselines(g)), describeAll(expectedG));
        QVERIFY(store->baselines(QStringLiteral("nope")).isEmpty());
        for (const StoredBaseline &b : gotF)
            QCOMPARE(b.flow, f);

        // The top-bit hash compares as the unsigned value, not its signed storage form.
        const QList<StoredBaseline> sorted = sortedByKey(gotF);
        QCOMPARE(sorted.at(0).hash, RowHash(0xFEDCBA9876543210ULL));
        QVERIFY(!sorted.at(1).hash.has_value());
        QCOMPARE(sorted.at(2).hash, RowHash(0x8000000000000000ULL));
        QCOMPARE(sorted.at(3).hash, RowHash(0xFFFFFFFFFFFFFFFFULL));
        QCOMPARE(sorted.at(4).hash, RowHash(0));
        QCOMPARE(sorted.at(2).fieldValues,
                 QStringLiteral("[\"Grüße \\\"€\\\"\",\"\"]").toUtf8());
    }

    void shouldUpsertAndRemoveInOneApply_data() { backends(); }

    // Given three baselines, when one apply overwrites one, adds one, removes one (and a key
    // that was never stored), then exactly the expected set remains.
    void shouldUpsertAndRemoveInOneApply()
    {
        Workspace ws;
        QString path, error;
        const auto store = freshStore(&ws, &path, &error);
        QVERIFY2(store, qPrintable(error));

        const QString f = QStringLiteral("f");
        const QString g = QStringLiteral("g");
        StateChanges first;
        first.upserts << baseline(f, "[\"K1\"]", quint64(1), QStringLiteral("[\"a\"]"), 10, 0)
                      << baseline(f, "[\"K2\"]", quint64(2), QStringLiteral("[\"b\"]"), 20, 0)
                      << baseline(f, "[\"K3\"]", quint64(3), QStringLiteral("[\"c\"]"), 30, 0)
                      << baseline(g, "[\"K2\"]", quint64(9), QStringLiteral("[\"g\"]"), 1, 1);
        store->apply(first);

        StateChanges second;
        second.upserts << baseline(f, "[\"K1\"]", std::nullopt, QStringLiteral("null"), 11, 12)
                       << baseline(f, "[\"K4\"]", quint64(0xF000000000000004ULL),
                                   QStringLiteral("[\"d\"]"), 40, 41);
        second.removals << QPair<QString, QByteArray>(f, QByteArray("[\"K2\"]"))
                        << QPair<QString, QByteArray>(f, QByteArray("[\"K9\"]"));
        store->apply(second);

        QCOMPARE(describeAll(store->baselines(f)),
                 describeAll({second.upserts.at(0), first.upserts.at(2), second.upserts.at(1)}));
        // A removal is per flow: g's K2 stays.
        QCOMPARE(describeAll(store->baselines(g)), describeAll({first.upserts.at(3)}));

        // An empty change set is a no-op.
        store->apply(StateChanges());
        QCOMPARE(store->baselines(f).size(), 3);
    }

    void shouldPublishLiveRecordsByVersion_data() { backends(); }

    // Given a flow's list written whole, then updates (one back in sync), a reader holding a
    // version reads only what came after it; a second whole list moves the epoch; pruning drops
    // back-in-sync rows up to a version and says so, so a reader behind it reads the list again.
    void shouldPublishLiveRecordsByVersion()
    {
        Workspace ws;
        QString path, error;
        const auto store = freshStore(&ws, &path, &error);
        QVERIFY2(store, qPrintable(error));
        QCOMPARE(store->liveVersion(), 0);

        const QString f = QStringLiteral("f");
        LivePublication whole;
        whole.rewrites[f] = {{"[\"A\"]", 1, 100, 0, 0}, {"[\"B\"]", 3, 200, 0, 0}};
        whole.console = std::pair{qint64(5), QByteArray("{\"flows\":[],\"systems\":[]}")};
        qint64 v = store->publishLive(whole, 0, 0, 1000);
        QCOMPARE(v, 2);
        QCOMPARE(store->liveVersion(), 2);
        QList<LiveFlowMark> marks = store->liveFlows();
        QCOMPARE(marks.size(), 1);
        const qint64 epoch = marks[0].epoch;
        QCOMPARE(marks[0].version, 2);
        QCOMPARE(store->consoleSnapshots().first().first, 5);

        LivePublication changed;
        changed.updates[f] = {{"[\"A\"]", 0, 100, 50, 0}, {"[\"C\"]", 1, 300, 7, 0}};
        v = store->publishLive(changed, v, 0, 2000);
        QCOMPARE(v, 4);
        const QList<LiveRecord> after = store->liveRecords(f, 2, false);
        QCOMPARE(after.size(), 2);
        QCOMPARE(after[0].keyJson, QByteArray("[\"A\"]"));
        QCOMPARE(after[0].status, 0); // back in sync: kept for readers to learn it
        QCOMPARE(after[1].lagMs, 7);
        QCOMPARE(store->liveRecords(f, 0, true).size(), 2); // B and C out of sync
        QCOMPARE(store->liveFlows()[0].epoch, epoch);       // updates keep the epoch

        // Pruned up to version 3: A's row goes; a reader at version 2 must read the list again.
        v = store->publishLive(LivePublication{{}, {}, std::pair{qint64(6), QByteArray("{}")}}, v, 3, 3000);
        QCOMPARE(store->liveRecords(f, 0, false).size(), 2);
        QCOMPARE(store->liveFlows()[0].prunedBelow, 3);

        LivePublication again;
        again.rewrites[f] = {{"[\"D\"]", 2, 400, 0, 0}};
        v = store->publishLive(again, v, 0, 4000);
        QCOMPARE(store->liveFlows()[0].epoch, epoch + 1);
        QCOMPARE(store->liveRecords(f, 0, false).size(), 1);
        QCOMPARE(store->liveVersion(), v);
    }

    void shouldApplyTwoBatchesAppendedAsIfInTurn_data() { backends(); }

    // Given a batch that could not be written and the next one appended to it, applying the
    // two at once leaves what applying them in turn would: a record's last word wins.
    void shouldApplyTwoBatchesAppendedAsIfInTurn()
    {
        Workspace ws;
        QString path, error;
        const auto store = freshStore(&ws, &path, &error);
        QVERIFY2(store, qPrintable(error));
        const QString f = QStringLiteral("f");
        StateChanges stored;
        stored.upserts << baseline(f, "[\"K2\"]", quint64(2), QStringLiteral("[\"b\"]"), 20, 0)
                       << baseline(f, "[\"K5\"]", quint64(5), QStringLiteral("[\"e\"]"), 50, 0);
        store->apply(stored);

        StateChanges failed; // K1 leaves agreement, K2 is back in sync
        failed.upserts << baseline(f, "[\"K1\"]", quint64(1), QStringLiteral("[\"a\"]"), 10, 0)
                       << baseline(f, "[\"K3\"]", quint64(3), QStringLiteral("[\"c\"]"), 30, 0);
        failed.removals << QPair<QString, QByteArray>(f, QByteArray("[\"K2\"]"))
                        << QPair<QString, QByteArray>(f, QByteArray("[\"K5\"]"));
        failed.feedPositions << std::pair{QStringLiteral("a/logical"), QStringLiteral("0/10")};
        StateChanges next; // K1 back in sync, K2 leaves again, K3 moves on (field values unknown)
        next.upserts << baseline(f, "[\"K2\"]", quint64(22), QStringLiteral("[\"b2\"]"), 21, 0)
                     << baseline(f, "[\"K3\"]", quint64(33), QString(), 31, 32)
                     << baseline(f, "[\"K5\"]", quint64(55), QString(), 51, 52); // values not known
        next.removals << QPair<QString, QByteArray>(f, QByteArray("[\"K1\"]"));
        next.feedPositions << std::pair{QStringLiteral("a/logical"), QStringLiteral("0/20")};
        failed.append(std::move(next));
        store->apply(failed);

        // K3's baseline moved on with its values unknown: the old values are not the new ones.
        StoredBaseline k3 = baseline(f, "[\"K3\"]", quint64(33), QString(), 31, 32);
        QCOMPARE(describeAll(store->baselines(f)),
                 describeAll({baseline(f, "[\"K2\"]", quint64(22), QStringLiteral("[\"b2\"]"), 21, 0), k3,
                              // Back in sync, then out again: K5's old values are not its baseline.
                              baseline(f, "[\"K5\"]", quint64(55), QString(), 51, 52)}));
        QCOMPARE(failed.feedPositions.size(), 1);
        QCOMPARE(failed.feedPositions.first().second, QStringLiteral("0/20"));
    }

    void shouldFoldHeldBatchesToTheSameResult_data() { backends(); }

    // Given many random batches (records leaving and re-entering agreement, values known or
    // not, the agreed row moving or not), when appended into one as a store outage holds them
    // and folded by compact(), then one apply leaves exactly what applying each batch in turn
    // leaves, and the folded batch holds at most a few upserts per record.
    void shouldFoldHeldBatchesToTheSameResult()
    {
        Workspace inTurnWs, foldedWs;
        QString path, error;
        const auto inTurn = freshStore(&inTurnWs, &path, &error);
        QVERIFY2(inTurn, qPrintable(error));
        const auto folded = freshStore(&foldedWs, &path, &error);
        QVERIFY2(folded, qPrintable(error));
        const QString f = QStringLiteral("f");
        QRandomGenerator rng(7);
        StateChanges held;
        const char *keys[] = {"[\"K1\"]", "[\"K2\"]", "[\"K3\"]", "[\"K4\"]", "[\"K5\"]"};
        for (int batch = 1; batch <= 300; ++batch) {
            StateChanges one;
            for (int n = int(rng.bounded(4)); n >= 0; --n) {
                const char *key = keys[rng.bounded(5)];
                if (rng.bounded(5) == 0) {
                    one.removals << QPair<QString, QByteArray>(f, QByteArray(key));
                    continue;
                }
                const bool known = rng.bounded(4) != 0;
                const QString values = known ? QStringLiteral("[\"v%1\"]").arg(rng.bounded(100)) : QString();
                one.upserts << baseline(f, key, quint64(rng.bounded(3)), values, batch, batch);
                one.upserts.last().known = rng.bounded(6) != 0;
            }
            inTurn->apply(one);
            held.append(std::move(one));
            if (batch % 5 != 0)
                continue;
            // An outage of five batches ends: what it held goes in at once, folded.
            const qsizetype before = held.upserts.size();
            held.compact();
            QVERIFY2(held.upserts.size() <= before, "compact() never adds");
            folded->apply(std::exchange(held, StateChanges()));
            QCOMPARE(describeAll(folded->baselines(f)), describeAll(inTurn->baselines(f)));
        }
        QVERIFY(!describeAll(inTurn->baselines(f)).isEmpty());
    }

    void shouldShareTheDeskByLeases_data() { backends(); }

    // Given two agents on a team's desk, leases go to one at a time: a held one is refused, a
    // lapsed, released or dead agent's one is taken, all-or-nothing takes none unless all; and
    // an engine fenced by its leases writes only while it holds every one, into a desk row of
    // its own, prunes only its own flows' rows.
    void shouldShareTheDeskByLeases()
    {
        Workspace ws;
        QString path, error;
        const auto store = freshStore(&ws, &path, &error);
        QVERIFY2(store, qPrintable(error));
        const AgentLease a{{}, QStringLiteral("alpha:1:x@b-1"), QStringLiteral("alpha"), 1, 0, 0, 0};
        const AgentLease b{{}, QStringLiteral("beta:2:y@b-2"), QStringLiteral("beta"), 2, 0, 0, 0};
        const QString fa = QStringLiteral("flows/a"), fb = QStringLiteral("flows/b"), fc = QStringLiteral("flows/c");
        try {
            QCOMPARE(store->takeLeases(a, {fa, fb}, 60000), (QStringList{fa, fb}));
            QCOMPARE(store->takeLeases(b, {fa}, 60000), QStringList());
            QCOMPARE(store->takeLeases(b, {fc, fa}, 60000, {}, true), QStringList()); // not c alone
            QCOMPARE(store->takeLeases(a, {fc}, 0), QStringList{fc}); // lapses at once
            QCOMPARE(store->takeLeases(b, {fc}, 60000), QStringList{fc});
            QCOMPARE(store->renewLeases(a.agent, {fa, fb, fc}, 60000), (QStringList{fa, fb}));
            store->releaseLeases(a.agent, {fb});
            QCOMPARE(store->takeLeases(b, {fb}, 60000), QStringList{fb});
            QCOMPARE(store->leases().size(), 3);

            // A fenced by a and b: b is beta's, so nothing is written; by a alone, it is.
            StateChanges changes;
            changes.deskStatus = std::pair{qint64(1000), QByteArray("{\"taken_at\":\"x\"}")};
            const auto fenced = open(ws, &error);
            QVERIFY2(fenced, qPrintable(error));
            fenced->fenceWritesTo({a.agent, {fa, fb}});
            QVERIFY_THROWS_EXCEPTION(SyncError, fenced->apply(changes));
            QVERIFY(store->deskStatuses().isEmpty());
            fenced->fenceWritesTo({a.agent, {fa}});
            fenced->apply(changes);
            const auto other = open(ws, &error);
            other->fenceWritesTo({b.agent, {fb, fc}});
            changes.deskStatus->first = 2000;
            other->apply(changes);
            const auto rows = store->deskStatuses();
            QCOMPARE(rows.size(), 2); // one per agent's share, the latest first
            // Stamped by the store's clock, not the writers' (agents on several machines).
            QVERIFY(rows[0].first >= rows[1].first);
            QVERIFY(qAbs(rows[0].first - store->nowMs()) < 60000);

            // Each agent prunes its own flows' rows: its versions say nothing of the other's.
            LivePublication mine;
            mine.updates[QStringLiteral("x")] = {{"[\"K\"]", 0, 100, 0, 0}};
            qint64 v = fenced->publishLive(mine, 0, 0, 1000, {QStringLiteral("x")});
            LivePublication theirs;
            theirs.updates[QStringLiteral("y")] = {{"[\"K\"]", 0, 100, 0, 0}};
            other->publishLive(theirs, 0, 0, 1000, {QStringLiteral("y")});
            fenced->publishLive({}, v, v, 2000, {QStringLiteral("x")});
            QCOMPARE(store->liveRecords(QStringLiteral("x"), 0, false).size(), 0);
            QCOMPARE(store->liveRecords(QStringLiteral("y"), 0, false).size(), 1);

            // An agent's policy writes no intent once its share is another's.
            const QJsonObject intent{{QStringLiteral("type"), QStringLiteral("intent")}};
            QCOMPARE(fenced->appendAudits({intent}, {}, [&] { fenced->refuseWithoutLease(); }).size(), 1);
            fenced->fenceWritesTo({a.agent, {fa, fb}});
            QVERIFY_THROWS_EXCEPTION(SyncError, fenced->appendAudits({intent}, {}, [&] { fenced->refuseWithoutLease(); }));
            QCOMPARE(store->auditHead().seq, 1);
            fenced->fenceWritesTo({a.agent, {fa}});

            // A fence with no lease writes nothing (an agent whose share went empty).
            fenced->fenceWritesTo({a.agent, {}});
            QVERIFY_THROWS_EXCEPTION(SyncError, fenced->apply(changes));
            fenced->fenceWritesTo({a.agent, {fa}});

            // Presence rows of agents long lapsed are forgotten; live ones and flows stay.
            store->takeLeases(a, {QStringLiteral("agent/") + a.agent}, -5000);
            store->takeLeases(b, {QStringLiteral("agent/") + b.agent}, 60000);
            store->forgetLapsedAgents(1000);
            QStringList names;
            for (const AgentLease &l : store->leases())
                names << l.name;
            QCOMPARE(names, (QStringList{QStringLiteral("agent/") + b.agent, fa, fb, fc}));

            // An agent known to be gone loses its leases before they lapse.
            QCOMPARE(store->takeLeases(b, {fa}, 60000, {a.agent}), QStringList{fa});
            QVERIFY_THROWS_EXCEPTION(SyncError, fenced->apply(changes));
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }

    void shouldRoundTripAndOverwriteFeedPositions_data() { backends(); }

    // Given no position, when positions are saved and saved again, then the latest is read
    // back, per system and feed.
    void shouldRoundTripAndOverwriteFeedPositions()
    {
        Workspace ws;
        QString path, error;
        const auto store = freshStore(&ws, &path, &error);
        QVERIFY2(store, qPrintable(error));

        QVERIFY(!store->feedPosition(QStringLiteral("src/logical")).has_value());
        StateChanges first;
        first.feedPositions << std::pair(QStringLiteral("src/logical"),
                                         QStringLiteral("0/16B3748"))
                            << std::pair(QStringLiteral("dst/poll"), QStringLiteral("17"));
        store->apply(first);
        QCOMPARE(store->feedPosition(QStringLiteral("src/logical")),
                 std::optional(QStringLiteral("0/16B3748")));
        QCOMPARE(store->feedPosition(QStringLiteral("dst/poll")),
                 std::optional(QStringLiteral("17")));

        StateChanges second;
        second.feedPositions << std::pair(QStringLiteral("src/logical"),
                                          QStringLiteral("0/16B37A0"));
        store->apply(second);
        QCOMPARE(store->feedPosition(QStringLiteral("src/logical")),
                 std::optional(QStringLiteral("0/16B37A0")));
        QCOMPARE(store->feedPosition(QStringLiteral("dst/poll")),
                 std::optional(QStringLiteral("17")));
        QVERIFY(!store->feedPosition(QStringLiteral("dst/logical")).has_value());
        QVERIFY(!store->feedPosition(QStringLiteral("src/poll")).has_value());
    }

    void shouldWriteNothingWhenOneStatementFails_data() { backends(); }

    // Given stored baselines and a feed position, and a trigger that makes saving the feed
    // position "boom" fail, when one apply upserts, removes and saves positions including
    // "boom", then it throws, and neither the baselines nor the earlier position changed; the
    // store stays usable afterwards.
    void shouldWriteNothingWhenOneStatementFails()
    {
        Workspace ws;
        QString conninfo, path, error;
        QVERIFY2(freshState(&ws, &conninfo, &path, &error), qPrintable(error));
        const auto store = open(ws, &error);
        QVERIFY2(store, qPrintable(error));

        const QString f = QStringLiteral("f");
        StateChanges before;
        before.upserts << baseline(f, "[\"K1\"]", quint64(1), QStringLiteral("[\"a\"]"), 1, 0)
                       << baseline(f, "[\"K2\"]", quint64(2), QStringLiteral("[\"b\"]"), 2, 0);
        before.feedPositions << std::pair(QStringLiteral("src/ok"), QStringLiteral("1"));
        store->apply(before);

        // The last statement of the next apply fails: a trigger refuses feed "boom".
        if (path.isEmpty()) {
            PG_EXEC(conninfo, QStringLiteral(
                                  "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
                                  "$$ BEGIN RAISE EXCEPTION 'boom refused'; END $$; "
                                  "CREATE TRIGGER boom BEFORE INSERT ON feed_positions FOR EACH "
                                  "ROW WHEN (NEW.feed = 'boom') EXECUTE FUNCTION boom()"));
        } else {
            SQLITE_EXEC(path, {QStringLiteral(
                                  "CREATE TRIGGER boom BEFORE INSERT ON feed_positions WHEN "
                                  "NEW.feed = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); "
                                  "END")});
        }

        StateChanges failing;
        failing.upserts << baseline(f, "[\"K1\"]", quint64(11), QStringLiteral("[\"A\"]"), 9, 9)
                        << baseline(f, "[\"K3\"]", quint64(3), QStringLiteral("[\"c\"]"), 3, 0);
        failing.removals << QPair<QString, QByteArray>(f, QByteArray("[\"K2\"]"));
        failing.feedPositions << std::pair(QStringLiteral("src/ok"), QStringLiteral("2"))
                              << std::pair(QStringLiteral("src/boom"), QStringLiteral("x"));
        QString message;
        try {
            store->apply(failing);
        } catch (const SyncError &e) {
            message = e.message();
        }
        QVERIFY2(message.contains(QLatin1String("boom refused")), qPrintable(message));

        // Then nothing of the failed batch is visible, to this store or to a new one.
        QCOMPARE(describeAll(store->baselines(f)), describeAll(before.upserts));
        QCOMPARE(store->feedPosition(QStringLiteral("src/ok")),
                 std::optional(QStringLiteral("1")));
        QVERIFY(!store->feedPosition(QStringLiteral("src/boom")).has_value());
        {
            const auto other = open(ws, &error);
            QVERIFY2(other, qPrintable(error));
            QCOMPARE(describeAll(other->baselines(f)), describeAll(before.upserts));
            QCOMPARE(other->feedPosition(QStringLiteral("src/ok")),
                     std::optional(QStringLiteral("1")));
        }

        // And the store is not left inside a transaction: the next apply commits.
        failing.feedPositions.removeLast();
        try {
            store->apply(failing);
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
        const auto after = open(ws, &error);
        QVERIFY2(after, qPrintable(error));
        QCOMPARE(describeAll(after->baselines(f)), describeAll(failing.upserts));
        QCOMPARE(after->feedPosition(QStringLiteral("src/ok")),
                 std::optional(QStringLiteral("2")));
    }

    void shouldNameThePathWhenTheFolderIsNotWritable_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("missing folder") << QStringLiteral("missing");
        QTest::newRow("not a folder") << QStringLiteral("file");
    }

    // Given an SQLite state path whose folder cannot take a file, when the store opens, then
    // a SyncError names that path.
    void shouldNameThePathWhenTheFolderIsNotWritable()
    {
        QFETCH(QString, kind);
        const QDir dir(m_dir.path());
        QString folder = dir.absoluteFilePath(QStringLiteral("unwritable-") + kind);
        if (kind == u"file") {
            QFile file(folder);
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        Workspace ws;
        ws.state = folder + QStringLiteral("/state.db");

        QString error;
        const auto store = open(ws, &error);
        QVERIFY(!store);
        QVERIFY2(error.contains(ws.state), qPrintable(error));
        QVERIFY(!QFileInfo::exists(ws.state));
    }
};

QTEST_GUILESS_MAIN(TestStateStore)
#include "tst_statestore.moc"

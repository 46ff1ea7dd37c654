#include "model/SyncError.h"
#include "state/WalCheckpointer.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using syncdesk::WalCheckpointer;

// The live engine's state store checkpoints on a thread of its own, so that a change never
// waits behind one. A checkpointer that stopped working would let the log grow without end; one
// that did not give the writer its own checkpoint back would do the same once it is gone.
class TestWalCheckpointer : public QObject
{
    Q_OBJECT

    static void run(sqlite3 *db, const char *sql)
    {
        char *error = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
            const QByteArray message(error ? error : "?");
            sqlite3_free(error);
            QFAIL(message.constData());
        }
    }
    // Each transaction writes one row that fills a page of its own: about two log pages each.
    // As the state store writes: BEGIN IMMEDIATE, a busy timeout.
    static void writeRows(sqlite3 *db, int rows)
    {
        sqlite3_stmt *insert = nullptr;
        QCOMPARE(sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (randomblob(3900))", -1, &insert, nullptr), SQLITE_OK);
        for (int i = 0; i < rows; ++i) {
            run(db, "BEGIN IMMEDIATE");
            QCOMPARE(sqlite3_step(insert), SQLITE_DONE);
            sqlite3_reset(insert);
            run(db, "COMMIT");
        }
        sqlite3_finalize(insert);
    }
    static qint64 logPages(const QString &path)
    {
        return QFileInfo(path + QStringLiteral("-wal")).size() / (4096 + 24);
    }

    static sqlite3 *openWriter(const QString &path)
    {
        sqlite3 *writer = nullptr;
        if (sqlite3_open_v2(path.toUtf8().constData(), &writer, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr)
            != SQLITE_OK)
            return nullptr;
        sqlite3_busy_timeout(writer, 5000);
        run(writer, "PRAGMA journal_mode=WAL");
        run(writer, "PRAGMA synchronous=NORMAL");
        run(writer, "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
        return writer;
    }
    static int rowCount(const QString &path)
    {
        sqlite3 *reader = nullptr;
        sqlite3_open_v2(path.toUtf8().constData(), &reader, SQLITE_OPEN_READONLY, nullptr);
        sqlite3_stmt *count = nullptr;
        sqlite3_prepare_v2(reader, "SELECT count(*) FROM t", -1, &count, nullptr);
        const int rows = sqlite3_step(count) == SQLITE_ROW ? sqlite3_column_int(count, 0) : -1;
        sqlite3_finalize(count);
        sqlite3_close(reader);
        return rows;
    }

private slots:
    // Given a writer in WAL mode with the checkpointer attached, when it writes five times the
    // threshold in rounds with pauses (as the engine writes every 50 ms), then the
    // checkpointer's thread copies each round whole, the log is started over instead of
    // growing, and every row is in the database.
    void shouldKeepTheLogShortWithoutTheWriterCheckpointing()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("state.db"));
        sqlite3 *writer = openWriter(path);
        QVERIFY(writer);
        const int perRound = WalCheckpointer::ThresholdPages / 2 + 100; // past the threshold
        int written = 0;
        {
            WalCheckpointer checkpointer(path);
            checkpointer.attach(writer);
            for (int round = 1; round <= 5; ++round) {
                writeRows(writer, perRound);
                written += perRound;
                QTRY_VERIFY_WITH_TIMEOUT(checkpointer.checkpoints() >= round && checkpointer.caughtUp(), 10000);
            }
            // Started over at least once: five rounds' pages never sat in the log together.
            QVERIFY2(logPages(path) < 2 * WalCheckpointer::ThresholdPages + 400,
                     QByteArray::number(logPages(path)).constData());
        }
        // Gone: the writer checkpoints by itself again, as SQLite does by default.
        writeRows(writer, 3 * WalCheckpointer::ThresholdPages / 2);
        written += 3 * WalCheckpointer::ThresholdPages / 2;
        QVERIFY2(logPages(path) < 2 * WalCheckpointer::ThresholdPages + 400,
                 QByteArray::number(logPages(path)).constData());
        sqlite3_close(writer);
        QCOMPARE(rowCount(path), written);
    }

    // Given a writer that never pauses, so that no checkpoint of the thread's ever finds the
    // log wholly copied, when it writes fifteen times the threshold, then it checkpoints by
    // itself at its own limit and the log stays bounded.
    void shouldBoundTheLogOfAWriterThatNeverPauses()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("state.db"));
        sqlite3 *writer = openWriter(path);
        QVERIFY(writer);
        const int rows = 15 * WalCheckpointer::ThresholdPages / 2;
        {
            WalCheckpointer checkpointer(path);
            checkpointer.attach(writer);
            writeRows(writer, rows);
            QVERIFY2(logPages(path) < WalCheckpointer::WriterCheckpointPages + 100,
                     QByteArray::number(logPages(path)).constData());
        }
        sqlite3_close(writer);
        QCOMPARE(rowCount(path), rows);
    }

    // Given a path in a folder that does not exist, when a checkpointer is made for it, then
    // it refuses with the file's name rather than running on nothing.
    void shouldRefuseAFileItCannotOpen()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("missing/state.db"));
        try {
            WalCheckpointer checkpointer(path);
            QFAIL("opened a file that is not there");
        } catch (const syncdesk::SyncError &e) {
            QVERIFY2(e.message().contains(path), qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestWalCheckpointer)
#include "tst_walcheckpointer.moc"

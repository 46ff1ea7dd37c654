#include "TestSqlite.h"
#include "connectors/BatchQueue.h"
#include "connectors/SqliteConnector.h"
#include "model/RowEncoder.h"
#include "model/SyncError.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;

class TestSqliteConnector : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    SystemSpec system(const QString &path) const
    {
        SystemSpec s;
        s.name = QStringLiteral("lite");
        s.kind = SystemKind::Sqlite;
        s.path = path;
        return s;
    }

private slots:
    void shouldRefuseAMissingFileWithoutCreatingIt()
    {
        const QString path = m_dir.filePath(QStringLiteral("nope.db"));
        SqliteConnector c(system(path));
        try {
            c.open();
            QFAIL("opened a missing file");
        } catch (const SyncError &e) {
            QVERIFY2(e.message().contains(QLatin1String("system 'lite' (sqlite)"))
                         && e.message().contains(QLatin1String("does not exist")),
                     qPrintable(e.message()));
        }
        QVERIFY(!QFileInfo::exists(path));
    }

    void shouldRefuseAFileThatIsNotADatabase()
    {
        const QString path = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("text.db"),
                                                    QByteArray(4096, 'x'));
        SqliteConnector c(system(path));
        try {
            c.open();
            QFAIL("opened a text file as a database");
        } catch (const SyncError &e) {
            QVERIFY2(e.message().contains(QLatin1String("not a readable SQLite database")),
                     qPrintable(e.message()));
        }
    }

    void shouldNameTheMissingTableOrColumn()
    {
        const QString path = m_dir.filePath(QStringLiteral("cols.db"));
        SQLITE_EXEC(path, {QStringLiteral("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")});
        SqliteConnector c(system(path));
        c.open();
        try {
            (void)c.describe({QString(), QStringLiteral("absent")}, {QStringLiteral("id")});
            QFAIL("described a missing table");
        } catch (const SyncError &e) {
            QVERIFY2(e.message().contains(QLatin1String("table absent does not exist")),
                     qPrintable(e.message()));
        }
        try {
            (void)c.describe({QString(), QStringLiteral("t")},
                             {QStringLiteral("id"), QStringLiteral("qty")});
            QFAIL("described a missing column");
        } catch (const SyncError &e) {
            QVERIFY2(e.message().contains(QLatin1String("has no column 'qty'")),
                     qPrintable(e.message()));
        }
    }

    void shouldClassifyDeclaredTypes_data()
    {
        QTest::addColumn<QString>("declared");
        QTest::addColumn<int>("cls");
        const auto row = [](const char *d, FieldClass c) {
            QTest::newRow(d) << QString::fromLatin1(d) << int(c);
        };
        row("INTEGER", FieldClass::Numeric);
        row("bigint", FieldClass::Numeric);
        row("REAL", FieldClass::Numeric);
        row("NUMERIC(10,2)", FieldClass::Numeric);
        row("DOUBLE PRECISION", FieldClass::Numeric);
        row("TEXT", FieldClass::Text);
        row("VARCHAR(20)", FieldClass::Text);
        row("char(1)", FieldClass::Text);
        row("", FieldClass::Text);
        row("BLOB", FieldClass::Bytes);
        row("BOOLEAN", FieldClass::Boolean);
        row("TIMESTAMP", FieldClass::Instant);
        row("timestamptz", FieldClass::Instant);
        row("DATETIME", FieldClass::Instant);
        row("DATE", FieldClass::Numeric); // SQLite gives DATE numeric affinity
    }

    void shouldClassifyDeclaredTypes()
    {
        QFETCH(QString, declared);
        QFETCH(int, cls);
        QCOMPARE(int(SqliteConnector::classOfDeclaredType(declared)), cls);
    }

    // Given a text key, the scan orders it byte-wise (COLLATE BINARY) even where the column
    // declares NOCASE, and never writes to the file.
    void shouldScanTextKeysInByteOrderReadOnly()
    {
        const QString path = m_dir.filePath(QStringLiteral("order.db"));
        SQLITE_EXEC(path, {QStringLiteral("CREATE TABLE t (k TEXT COLLATE NOCASE, v TEXT)"),
                           QStringLiteral("CREATE INDEX t_k ON t (k)"),
                           QStringLiteral("INSERT INTO t VALUES ('b','1'),('A','2'),('a','3'),('B','4')"),
                           QStringLiteral("INSERT INTO t VALUES (NULL, 'null key')")});
        const QDateTime before = QFileInfo(path).lastModified();
        SqliteConnector c(system(path));
        c.open();
        ScanRequest r;
        r.table = {QString(), QStringLiteral("t")};
        const QList<ColumnInfo> cols = c.describe(r.table, {QStringLiteral("k"), QStringLiteral("v")});
        r.keys = {cols[0]};
        r.fields = {cols[1]};
        QVERIFY(c.scanQuery(r).contains(QLatin1String("COLLATE BINARY")));
        RowEncoder encoder({FieldClass::Text}, {FieldClass::Text}, true);
        BatchQueue queue(100);
        const ScanStats stats = c.scan(r, encoder, queue);
        QCOMPARE(stats.rows, 4);
        QCOMPARE(stats.nullKeyRows, 1);
        queue.finish();
        auto batch = queue.pop();
        QStringList order;
        for (size_t i = 0; i < batch->size(); ++i)
            order << QString::fromUtf8(batch->displayKey(i).data(), qsizetype(batch->displayKey(i).size()));
        QCOMPARE(order.join(u' '), QStringLiteral("[\"A\"] [\"B\"] [\"a\"] [\"b\"]"));
        QCOMPARE(QFileInfo(path).lastModified(), before);
        QVERIFY(!QFileInfo::exists(path + QStringLiteral("-journal")));
    }

    void shouldReadAttachedSchemaNames()
    {
        const QString path = m_dir.filePath(QStringLiteral("schema.db"));
        SQLITE_EXEC(path, {QStringLiteral("CREATE TABLE \"we\"\"ird\" (\"order\" INTEGER PRIMARY KEY, \"select\" TEXT)"),
                           QStringLiteral("INSERT INTO \"we\"\"ird\" VALUES (2, 'x'), (10, 'y')")});
        SqliteConnector c(system(path));
        c.open();
        ScanRequest r;
        r.table = {QStringLiteral("main"), QStringLiteral("we\"ird")};
        const QList<ColumnInfo> cols =
            c.describe(r.table, {QStringLiteral("order"), QStringLiteral("select")});
        r.keys = {cols[0]};
        r.fields = {cols[1]};
        RowEncoder encoder({FieldClass::Numeric}, {FieldClass::Text}, true);
        BatchQueue queue(100);
        QCOMPARE(c.scan(r, encoder, queue).rows, 2);
        queue.finish();
        auto batch = queue.pop();
        QCOMPARE(QByteArray(batch->displayKey(0).data(), 3), QByteArray("[2]"));
    }
};

QTEST_GUILESS_MAIN(TestSqliteConnector)
#include "tst_sqliteconnector.moc"

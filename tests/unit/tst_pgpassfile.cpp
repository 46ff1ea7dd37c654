#include "connectors/PgPassFile.h"
#include "model/SyncError.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using syncdesk::PgPassFile;

// The console keeps PostgreSQL passwords in libpq's password file, never in the workspace.
class TestPgPassFile : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString read() const
    {
        QFile f(PgPassFile::path());
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }

private slots:
    void init() { qputenv("PGPASSFILE", m_dir.filePath(QStringLiteral("pgpass")).toUtf8()); }

    // Given a password typed twice for one server, database and user, the file holds one
    // line with the newest, escaped, readable by its owner only; other lines stay.
    void shouldKeepOneEscapedLinePerServerDatabaseAndUser()
    {
        QFile seed(PgPassFile::path());
        QVERIFY(seed.open(QIODevice::WriteOnly));
        seed.write("other:5432:*:bob:secret\n");
        seed.close();
        PgPassFile::store(QStringLiteral("host=db1 port=5433 dbname=warehouse user=alice"), QStringLiteral("first"));
        PgPassFile::store(QStringLiteral("postgresql://alice@db1:5433/warehouse"), QStringLiteral("p:a\\ss"));
        QCOMPARE(read(), QStringLiteral("db1:5433:warehouse:alice:p\\:a\\\\ss\nother:5432:*:bob:secret\n"));
        QCOMPARE(QFile::permissions(PgPassFile::path()) & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup),
                 QFile::Permissions());
    }

    // Given a string libpq cannot parse (with a password in it), the error does not repeat it.
    void shouldRefuseAConnectionStringThatDoesNotParse()
    {
        try {
            PgPassFile::store(QStringLiteral("host=db1 password='hunter2"), QStringLiteral("x"));
            QFAIL("no error");
        } catch (const syncdesk::SyncError &e) {
            QVERIFY(!e.message().contains(QLatin1String("hunter2")));
        }
    }
};

QTEST_GUILESS_MAIN(TestPgPassFile)
#include "tst_pgpassfile.moc"

#include "DemoCluster.h"

#include "DemoWorld.h"
#include "model/SyncError.h"

#include <QCollator>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QUuid>

#include <pwd.h>
#include <unistd.h>

namespace syncdesk {

namespace {

QString freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return QString::number(probe.serverPort());
}

} // namespace

QString DemoCluster::binaries()
{
    const QString given = qEnvironmentVariable("PGBIN");
    if (!given.isEmpty())
        return QFileInfo(given + QStringLiteral("/initdb")).isExecutable() ? given : QString();
    QStringList versions = QDir(QStringLiteral("/usr/lib/postgresql")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    QCollator numeric;
    numeric.setNumericMode(true);
    std::sort(versions.begin(), versions.end(), [&](const QString &a, const QString &b) { return numeric.compare(a, b) > 0; });
    for (const QString &v : versions) {
        const QString bin = QStringLiteral("/usr/lib/postgresql/%1/bin").arg(v);
        if (QFileInfo(bin + QStringLiteral("/initdb")).isExecutable() && QFileInfo(bin + QStringLiteral("/pg_ctl")).isExecutable())
            return bin;
    }
    return {};
}

DemoCluster::~DemoCluster()
{
    stop();
}

void DemoCluster::run(const QString &program, const QStringList &arguments, const QString &what) const
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (m_asPostgres)
        p.start(QStringLiteral("runuser"), QStringList{QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--"),
                                                       m_bin + u'/' + program} + arguments);
    else
        p.start(m_bin + u'/' + program, arguments);
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        const QString out = QString::fromLocal8Bit(p.readAll()).trimmed().section(u'\n', -3);
        throw SyncError(QStringLiteral("demo: %1 failed: %2").arg(what, out.isEmpty() ? p.errorString() : out));
    }
}

void DemoCluster::start(const QString &demoDir)
{
    m_bin = binaries();
    if (m_bin.isEmpty())
        throw SyncError(QStringLiteral("demo: no PostgreSQL server here (initdb, pg_ctl); install postgresql, "
                                       "set PGBIN, or run the SQLite demo"));
    m_asPostgres = geteuid() == 0;
    const passwd *pg = m_asPostgres ? getpwnam("postgres") : nullptr;
    if (m_asPostgres && !pg)
        throw SyncError(QStringLiteral("demo: PostgreSQL refuses to run as root and there is no 'postgres' "
                                       "user to run it as; run the demo as a normal user"));

    // Its own folder under /tmp: the server's user must reach it, whatever the demo folder is.
    QByteArray pattern = QDir::tempPath().toLocal8Bit() + "/syncdesk-demo-pg.XXXXXX";
    if (!mkdtemp(pattern.data()))
        throw SyncError(QStringLiteral("demo: cannot create a folder for PostgreSQL in %1").arg(QDir::tempPath()));
    m_data = QString::fromLocal8Bit(pattern);
    if (pg && chown(pattern.constData(), pg->pw_uid, pg->pw_gid) != 0)
        throw SyncError(QStringLiteral("demo: cannot hand %1 to the postgres user").arg(m_data));

    // A password of its own, so the loopback port is not open to every local user.
    const QString password = QUuid::createUuid().toString(QUuid::Id128);
    const QString pwfile = m_data + QStringLiteral("/pwfile");
    {
        QFile f(pwfile);
        if (!f.open(QIODevice::WriteOnly) || f.write(password.toUtf8() + '\n') < 0)
            throw SyncError(QStringLiteral("demo: cannot write %1").arg(pwfile));
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        if (pg && fchown(f.handle(), pg->pw_uid, pg->pw_gid) != 0)
            throw SyncError(QStringLiteral("demo: cannot hand %1 to the postgres user").arg(pwfile));
    }
    const QString data = m_data + QStringLiteral("/data");
    run(QStringLiteral("initdb"), {QStringLiteral("-D"), data, QStringLiteral("-U"), QStringLiteral("syncdesk"),
                                   QStringLiteral("--pwfile=") + pwfile, QStringLiteral("--auth=scram-sha-256"),
                                   QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--locale=C")},
        QStringLiteral("initdb"));
    QFile::remove(pwfile);
    {
        QFile conf(data + QStringLiteral("/postgresql.conf"));
        if (!conf.open(QIODevice::Append))
            throw SyncError(QStringLiteral("demo: cannot configure %1").arg(conf.fileName()));
        conf.write("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nwal_level = logical\n"
                   "max_replication_slots = 10\nmax_wal_senders = 10\nfsync = off\n");
        QFile hba(data + QStringLiteral("/pg_hba.conf"));
        if (!hba.open(QIODevice::WriteOnly | QIODevice::Truncate))
            throw SyncError(QStringLiteral("demo: cannot configure %1").arg(hba.fileName()));
        hba.write("host all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n");
    }

    // libpq (the engine's and Qt's) finds the password here; the workspace names no password.
    if (!QDir().mkpath(demoDir))
        throw SyncError(QStringLiteral("demo: cannot create the folder %1").arg(demoDir));
    const DemoPlace place{demoDir};
    const QString pgpass = place.passfile();
    QString port;
    for (int attempt = 0; attempt < 5 && port.isEmpty(); ++attempt) {
        const QString candidate = freePort();
        try {
            run(QStringLiteral("pg_ctl"), {QStringLiteral("-D"), data, QStringLiteral("-o"), QStringLiteral("-p ") + candidate,
                                           QStringLiteral("-l"), m_data + QStringLiteral("/server.log"), QStringLiteral("-w"),
                                           QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("start")},
                QStringLiteral("starting PostgreSQL"));
            port = candidate;
        } catch (const SyncError &) {
            if (attempt == 4)
                throw; // the port was taken each time, or the server cannot start: say why
        }
    }
    // Owner-only from its creation (and made so if an earlier run left one); libpq refuses a
    // password file others can read anyway.
    QFile::remove(pgpass);
    QFile pass(pgpass);
    const QByteArray line = QStringLiteral("127.0.0.1:%1:*:syncdesk:%2\n").arg(port, password).toUtf8();
    if (!pass.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || pass.write(line) != line.size() || !pass.flush())
        throw SyncError(QStringLiteral("demo: cannot write %1").arg(pgpass));
    pass.close();
    m_port = port.toInt();

    const QString name = QStringLiteral("demo-cluster-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(QStringLiteral("127.0.0.1"));
        db.setPort(port.toInt());
        db.setUserName(QStringLiteral("syncdesk"));
        db.setDatabaseName(QStringLiteral("postgres"));
        db.setConnectOptions(place.passfileOption());
        if (!db.open())
            throw SyncError(QStringLiteral("demo: cannot connect to the demo's PostgreSQL: %1").arg(db.lastError().text()));
        QSqlQuery q(db);
        // PostgreSQL 15.20+ loads only the decoding plugins it is told about.
        if (q.exec(QStringLiteral("SELECT 1 FROM pg_settings WHERE name = 'output_plugin_libraries'")) && q.next()) {
            q.exec(QStringLiteral("ALTER SYSTEM SET output_plugin_libraries = 'pgoutput', 'test_decoding', 'wal2json'"));
            q.exec(QStringLiteral("SELECT pg_reload_conf()"));
        }
        for (const char *database : {"warehouse", "sales", "portal"})
            if (!q.exec(QStringLiteral("CREATE DATABASE %1").arg(QLatin1String(database))))
                throw SyncError(QStringLiteral("demo: cannot create database %1: %2")
                                    .arg(QLatin1String(database), q.lastError().text()));
    }
    QSqlDatabase::removeDatabase(name);
}

void DemoCluster::stop()
{
    if (m_data.isEmpty())
        return;
    const QString data = m_data + QStringLiteral("/data");
    // Fast first; if something holds the shutdown up, immediate. The folder goes only once
    // the server is gone: removing it under a running server would orphan the server.
    for (const char *mode : {"fast", "immediate"}) {
        if (!QFile::exists(data + QStringLiteral("/postmaster.pid")))
            break;
        try {
            run(QStringLiteral("pg_ctl"), {QStringLiteral("-D"), data, QStringLiteral("-m"), QLatin1String(mode),
                                           QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("30"), QStringLiteral("stop")},
                QStringLiteral("stopping PostgreSQL"));
        } catch (const SyncError &e) {
            qWarning("%s", qPrintable(e.message()));
        }
    }
    if (QFile::exists(data + QStringLiteral("/postmaster.pid"))) {
        qWarning("demo: PostgreSQL in %s did not stop; its folder is kept", qPrintable(m_data));
        return;
    }
    QDir(m_data).removeRecursively();
    m_data.clear();
}

} // namespace syncdesk

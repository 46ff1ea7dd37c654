#pragma once

#include <QString>

namespace syncdesk {

// A throwaway PostgreSQL cluster for the demo: initdb into a temporary folder, a free loopback
// port, logical decoding on, a generated password kept in a pgpass file of the demo folder
// (never in the workspace, which names only that file), and the warehouse, sales and portal databases. Stopped and
// removed when the object goes. As root the server runs as the `postgres` OS user, because
// PostgreSQL refuses root.
class DemoCluster
{
public:
    DemoCluster() = default;
    ~DemoCluster(); // stops the server and removes its data
    DemoCluster(const DemoCluster &) = delete;
    DemoCluster &operator=(const DemoCluster &) = delete;

    // The folder of initdb and pg_ctl ($PGBIN, else the newest /usr/lib/postgresql/N/bin), or
    // empty when this machine has no PostgreSQL server.
    [[nodiscard]] static QString binaries();

    // Starts it; `demoDir` gets the pgpass file (DemoPlace::passfile), which every demo
    // connection names. Throws SyncError naming what failed.
    void start(const QString &demoDir);
    void stop();

    // Its port on 127.0.0.1, where user `syncdesk` owns the warehouse, sales and portal databases.
    [[nodiscard]] int port() const { return m_port; }

private:
    void run(const QString &program, const QStringList &arguments, const QString &what) const;

    QString m_bin;
    QString m_data;
    int m_port = 0;
    bool m_asPostgres = false;
};

} // namespace syncdesk

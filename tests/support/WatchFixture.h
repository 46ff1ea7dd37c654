#pragma once

#include "CliRun.h"
#include "TestPostgres.h"
#include "TestSqlite.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QStringList>

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

// What the tests of `syncdesk-cli watch` share: the running process read line by line, a
// PostgreSQL server of a test's own, and the devices fixture both sides start from.
namespace testsupport {

// A running `watch`: JSON lines on stdout, the human lines of what happens on stderr.
class WatchProcess
{
public:
    ~WatchProcess() { stop(); }
    void start(const QString &workspace, const QStringList &extra = {})
    {
        m_started = true;
        m_process.start(QStringLiteral(SYNCDESK_CLI_PATH),
                        QStringList{QStringLiteral("watch"), QStringLiteral("--workspace"), workspace,
                                    QStringLiteral("--events")} + extra);
        m_process.waitForStarted();
    }
    // The first stdout line not yet looked at matching `match`, within `timeoutMs`.
    std::optional<QJsonObject> waitFor(const std::function<bool(const QJsonObject &)> &match,
                                       int timeoutMs = 20000)
    {
        QElapsedTimer timer;
        timer.start();
        while (true) {
            read();
            while (m_next < m_events.size()) {
                const QJsonObject o = m_events[m_next++];
                if (match(o))
                    return o;
            }
            if (!waitMore(timer, timeoutMs))
                return std::nullopt;
        }
    }
    std::optional<QJsonObject> waitForStatus(const QString &key, const QString &status,
                                             int timeoutMs = 20000)
    {
        return waitFor(
            [&](const QJsonObject &o) {
                return o.value(u"key").toArray() == QJsonArray{key}
                       && o.value(u"status").toString() == status;
            },
            timeoutMs);
    }
    // Every key of `keys` reported with `status` among the stdout lines not yet looked at,
    // in whatever order they come.
    bool waitForStatuses(const QStringList &keys, const QString &status, int timeoutMs = 20000)
    {
        QElapsedTimer timer;
        timer.start();
        while (true) {
            read();
            QStringList missing = keys;
            for (qsizetype i = m_next; i < m_events.size(); ++i) {
                if (m_events[i].value(u"status").toString() == status)
                    missing.removeAll(m_events[i].value(u"key").toArray().at(0).toString());
            }
            if (missing.isEmpty())
                return true;
            if (!waitMore(timer, timeoutMs))
                return false;
        }
    }
    // Whether any stdout line so far (looked at or not) matches: for QTRY_VERIFY, when the
    // order of lines from different sources is not fixed.
    bool saw(const std::function<bool(const QJsonObject &)> &match)
    {
        read();
        return std::any_of(m_events.cbegin(), m_events.cend(), match);
    }
    bool sawStatus(const QString &key, const QString &status)
    {
        return saw([&](const QJsonObject &o) {
            return o.value(u"key").toArray() == QJsonArray{key} && o.value(u"status").toString() == status;
        });
    }
    bool waitReady(int timeoutMs = 30000)
    {
        return waitFor([](const QJsonObject &o) { return o.value(u"event").toString() == u"ready"; },
                       timeoutMs)
            .has_value();
    }
    // Until at least `count` stderr lines (since the start) contain `text`.
    bool waitForErr(const QString &text, int timeoutMs, int count = 1)
    {
        QElapsedTimer timer;
        timer.start();
        while (true) {
            read();
            if (errCount(text) >= count)
                return true;
            if (!waitMore(timer, timeoutMs))
                return false;
        }
    }
    // Keeps reading for `ms`: a window in which something must not happen (again).
    void observe(int ms)
    {
        QElapsedTimer timer;
        timer.start();
        while (waitMore(timer, ms))
            read();
        read();
    }
    int errCount(const QString &text)
    {
        read();
        return int(std::count_if(m_err.cbegin(), m_err.cend(),
                                 [&](const QString &line) { return line.contains(text); }));
    }
    QString errLine(const QString &text)
    {
        read();
        for (const QString &line : std::as_const(m_err))
            if (line.contains(text))
                return line;
        return {};
    }
    // A raw libpq line or a server NOTICE on stderr, if any.
    QString unwantedErrLine()
    {
        read();
        for (const QString &line : std::as_const(m_err))
            if (line.startsWith(QLatin1String("FATAL")) || line.contains(QLatin1String("NOTICE")))
                return line;
        return {};
    }
    // How many stdout lines so far, and how many status events from the `from`-th on.
    qsizetype eventCount()
    {
        read();
        return m_events.size();
    }
    int statusEventsSince(qsizetype from)
    {
        read();
        int n = 0;
        for (qsizetype i = from; i < m_events.size(); ++i)
            n += m_events[i].contains(u"status") ? 1 : 0;
        return n;
    }
    // SIGTERM (state flushed first); the exit code, -1 if it crashed, hung or never ran.
    int stop(int timeoutMs = 15000)
    {
        if (m_process.state() != QProcess::NotRunning)
            m_exitCode = testsupport::stopGracefully(m_process, timeoutMs);
        else if (!m_exitCode && m_started)
            m_exitCode = m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
        read();
        if (!m_errPartial.isEmpty())
            m_err << QString::fromUtf8(std::exchange(m_errPartial, {}));
        return m_exitCode.value_or(-1);
    }
    // The metrics page of a watch started with `--metrics 127.0.0.1:0` (the port it printed),
    // the HTTP response whole; empty when there is none.
    QByteArray metrics()
    {
        const QRegularExpression where(QStringLiteral("metrics at http://127.0.0.1:(\\d+)/metrics"));
        const auto match = where.match(transcript());
        if (!match.hasMatch())
            return {};
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(match.captured(1).toInt()));
        if (!socket.waitForConnected(5000))
            return {};
        socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray response;
        while (socket.waitForReadyRead(3000))
            response += socket.readAll();
        return response;
    }
    QString transcript()
    {
        read();
        const QByteArray state = m_process.state() == QProcess::Running
                                     ? QByteArray("running")
                                     : "exited with " + QByteArray::number(m_process.exitCode());
        // stderr first: QtTest shortens long messages from the end.
        return QString::fromUtf8("--- watch " + state + ", stderr ---\n")
               + m_err.join(u'\n') + QString::fromUtf8(m_errPartial)
               + QStringLiteral("\n--- stdout ---\n") + QString::fromUtf8(m_out.join());
    }

private:
    // Waits up to 100 ms for output; false once `timeoutMs` is over or the watch has gone.
    bool waitMore(const QElapsedTimer &timer, int timeoutMs)
    {
        const qint64 left = timeoutMs - timer.elapsed();
        if (left <= 0 || m_process.state() != QProcess::Running)
            return false;
        // Returns early on stdout only; stderr is read at least every 100 ms.
        m_process.waitForReadyRead(int(std::min<qint64>(left, 100)));
        return true;
    }
    void read()
    {
        while (m_process.canReadLine()) {
            const QByteArray line = m_process.readLine();
            m_out << line;
            m_events << QJsonDocument::fromJson(line).object();
        }
        m_errPartial += m_process.readAllStandardError();
        qsizetype nl;
        while ((nl = m_errPartial.indexOf('\n')) >= 0) {
            m_err << QString::fromUtf8(m_errPartial.left(nl));
            m_errPartial.remove(0, nl + 1);
        }
    }

    QProcess m_process;
    bool m_started = false;
    std::optional<int> m_exitCode;
    QByteArrayList m_out;
    QList<QJsonObject> m_events; // one per stdout line
    qsizetype m_next = 0;        // the first event waitFor has not looked at
    QStringList m_err;           // complete stderr lines
    QByteArray m_errPartial;
};

// A PostgreSQL server of the test's own (pg-fixture.sh), which it may kill or pause
// without disturbing the suite's.
struct PrivateServer
{
    QString dir;
    QString conninfo; // dbname=postgres
    QString port;

    static QString script() { return QStringLiteral(SYNCDESK_TEST_SUPPORT_DIR "/pg-fixture.sh"); }
    int run(const char *action) const
    {
        return QProcess::execute(QStringLiteral("bash"), {script(), QLatin1String(action), dir});
    }
    bool start(const QString &where, QString *error)
    {
        dir = where;
        QProcess p;
        p.start(QStringLiteral("bash"), {script(), QStringLiteral("start"), dir});
        if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            *error = QStringLiteral("pg-fixture.sh start failed: ")
                     + QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
            return false;
        }
        QFile info(dir + QStringLiteral("/conninfo"));
        QFile portFile(dir + QStringLiteral("/port"));
        if (!info.open(QIODevice::ReadOnly) || !portFile.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("pg-fixture.sh start wrote no conninfo or port in ") + dir;
            return false;
        }
        conninfo = QString::fromUtf8(info.readAll()).trimmed();
        port = QString::fromUtf8(portFile.readAll()).trimmed();
        return true;
    }
    // The workspace's "state" for a store in this server's postgres database.
    QString stateUri() const
    {
        return QStringLiteral("postgresql://postgres@127.0.0.1:%1/postgres").arg(port);
    }
    // Resumes a paused server (a no-op otherwise), so that nothing is left stopped.
    void unpause() const
    {
        if (!dir.isEmpty())
            run("unpause");
    }
    void stop() const
    {
        if (!dir.isEmpty())
            run("stop"); // unpauses first
    }
};

// Two PostgreSQL databases (or SQLite files) holding devices K1..K20 (sku, model, qty,
// updated_at) and a workspace with one flow "devices" comparing model and qty.
struct DevicesFixture
{
    bool postgres = true;
    QString prefix;             // names of databases, files and the workspace: "<prefix><n>_src"
    int number = 0;
    QString direction = QStringLiteral("one-way");
    int slaSeconds = 300;
    QString serverConninfo;     // another server than the suite's (dbname=postgres)
    QString state;              // the workspace's "state", when not the default
    QString policy = QStringLiteral("manual");
    bool policyDryRun = false;
    int extraRecords = 0;       // K21… on both sides, beyond the twenty

    // Writes everything into `dir`; returns the workspace's path, or empty with `error` set.
    QString create(const QDir &dir, QString *srcDb, QString *dstDb, QString *error) const
    {
        const QString ddl = QStringLiteral(
            "CREATE TABLE devices (sku text PRIMARY KEY, model text, qty integer, updated_at text)");
        QString rows = QStringLiteral("INSERT INTO devices VALUES ");
        for (int i = 1; i <= 20 + extraRecords; ++i)
            rows += QStringLiteral("%1('K%2', 'M%2', %2, '2026-01-01T00:00:00Z')")
                        .arg(i > 1 ? QStringLiteral(", ") : QString()).arg(i);
        QByteArray systems;
        for (const char *side : {"src", "dst"}) {
            QString conninfo, path;
            const QString name = QStringLiteral("%1%2_%3").arg(prefix).arg(number).arg(QLatin1String(side));
            if (postgres) {
                if (serverConninfo.isEmpty()) {
                    if (!createDatabase(name, &conninfo, error))
                        return {};
                } else {
                    conninfo = QString(serverConninfo).replace(QStringLiteral("dbname=postgres"),
                                                               QStringLiteral("dbname=") + name);
                    if (!pgExec(serverConninfo, QStringLiteral("CREATE DATABASE %1").arg(name), error))
                        return {};
                }
                if (!pgExec(conninfo, ddl + u';' + rows, error))
                    return {};
            } else {
                path = dir.filePath(name + QStringLiteral(".db"));
                if (!sqliteExec(path, {ddl, rows}, error))
                    return {};
            }
            (QLatin1String(side) == QLatin1String("src") ? *srcDb : *dstDb) = postgres ? conninfo : path;
            systems += (systems.isEmpty() ? "" : ",\n")
                       + (postgres ? QStringLiteral(R"({"name": "%1", "kind": "postgres", "conninfo": "%2"})")
                                         .arg(QLatin1String(side), conninfo)
                                   : QStringLiteral(R"({"name": "%1", "kind": "sqlite", "path": "%2"})")
                                         .arg(QLatin1String(side), path))
                             .toUtf8();
        }
        const QString updatedAt = postgres ? QString() : QStringLiteral(", \"updated_at\": \"updated_at\"");
        const QString stateKey = state.isEmpty() ? QString() : QStringLiteral("\"state\": \"%1\",").arg(state);
        const QByteArray json = QStringLiteral(R"({"version": 1, %1
            "systems": [%2],
            "flows": [{"name": "devices",
              "source": {"system": "src", "table": "devices"%3},
              "target": {"system": "dst", "table": "devices"%3},
              "key": ["sku"], "fields": ["model", "qty"],
              "direction": "%4", "sla_seconds": %5, "policy": "%6"%7}]})")
                                    .arg(stateKey, QString::fromUtf8(systems), updatedAt, direction)
                                    .arg(slaSeconds)
                                    .arg(policy, policyDryRun ? QStringLiteral(", \"policy_mode\": \"dry-run\"")
                                                              : QString())
                                    .toUtf8();
        return writeFile(dir, QStringLiteral("%1%2.json").arg(prefix).arg(number), json);
    }
};

// Runs `sql` on a PostgreSQL conninfo or an SQLite path.
inline bool runOn(bool postgres, const QString &db, const QString &sql, QString *error)
{
    return postgres ? pgExec(db, sql, error) : sqliteExec(db, {sql}, error);
}

// An UPDATE of one device that moves updated_at too, as applications that support polling do.
inline QString touch(const QString &set, const QString &sku)
{
    return QStringLiteral("UPDATE devices SET %1, updated_at = '%2' WHERE sku = '%3'")
        .arg(set, QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs), sku);
}

} // namespace testsupport

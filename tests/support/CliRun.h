#pragma once

#include <QByteArray>
#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QStringList>

#include <csignal>

// syncdesk-cli run to completion: the exit code (-1 if it crashed or hung) and both streams.
namespace testsupport {

struct CliRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Stops a running syncdesk-cli as an operator or systemd would (SIGTERM: state flushed first)
// and returns its exit code; -1 if it crashed or had to be killed after `timeoutMs`.
inline int stopGracefully(QProcess &process, int timeoutMs = 15000)
{
    if (process.state() == QProcess::NotRunning)
        return process.exitCode();
    ::kill(pid_t(process.processId()), SIGTERM);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return -1;
    }
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

// Starts `syncdesk-cli watch --workspace WS --events` as an agent named `host`
// (SYNCDESK_AGENT_HOST): as if on a machine of its own, whose process the other agents cannot
// see. True once it runs.
inline bool startAgent(QProcess &process, const QString &host, const QString &workspace)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SYNCDESK_AGENT_HOST"), host);
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(SYNCDESK_CLI_PATH), {QStringLiteral("watch"), QStringLiteral("--workspace"), workspace,
                                                      QStringLiteral("--events")});
    return process.waitForStarted();
}

// What a running process (a `watch`) has written so far, read on demand: wait for a text on
// either stream while collecting both.
struct ProcessOutput
{
    QProcess &process;
    QByteArray out;
    QByteArray err;

    bool waitOut(const QByteArray &needle, int timeoutMs) { return waitIn(out, needle, timeoutMs); }
    bool waitErr(const QByteArray &needle, int timeoutMs) { return waitIn(err, needle, timeoutMs); }

private:
    bool waitIn(const QByteArray &stream, const QByteArray &needle, int timeoutMs)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (!stream.contains(needle) && !deadline.hasExpired() && process.state() == QProcess::Running) {
            process.waitForReadyRead(50);
            out += process.readAllStandardOutput();
            err += process.readAllStandardError();
        }
        return stream.contains(needle);
    }
};

inline CliRun runCli(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(SYNCDESK_CLI_PATH), args);
    if (!p.waitForFinished(120000))
        return {};
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

// The workspace's audit log as `audit export --format json` writes it (empty if that fails).
inline QList<QJsonObject> auditEntries(const QString &ws)
{
    const QString file = ws + QStringLiteral(".audit.json");
    const CliRun r = runCli({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"), ws,
                             QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--out"), file});
    QFile f(file);
    QList<QJsonObject> out;
    if (r.exitCode != 0 || !f.open(QIODevice::ReadOnly))
        return out;
    for (const QJsonValue &v : QJsonDocument::fromJson(f.readAll()).array())
        out << v.toObject();
    return out;
}

} // namespace testsupport

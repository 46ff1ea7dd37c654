#pragma once

#include <QByteArray>
#include <QProcess>
#include <QStringList>

// syncdesk-cli run to completion: the exit code (-1 if it crashed or hung) and both streams.
namespace testsupport {

struct CliRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
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

} // namespace testsupport

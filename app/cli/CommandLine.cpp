#include "CommandLine.h"

#include "model/JsonText.h"
#include "model/WorkspaceLoader.h"

#include <cstdio>

#include <sched.h>

namespace syncdesk::cli {

void yieldToReader()
{
    // A pipe's write wakes its reader as a "sync" wake-up: the kernel expects the writer to
    // sleep next and may queue the reader on this very processor, behind whatever the writer
    // does after the line (persisting the batch, the event loop's next pass): about 20 µs of
    // a line's median latency here (live-bench.sh). Yielding once lets the reader run first.
    sched_yield();
}

void printError(const QString &message)
{
    const QByteArray line = "syncdesk-cli: " + message.toUtf8() + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}

QByteArray jsonString(const QString &s)
{
    QByteArray json;
    appendJsonString(json, s.toUtf8());
    return json;
}

void printOut(const QByteArray &text)
{
    std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
    std::fflush(stdout);
}

CommandLine::CommandLine(const QString &command, const QString &description) : m_command(command)
{
    m_parser.setApplicationDescription(description);
    m_parser.addHelpOption();
}

void CommandLine::addWorkspaceOptions()
{
    m_parser.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."), QStringLiteral("file")});
    m_parser.addOption({QStringLiteral("state"),
                        QStringLiteral("State store to use instead of the workspace's: a file, or a "
                                       "postgresql:// URI."),
                        QStringLiteral("store")});
}

std::optional<int> CommandLine::seconds(const QString &name) const
{
    bool ok = false;
    const int value = m_parser.value(name).toInt(&ok);
    if (ok && value >= 1)
        return value;
    printError(QStringLiteral("%1: --%2 must be a whole number of seconds").arg(m_command, name));
    return std::nullopt;
}

Workspace CommandLine::workspace() const
{
    Workspace ws = WorkspaceLoader::load(m_parser.value(QStringLiteral("workspace")));
    if (m_parser.isSet(QStringLiteral("state")))
        WorkspaceLoader::overrideState(ws, m_parser.value(QStringLiteral("state")));
    return ws;
}

int CommandLine::parse(const QStringList &arguments, const QStringList &required,
                       const QStringList &actions, QString *action)
{
    // The action comes first (`slots list --workspace W`); it is checked after the options so
    // that --help works without one.
    QStringList rest = arguments;
    const bool given = rest.size() > 1 && !rest[1].startsWith(u'-');
    *action = given ? rest.takeAt(1) : QString();
    const int code = parse(rest, required);
    if (code >= 0)
        return code;
    if (!actions.contains(*action)) {
        printError(QStringLiteral("%1: say %2 (see syncdesk-cli %1 --help)")
                       .arg(m_command, actions.join(QStringLiteral(" or "))));
        return 2;
    }
    return -1;
}

int CommandLine::parse(const QStringList &arguments, const QStringList &required)
{
    if (!m_parser.parse(arguments)) {
        printError(QStringLiteral("%1: %2 (see syncdesk-cli %1 --help)")
                       .arg(m_command, m_parser.errorText()));
        return 2;
    }
    if (m_parser.isSet(QStringLiteral("help"))) {
        QString help = m_parser.helpText();
        // QCommandLineParser names the program only; show the subcommand as users type it.
        help.replace(QStringLiteral("Usage: %1").arg(arguments.value(0)),
                     QStringLiteral("Usage: syncdesk-cli %1").arg(m_command));
        printOut(help.toUtf8());
        return 0;
    }
    for (const QString &name : required) {
        if (!m_parser.isSet(name)) {
            printError(QStringLiteral("%1: --%2 is required (see syncdesk-cli %1 --help)")
                           .arg(m_command, name));
            return 2;
        }
    }
    if (!m_parser.positionalArguments().isEmpty()) {
        printError(QStringLiteral("%1: unexpected argument '%2' (see syncdesk-cli %1 --help)")
                       .arg(m_command, m_parser.positionalArguments().first()));
        return 2;
    }
    return -1;
}

} // namespace syncdesk::cli

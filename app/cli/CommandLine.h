#pragma once

#include "model/Workspace.h"

#include <QCommandLineParser>
#include <QStringList>

#include <optional>

namespace syncdesk::cli {

// A subcommand's parser that keeps the Contract's exit codes: --help prints and exits 0, a
// usage error prints one line to stderr and exits 2 (QCommandLineParser::process would exit 1).
class CommandLine
{
public:
    CommandLine(const QString &command, const QString &description);

    QCommandLineParser &parser() { return m_parser; }

    // --workspace FILE and --state STORE (an agent keeps its state apart from the file), for
    // the commands that read or write the state store.
    void addWorkspaceOptions();
    // The workspace those options name; throws SyncError naming what is wrong.
    [[nodiscard]] Workspace workspace() const;

    // The value of option `name` as a whole number of seconds (at least 1); nullopt, with the
    // one line on stderr that says so, when it is not one.
    [[nodiscard]] std::optional<int> seconds(const QString &name) const;

    // Returns -1 to go on, or the exit code to return now.
    [[nodiscard]] int parse(const QStringList &arguments, const QStringList &required);
    // The same for commands that take one action word first (`slots list`): `action` gets it.
    [[nodiscard]] int parse(const QStringList &arguments, const QStringList &required,
                            const QStringList &actions, QString *action);

private:
    QString m_command;
    QCommandLineParser m_parser;
};

void printError(const QString &message);
// `s` as a JSON string literal, quotes included.
[[nodiscard]] QByteArray jsonString(const QString &s);
void printOut(const QByteArray &text);
// After a batch of lines whose reader waits on them (watch --events): the reader, just woken
// by the write, is handed the processor now rather than after this process's next sleep.
void yieldToReader();

} // namespace syncdesk::cli

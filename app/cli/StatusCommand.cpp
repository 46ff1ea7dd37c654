#include "StatusCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "StatusTable.h"
#include "TerminalScreen.h"
#include "engine/DeskStatus.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace syncdesk::cli {

int StatusCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("status"),
                   QStringLiteral(
                       "Shows the desk as the last `watch` (or agent, or console) saw it: per flow "
                       "its state, records\nby status, oldest pending and p95 lag against the "
                       "SLA; per system its connection and feed;\nthe alerts. Read from the state "
                       "store, which a running watch updates about once a second.\n\n"
                       "Exit status: 0 healthy; 1 a flow is late, has conflicts, or a system or "
                       "flow is failing;\n2 it cannot tell: no state store, nothing persisted yet, "
                       "a snapshot older than --max-age\n(no watch is running), or an unreadable "
                       "store."));
    QCommandLineParser &p = cl.parser();
    cl.addWorkspaceOptions();
    p.addOption({QStringLiteral("json"),
                 QStringLiteral("Print the snapshot as one JSON object (flows, systems, alerts, "
                                "taken_at, age_ms, health).")});
    p.addOption({QStringLiteral("max-age"),
                 QStringLiteral("Seconds after which a snapshot is too old to vouch for the desk "
                                "(default 60)."),
                 QStringLiteral("seconds"), QStringLiteral("60")});
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")}); code >= 0)
        return code;
    const std::optional<int> maxAgeSeconds = cl.seconds(QStringLiteral("max-age"));
    if (!maxAgeSeconds)
        return ExitFailure;
    const int maxAge = *maxAgeSeconds;
    try {
        const Workspace ws = cl.workspace();
        // Opening an SQLite store creates it: a missing one means no watch ever ran here.
        if (!isStateUri(ws.state) && !QFileInfo::exists(ws.state)) {
            printError(QStringLiteral("status: no state store at %1: no watch has run on this "
                                      "workspace (or --state names another store)").arg(ws.state));
            return ExitFailure;
        }
        const auto store = StateStore::open(ws);
        const auto stored = store->deskStatus();
        const std::optional<DeskStatus> desk = stored ? DeskStatus::fromJson(stored->second) : std::nullopt;
        if (!desk) {
            printError(QStringLiteral("status: the state store %1 holds no desk status yet: start "
                                      "`syncdesk-cli watch` (or the agent)").arg(ws.state));
            return ExitFailure;
        }
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const qint64 age = std::max<qint64>(0, now - desk->takenAtMs);
        const bool stale = age > qint64(maxAge) * 1000;
        const int health = desk->health();
        // On a team's store: which agent watches the desk (DeskLease), if any does.
        const std::optional<AgentLease> lease = isStateUri(ws.state) ? store->lease() : std::nullopt;
        const bool leaseLive = lease && lease->expiresAtMs > store->nowMs();
        if (p.isSet(QStringLiteral("json"))) {
            QJsonObject o = QJsonDocument::fromJson(stored->second).object();
            if (lease)
                o.insert(QStringLiteral("agent"), QJsonObject{{QStringLiteral("host"), lease->host},
                                                              {QStringLiteral("pid"), lease->pid},
                                                              {QStringLiteral("since_ms"), lease->takenAtMs},
                                                              {QStringLiteral("heartbeat_ms"), lease->heartbeatAtMs},
                                                              {QStringLiteral("lease_live"), leaseLive}});
            o.insert(QStringLiteral("age_ms"), age);
            o.insert(QStringLiteral("health"), stale ? QStringLiteral("unknown")
                                               : health == 0 ? QStringLiteral("healthy")
                                                             : QStringLiteral("attention"));
            printOut(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        } else {
            StatusTable::Options options;
            options.width = TerminalScreen::isTerminal() ? TerminalScreen::width() : 100;
            options.colour = TerminalScreen::isTerminal() && TerminalScreen::wantsColour();
            options.title = QFileInfo(ws.filePath).fileName();
            options.nowMs = now;
            printOut(StatusTable::render(*desk, options).join(u'\n').toUtf8() + '\n');
            if (isStateUri(ws.state)) {
                const auto at = [](qint64 ms) {
                    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
                };
                printOut((!lease ? QStringLiteral("Agent: none holds the desk")
                                 : QStringLiteral("Agent: %1, pid %2, watching since %3; last heartbeat %4%5")
                                       .arg(lease->host)
                                       .arg(lease->pid)
                                       .arg(at(lease->takenAtMs), at(lease->heartbeatAtMs),
                                            leaseLive ? QString() : QStringLiteral(" (lapsed)")))
                             .toUtf8()
                         + '\n');
            }
        }
        if (stale) {
            printError(QStringLiteral("status: the last snapshot is %1 old (--max-age %2 s): is a "
                                      "watch running?").arg(StatusTable::duration(age)).arg(maxAge));
            return ExitFailure;
        }
        return health == 0 ? ExitOk : ExitDifferences;
    } catch (const SyncError &e) {
        printError(e.message());
        return ExitFailure;
    }
}

} // namespace syncdesk::cli

#include "StatusCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "StatusTable.h"
#include "TerminalScreen.h"
#include "engine/DeskStatus.h"
#include "model/SyncError.h"
#include "state/StateStore.h"
#include "team/DeskLease.h"
#include "team/FlowGroups.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

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
        // One row per engine (agents each watching a share of a team's flows), put together.
        QStringList flowNames;
        for (const FlowSpec &f : ws.flows)
            flowNames.append(f.name);
        const QList<std::pair<qint64, QByteArray>> statuses = store->deskStatuses();
        const std::optional<DeskStatus> desk = DeskStatus::merged(statuses, flowNames);
        if (!desk) {
            printError(QStringLiteral("status: the state store %1 holds no desk status yet: start "
                                      "`syncdesk-cli watch` (or the agent)").arg(ws.state));
            return ExitFailure;
        }
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const qint64 age = std::max<qint64>(0, now - desk->takenAtMs);
        const bool stale = age > qint64(maxAge) * 1000;
        // On a team's store: which agents watch which of the desk's flows (DeskLease), and
        // which flows nobody watches (no live lease, or no status written for them).
        struct Watcher
        {
            AgentLease lease; // its first flow's
            QStringList flows;
        };
        QList<Watcher> watchers;
        QStringList unwatched;
        qint64 storeNow = 0;
        if (isStateUri(ws.state)) {
            storeNow = store->nowMs();
            const QList<AgentLease> rows = store->leases();
            // A flow between two agents (one gave it up, the other takes it within seconds)
            // is not unwatched while the status written for it is this fresh (the store's clock).
            const qint64 handOverMs = DeskLease::TtlMs + 2 * DeskLease::RetryMs;
            QSet<QString> fresh;
            for (const auto &[at, json] : statuses)
                if (storeNow - at <= handOverMs)
                    if (const auto d = DeskStatus::fromJson(json))
                        for (const DeskStatus::Flow &f : d->flows)
                            fresh.insert(f.name);
            for (const FlowSpec &f : ws.flows) {
                const auto row = std::find_if(rows.cbegin(), rows.cend(), [&f](const AgentLease &r) {
                    return r.name == FlowGroups::leaseOf(f.name);
                });
                const bool shown = std::any_of(desk->flows.cbegin(), desk->flows.cend(),
                                               [&f](const DeskStatus::Flow &d) { return d.name == f.name; });
                if (!shown || ((row == rows.cend() || row->expiresAtMs <= storeNow) && !fresh.contains(f.name)))
                    unwatched.append(f.name);
                if (row == rows.cend())
                    continue;
                const auto w = std::find_if(watchers.begin(), watchers.end(),
                                            [&row](const Watcher &x) { return x.lease.agent == row->agent; });
                if (w == watchers.end())
                    watchers.append({*row, {f.name}});
                else
                    w->flows.append(f.name);
            }
        }
        // A flow nobody watches needs a person as much as a late one.
        const int health = unwatched.isEmpty() ? desk->health() : 1;
        if (p.isSet(QStringLiteral("json"))) {
            QJsonObject o = QJsonDocument::fromJson(desk->toJson()).object();
            QJsonArray agents;
            for (const Watcher &w : std::as_const(watchers))
                agents.append(QJsonObject{{QStringLiteral("host"), w.lease.host},
                                          {QStringLiteral("pid"), w.lease.pid},
                                          {QStringLiteral("since_ms"), w.lease.takenAtMs},
                                          {QStringLiteral("heartbeat_ms"), w.lease.heartbeatAtMs},
                                          {QStringLiteral("lease_live"), w.lease.expiresAtMs > storeNow},
                                          {QStringLiteral("flows"), QJsonArray::fromStringList(w.flows)}});
            if (!agents.isEmpty()) {
                o.insert(QStringLiteral("agent"), agents.first()); // the one that watches the first flow
                o.insert(QStringLiteral("agents"), agents);
            }
            if (!unwatched.isEmpty())
                o.insert(QStringLiteral("unwatched_flows"), QJsonArray::fromStringList(unwatched));
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
                QStringList lines;
                for (const Watcher &w : std::as_const(watchers))
                    lines.append(QStringLiteral("Agent: %1, pid %2, watching %3since %4; last heartbeat %5%6")
                                     .arg(w.lease.host)
                                     .arg(w.lease.pid)
                                     .arg(w.flows.size() == ws.flows.size()
                                              ? QString()
                                              : QStringLiteral("flows %1 ").arg(w.flows.join(QStringLiteral(", "))),
                                          at(w.lease.takenAtMs), at(w.lease.heartbeatAtMs),
                                          w.lease.expiresAtMs > storeNow ? QString() : QStringLiteral(" (lapsed)")));
                if (watchers.isEmpty())
                    lines.append(QStringLiteral("Agent: none holds the desk"));
                else if (!unwatched.isEmpty())
                    lines.append(QStringLiteral("Agent: none watches flows %1").arg(unwatched.join(QStringLiteral(", "))));
                printOut(lines.join(u'\n').toUtf8() + '\n');
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

#include "WatchCommand.h"

#include "CommandLine.h"
#include "audit/ReportAnchors.h"
#include "ExitCode.h"
#include "SignalWatcher.h"
#include "StatusTable.h"
#include "TerminalScreen.h"
#include "engine/DeskStatus.h"
#include "engine/FirstComparisonCheck.h"
#include "engine/LiveEngine.h"
#include "metrics/MetricsServer.h"
#include "metrics/MetricsText.h"
#include "model/Canonical.h"
#include "model/SyncError.h"
#include "policy/PolicyRunner.h"
#include "probe/ProbeMonitor.h"
#include "team/DeskLease.h"
#include "team/FlowSnapshots.h"
#include "team/LivePublisher.h"
#include "probe/ProbeTable.h"
#include "resolution/ResolutionService.h"
#include "state/StateStore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QFile>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>

namespace syncdesk::cli {

namespace {

QByteArray isoNow(qint64 ms)
{
    std::string text;
    canonical::appendIsoMs(ms, text);
    return QByteArray::fromStdString(text);
}

// {"ts","flow","event", …members}: one line of a flow's events on stdout.
QByteArray eventLine(qint64 ms, const QString &flow, const char *event, const QByteArray &members = {})
{
    return "{\"ts\":\"" + isoNow(ms) + "\",\"flow\":" + jsonString(flow) + ",\"event\":\"" + event + '"'
           + members + "}\n";
}

} // namespace

int WatchCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("watch"),
                   QStringLiteral(
                       "Watches every flow of a workspace live: a first full comparison, then "
                       "change feeds keep\nevery record's status and lag current until SIGINT or "
                       "SIGTERM (state is flushed first).\n\n"
                       "Feeds (each system's \"feed\", default auto, reported in the metrics): "
                       "PostgreSQL uses logical\ndecoding (wal2json) through a replication slot "
                       "named syncdesk_<workspace>_<system>, created on\nfirst watch and kept so a "
                       "restart replays what happened meanwhile; where that is not allowed,\nthe "
                       "notify trigger (syncdesk-cli feed install-sql), else polling the flow "
                       "sides' \"updated_at\",\nelse rescans. An abandoned slot makes the server "
                       "retain WAL: `syncdesk-cli slots drop` when a\nworkspace is retired. SQLite "
                       "is polled (PRAGMA data_version; rows by \"updated_at\" when given,\n"
                       "otherwise a rescan). A verification scan runs every --verify-interval "
                       "seconds.\n\nOn a terminal (and without --events or --quiet) it shows a "
                       "live table of flows, systems and\nalerts, refreshed every second; keys: q "
                       "quits (state flushed), f cycles a flow filter.\nColours follow NO_COLOR and "
                       "TERM.\n\nOutages, hangs and schema changes are one line each on stderr when they start and one\nwhen they end.\n\nExit status: 0 after a clean stop, 2 bad input or failure, or state that could not be\nsaved at the stop (the feeds then replay what was not confirmed)."));
    QCommandLineParser &p = cl.parser();
    cl.addWorkspaceOptions();
    p.addOption({QStringLiteral("events"),
                 QStringLiteral("Print one JSON line per status change: {\"ts\",\"flow\",\"key\","
                                "\"status\",\"lag_ms\"}, and {\"ts\",\"flow\",\"event\":\"ready\"} "
                                "once a flow's first comparison is done.")});
    p.addOption({QStringLiteral("metrics"),
                 QStringLiteral("Serve Prometheus metrics at http://HOST:PORT/metrics (port 0: a "
                                "free port, named on stderr)."),
                 QStringLiteral("host:port")});
    p.addOption({QStringLiteral("quiet"),
                 QStringLiteral("No live table on a terminal: only the lines of what happens "
                                "(systems lost and back, flows live or failing) on stderr.")});
    p.addOption({QStringLiteral("table"),
                 QStringLiteral("The live table even when standard output is not a terminal: a "
                                "frame every 5 seconds, without colours (as the headless demo "
                                "shows it). On a terminal it is the default.")});
    p.addOption({QStringLiteral("anchor-file"),
                 QStringLiteral("Also append the audit log's head to FILE whenever it moved (checked every "
                                "minute): a head-hash history to keep where the log's writers cannot "
                                "reach, for `audit verify --against FILE`."),
                 QStringLiteral("file")});
    p.addOption({QStringLiteral("verify-interval"),
                 QStringLiteral("Seconds between verification scans (default 600)."),
                 QStringLiteral("seconds"), QStringLiteral("600")});
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")}); code >= 0)
        return code;

    const std::optional<int> verifySeconds = cl.seconds(QStringLiteral("verify-interval"));
    if (!verifySeconds)
        return ExitFailure;
    const QString anchorFile = p.value(QStringLiteral("anchor-file"));
    if (!anchorFile.isEmpty()) {
        // Refused now rather than found unwritable an hour in; a new file gets its header.
        QFile f(anchorFile);
        const bool fresh = !f.exists() || f.size() == 0;
        if (!f.open(QIODevice::Append | QIODevice::Text)
            || (fresh && f.write(ReportAnchors::HeadHistoryHeader) < 0)) {
            printError(QStringLiteral("watch: cannot append to the anchor file %1: %2").arg(anchorFile, f.errorString()));
            return ExitFailure;
        }
    }
    bool ok = false;
    QHostAddress metricsHost;
    quint16 metricsPort = 0;
    if (p.isSet(QStringLiteral("metrics"))) {
        const QString spec = p.value(QStringLiteral("metrics"));
        const qsizetype colon = spec.lastIndexOf(u':');
        const uint port = spec.mid(colon + 1).toUInt(&ok);
        QString host = spec.left(colon);
        if (host.startsWith(u'[') && host.endsWith(u']'))
            host = host.mid(1, host.size() - 2);
        if (colon < 0 || !ok || port > 65535 || !metricsHost.setAddress(host)) {
            printError(QStringLiteral("watch: --metrics must be HOST:PORT with a numeric address "
                                      "(e.g. 127.0.0.1:9187), got '%1'").arg(spec));
            return ExitFailure;
        }
        metricsPort = quint16(port);
    }

    try {
        const Workspace ws = cl.workspace();
        SignalWatcher stopSignals;
        bool stopRequested = false;
        // On a team's store, agents share the desk: each watches its share of the flows, the
        // others take over what one leaves when it dies or stops (DeskLease).
        std::unique_ptr<DeskLease> lease;
        if (DeskLease::applies(ws))
            lease = std::make_unique<DeskLease>(ws);
        // Until this agent holds some of the desk's flows (true), or is told to stop (false).
        const auto standBy = [&]() -> bool {
            QEventLoop standby;
            QString told; // the holders or problem last said
            const auto attempt = [&] {
                try {
                    const DeskLease::Plan plan = lease->plan();
                    lease->release(plan.release); // nothing runs for them
                    if (!plan.take.isEmpty() && lease->take(plan.take)) {
                        standby.quit();
                        return;
                    }
                    const QString holders = lease->holdersKey();
                    if (std::exchange(told, holders) != holders)
                        printError(QStringLiteral("standing by: the desk is watched by %1").arg(lease->holdersText()));
                } catch (const SyncError &e) {
                    if (std::exchange(told, e.message()) != e.message())
                        printError(QStringLiteral("standing by: %1 (retrying)").arg(e.message()));
                }
            };
            QTimer attempts;
            QObject::connect(&attempts, &QTimer::timeout, attempt);
            const auto stopping = QObject::connect(&stopSignals, &SignalWatcher::stopRequested, [&] {
                stopRequested = true;
                standby.quit();
            });
            attempt();
            if (lease->held().isEmpty()) {
                attempts.start(DeskLease::RetryMs);
                standby.exec();
                attempts.stop();
            }
            QObject::disconnect(stopping);
            return !stopRequested;
        };

        const bool events = p.isSet(QStringLiteral("events"));
        // The live table: on a terminal unless told otherwise; on demand elsewhere (frames).
        const bool onTerminal = TerminalScreen::isTerminal();
        const bool table = !events && !p.isSet(QStringLiteral("quiet"))
                           && (onTerminal || p.isSet(QStringLiteral("table")));
        const bool drawInPlace = table && onTerminal;
        int exitCode = ExitOk;

        // The engine of the round that runs: what the metrics tell, across rounds.
        LiveEngine *current = nullptr;
        PolicyRunner *currentPolicies = nullptr;
        std::unique_ptr<MetricsServer> metrics;
        if (p.isSet(QStringLiteral("metrics"))) {
            metrics = std::make_unique<MetricsServer>(
                [&current, &currentPolicies] {
                    // Standing by, an agent has nothing to tell yet.
                    return current ? metricsText(*current, QDateTime::currentMSecsSinceEpoch(), currentPolicies)
                                   : QByteArray();
                });
            QString error;
            if (!metrics->listen(metricsHost, metricsPort, &error)) {
                printError(QStringLiteral("watch: cannot serve metrics on %1: %2")
                               .arg(p.value(QStringLiteral("metrics")), error));
                return ExitFailure;
            }
            // Port 0 picks a free one: say which.
            printError(QStringLiteral("metrics at http://%1:%2/metrics")
                           .arg(metricsHost.protocol() == QAbstractSocket::IPv6Protocol
                                    ? u'[' + metricsHost.toString() + u']'
                                    : metricsHost.toString())
                           .arg(metrics->port()));
        }

        std::unique_ptr<StateStore> store;
        try {
            // A resolve killed between its steps left an intent open: close it now.
            store = StateStore::open(ws);
            if (const int closed = ResolutionService(ws, *store).closeOpenIntents())
                printError(QStringLiteral("closed %1 interrupted resolution(s) in the audit log").arg(closed));
        } catch (const SyncError &e) {
            printError(QStringLiteral("cannot check interrupted resolutions yet: %1").arg(e.message()));
        }
        // The audit log's head, told to the journal whenever it moved (checked every minute):
        // a record outside the writers' reach, which `audit verify --expect-head` checks the
        // log against, so a log rewritten and chained again, or cut short, is caught.
        QTimer anchors;
        qint64 anchoredSeq = -1;
        const auto anchorHead = [&store, &anchoredSeq, &ws, &anchorFile] {
            try {
                if (!store)
                    store = StateStore::open(ws); // it was away at the start
                const AuditRow head = store->auditHead();
                if (head.seq == anchoredSeq || head.seq == 0)
                    return;
                printError(QStringLiteral("audit head: entry %1, hash %2").arg(head.seq).arg(QString::fromLatin1(head.hash)));
                if (!anchorFile.isEmpty()) {
                    QFile f(anchorFile);
                    const QByteArray line = ReportAnchors::headHistoryLine(QDateTime::currentDateTimeUtc(), head.seq,
                                                                          head.hash);
                    if (!f.open(QIODevice::Append | QIODevice::Text) || f.write(line) != line.size() || !f.flush()) {
                        // Not marked as anchored: the next minute tries again.
                        printError(QStringLiteral("cannot append the audit head to %1: %2").arg(anchorFile, f.errorString()));
                        return;
                    }
                }
                anchoredSeq = head.seq;
            } catch (const SyncError &) {
                // the store is away: the engine says so; the next minute tries again
            }
        };
        anchors.setInterval(60000);
        QObject::connect(&anchors, &QTimer::timeout, anchorHead);
        anchors.start();
        anchorHead();
        // One round per share of the desk this agent holds: the whole workspace without a team's
        // store; on one, the flows of the leases it holds, until that share moves (an agent came
        // or went, a lease was lost), then again with the new share.
        const auto runRound = [&]() -> std::optional<DeskLease::Plan> {
            Workspace watched = ws;
            LiveEngine::Options options;
            options.verifyIntervalMs = *verifySeconds * 1000;
            // The leases as of now, once: what the engine watches and what fences its writes
            // must be the same set (the heartbeat may drop one meanwhile; the round then ends).
            const QStringList share = lease ? lease->held() : QStringList();
            if (lease) {
                if (share.isEmpty())
                    return DeskLease::Plan{}; // lost since: stand by again
                watched = lease->watched(share);
                // From here on the engine writes only while this agent holds these leases.
                options.lease = {lease->id(), share};
                if (lease->isWholeDesk(share)) {
                    printError(QStringLiteral("this agent watches the desk (lease %1)").arg(lease->id()));
                } else {
                    QStringList flows;
                    for (const FlowSpec &f : watched.flows)
                        flows.append(f.name);
                    printError(QStringLiteral("this agent watches flows %1 of the desk (lease %2)")
                                   .arg(flows.join(QStringLiteral(", ")), lease->id()));
                }
            }
            QEventLoop round;
            LiveEngine engine(watched, options);
            // Before start(): it must hear every flow become ready.
            PolicyRunner policies(engine);
            // On a team's store, what the engine sees is published for consoles that attach
            // (before start(), too: the first comparisons' lists are what they read first).
            FlowSnapshots snapshots(engine, &policies);
            std::unique_ptr<LivePublisher> publisher;
            if (LivePublisher::publishes(watched))
                publisher = std::make_unique<LivePublisher>(watched, options.lease, engine, snapshots);
            current = &engine;
            currentPolicies = &policies;
            QObject::connect(&engine, &LiveEngine::statusEvents, [events](const QList<StatusEvent> &list) {
                if (!events)
                    return;
                // Written per 64 KiB and at the end of the batch, so every line is out as soon as
                // it is known, and a first comparison's million lines never sit in memory at once.
                constexpr qsizetype Chunk = 64 * 1024;
                QByteArray out;
                out.reserve(std::min<qsizetype>(Chunk + 1024, list.size() * 128));
                for (const StatusEvent &e : list) {
                    out += "{\"ts\":\"" + isoNow(e.tsMs) + "\",\"flow\":" + jsonString(e.flow)
                           + ",\"key\":" + e.keyJson + ",\"status\":\"" + statusName(e.status).toUtf8()
                           + "\",\"lag_ms\":" + QByteArray::number(e.lagMs) + "}\n";
                    if (out.size() >= Chunk) {
                        printOut(out);
                        out.resize(0); // keeps the capacity
                    }
                }
                if (!out.isEmpty())
                    printOut(out);
                yieldToReader();
            });
            // Drawn in place, the table is the report: lines on stderr would tear it.
            const auto say = [drawInPlace](const QString &line) {
                if (!drawInPlace)
                    printError(line);
            };
            QObject::connect(&engine, &LiveEngine::flowReady, [&engine, events, say](const QString &flow) {
                const LiveEngine::Comparison c = engine.comparison(flow);
                if (events)
                    printOut(eventLine(QDateTime::currentMSecsSinceEpoch(), flow, "ready",
                                       ",\"order\":" + jsonString(c.order)));
                else
                    say(QStringLiteral("flow '%1' is live (first comparison: %2 records, %3 order)")
                            .arg(flow).arg(c.expected).arg(c.order));
            });
            // One line per incident: when it starts, and when it ends.
            QObject::connect(&engine, &LiveEngine::systemChanged,
                             [say](const QString &system, bool connected, const QString &error, qint64 downForMs) {
                                 say(connected ? QStringLiteral("system '%1' back after %2 s")
                                                     .arg(system).arg(double(downForMs) / 1000, 0, 'f', 1)
                                               : QStringLiteral("system '%1' unavailable: %2 (retrying)").arg(system, error));
                             });
            QObject::connect(&engine, &LiveEngine::stateStoreChanged, [say](bool available, const QString &error) {
                say(available ? QStringLiteral("state store back: changes written")
                              : QStringLiteral("state store unavailable: %1; keeping changes in memory (retrying)")
                                    .arg(error));
            });
            QObject::connect(&engine, &LiveEngine::flowError, [say](const QString &flow, const QString &error) {
                say(QStringLiteral("flow '%1': %2 (retrying)").arg(flow, error));
            });
            QObject::connect(&engine, &LiveEngine::flowRecovered, [say](const QString &flow) {
                say(QStringLiteral("flow '%1' recovered").arg(flow));
            });
            // The first comparison's differences, read again after the flow's p99 lag.
            FirstComparisonCheck &checks = engine.firstChecks();
            QObject::connect(&checks, &FirstComparisonCheck::scheduled,
                             [say](const QString &flow, qint64 outOfSync, qint64 waitMs, const QString &basis) {
                                 say(QStringLiteral("flow '%1': %2 record(s) out of sync at the first comparison; "
                                                    "reading them again in %3 s (%4)")
                                         .arg(flow).arg(outOfSync).arg(double(waitMs) / 1000, 0, 'f', 1).arg(basis));
                             });
            QObject::connect(&checks, &FirstComparisonCheck::confirmed,
                             [events, say](const QString &flow, const DiffResult::Confirmation &c) {
                                 if (events)
                                     printOut(eventLine(QDateTime::currentMSecsSinceEpoch(), flow, "first_comparison_checked",
                                                        ",\"in_flight\":" + QByteArray::number(c.inFlight)
                                                            + ",\"confirmed\":" + QByteArray::number(c.confirmed)
                                                            + ",\"wait_ms\":" + QByteArray::number(c.waitedMs)
                                                            + ",\"wait_basis\":" + jsonString(c.waitBasis)));
                                 say(QStringLiteral("flow '%1': of the records out of sync at the first comparison, %2 "
                                                    "were in flight and %3 are confirmed")
                                         .arg(flow).arg(c.inFlight).arg(c.confirmed));
                             });
            QObject::connect(&checks, &FirstComparisonCheck::failed, [say](const QString &flow, const QString &error) {
                say(QStringLiteral("flow '%1': the first comparison's differences could not be read again: %2")
                        .arg(flow, error));
            });
            // Tracer probes: each arrival with --events; a stall, and the end of one, as incidents.
            ProbeMonitor &probes = engine.probes();
            QSet<QString> probed; // flows whose first probe was announced
            QObject::connect(&probes, &ProbeMonitor::arrived, [events, say, &probed](const QString &flow, qint64 lagMs) {
                if (events)
                    printOut(eventLine(QDateTime::currentMSecsSinceEpoch(), flow, "probe",
                                       ",\"lag_ms\":" + QByteArray::number(lagMs)));
                if (!probed.contains(flow)) {
                    probed.insert(flow);
                    say(QStringLiteral("flow '%1': first probe arrived after %2 s").arg(flow).arg(double(lagMs) / 1000, 0, 'f', 2));
                }
            });
            QObject::connect(&probes, &ProbeMonitor::stalled, [events, say](const QString &flow, qint64 waitedMs) {
                if (events)
                    printOut(eventLine(QDateTime::currentMSecsSinceEpoch(), flow, "pipeline_stalled",
                                       ",\"waited_ms\":" + QByteArray::number(waitedMs)));
                say(QStringLiteral("flow '%1': pipeline stalled: the tracer probe has not arrived after %2 s")
                        .arg(flow).arg(double(waitedMs) / 1000, 0, 'f', 1));
            });
            QObject::connect(&probes, &ProbeMonitor::resumed, [events, say, &probes](const QString &flow) {
                const qint64 lagMs = probes.state(flow).lastLagMs.value_or(0);
                if (events)
                    printOut(eventLine(QDateTime::currentMSecsSinceEpoch(), flow, "pipeline_resumed",
                                       ",\"lag_ms\":" + QByteArray::number(lagMs)));
                say(QStringLiteral("flow '%1': pipeline moving again (probe arrived after %2 s)")
                        .arg(flow).arg(double(lagMs) / 1000, 0, 'f', 1));
            });
            QObject::connect(&probes, &ProbeMonitor::failed, [events, say](const QString &flow, const QString &error) {
                if (events)
                    printOut(eventLine(QDateTime::currentMSecsSinceEpoch(), flow, "probe_error",
                                       ",\"error\":" + jsonString(error)));
                say(QStringLiteral("flow '%1': tracer probe: %2 (retrying)").arg(flow, error));
            });
            QObject::connect(&probes, &ProbeMonitor::working, [say](const QString &flow) {
                say(QStringLiteral("flow '%1': tracer probe works again").arg(flow));
            });
            for (const FlowSpec &f : watched.flows) {
                if (f.probe)
                    say(QStringLiteral("flow '%1': tracer probe every %2 s: %3 (id '%4'), read back from %5 at the target")
                            .arg(f.name).arg(f.probe->intervalSeconds)
                            .arg(ProbeTable::writeStatement(watched.system(f.source.system)->kind, f.probe->sourceTable), f.probe->id,
                                 f.probe->targetTable.display()));
            }
            QObject::connect(&policies, &PolicyRunner::halted, [events, say](const QString &flow, const QString &reason) {
                if (events)
                    printOut(eventLine(QDateTime::currentMSecsSinceEpoch(), flow, "policy_halted",
                                       ",\"reason\":" + jsonString(reason)));
                else
                    say(QStringLiteral("flow '%1': policy halted: %2").arg(flow, reason));
            });
            QObject::connect(&policies, &PolicyRunner::resumed, [events, say](const QString &flow, const QString &by) {
                if (events)
                    printOut(eventLine(QDateTime::currentMSecsSinceEpoch(), flow, "policy_resumed",
                                       ",\"by\":" + jsonString(by)));
                else
                    say(QStringLiteral("flow '%1': policy resumed by %2").arg(flow, by));
            });
            // Each decision with --events; otherwise a dry run's first few, which are its preview.
            QHash<QString, int> previewed;
            QObject::connect(&policies, &PolicyRunner::decided, [events, say, &previewed](const PolicyResult &r) {
                if (events) {
                    QByteArray members = ",\"key\":" + r.keyJson + ",\"policy\":" + jsonString(r.policy)
                                         + ",\"outcome\":" + jsonString(outcomeName(r.outcome))
                                         + ",\"choice\":" + jsonString(r.choice) + ",\"detail\":" + jsonString(r.detail);
                    if (!r.id.isEmpty())
                        members += ",\"id\":" + jsonString(r.id);
                    if (!r.writes.isEmpty())
                        members += ",\"writes\":" + QJsonDocument(QJsonArray::fromStringList(r.writes)).toJson(QJsonDocument::Compact);
                    printOut(eventLine(r.atMs, r.flow, "policy_decision", members));
                    return;
                }
                if (r.outcome != PolicyResult::Outcome::WouldApply)
                    return;
                const int n = ++previewed[r.flow];
                if (n <= PolicyRunner::Samples)
                    say(QStringLiteral("flow '%1' (dry run of %2): key %3 would be resolved by %4: %5")
                            .arg(r.flow, r.policy, QString::fromUtf8(r.keyJson), r.choice,
                                 r.writes.isEmpty() ? QStringLiteral("nothing to write") : r.writes.join(QStringLiteral("; "))));
                else if (n == PolicyRunner::Samples + 1)
                    say(QStringLiteral("flow '%1' (dry run of %2): more decisions follow; their count is "
                                       "in the metrics (syncdesk_policy_decisions_total) and `watch --events`")
                            .arg(r.flow, r.policy));
            });

            // The live table: redrawn every second in place on a terminal, or a frame every 5 s.
            std::unique_ptr<TerminalScreen> screen;
            QTimer frames;
            QString flowFilter;
            const QString title = QFileInfo(ws.filePath).fileName();
            const auto drawFrame = [&] {
                StatusTable::Options o;
                o.nowMs = QDateTime::currentMSecsSinceEpoch();
                o.title = title;
                o.flowFilter = flowFilter;
                o.width = drawInPlace ? TerminalScreen::width() : 100;
                o.colour = drawInPlace && TerminalScreen::wantsColour();
                if (drawInPlace)
                    o.keys = QStringLiteral("q quit  f flow: %1").arg(flowFilter.isEmpty() ? QStringLiteral("all") : flowFilter);
                const QStringList lines = StatusTable::render(DeskStatus::of(engine, o.nowMs), o);
                if (screen)
                    screen->draw(lines);
                else
                    printOut(lines.join(u'\n').toUtf8() + "\n\n");
            };

            bool saved = true;
            const auto stop = [&engine, &saved, &stopRequested, &round] {
                stopRequested = true;
                saved = engine.stop();
                round.quit();
            };
            QObject::connect(&stopSignals, &SignalWatcher::stopRequested, &round, stop);
            if (table) {
                if (drawInPlace) {
                    screen = std::make_unique<TerminalScreen>();
                    QObject::connect(screen.get(), &TerminalScreen::keyPressed, [&](char key) {
                        if (key == 'q' || key == 'Q') {
                            stop();
                        } else if (key == 'f' || key == 'F') {
                            // all → each flow in turn → all
                            const QList<FlowSpec> &flows = watched.flows;
                            qsizetype next = 0;
                            for (qsizetype i = 0; i < flows.size(); ++i)
                                if (flows[i].name == flowFilter)
                                    next = i + 1;
                            flowFilter = next < flows.size() ? flows[next].name : QString();
                            drawFrame();
                        }
                    });
                }
                frames.setInterval(drawInPlace ? 1000 : 5000);
                QObject::connect(&frames, &QTimer::timeout, drawFrame);
                frames.start();
                if (drawInPlace)
                    QObject::connect(&engine, &LiveEngine::flowReady, drawFrame);
            }
            // On a shared desk: whether this agent's share moved (an agent came or went, a
            // lease was lost). Groups to take are taken while this engine runs (held early is
            // harmless), and the round ends only when the share did move.
            QTimer sharing;
            DeskLease::Plan change;
            if (lease) {
                QObject::connect(lease.get(), &DeskLease::lost, &round, &QEventLoop::quit);
                QObject::connect(&sharing, &QTimer::timeout, &round, [&] {
                    try {
                        if (lease->held() != share) { // lost (told or not yet), or taken
                            round.quit();
                            return;
                        }
                        const DeskLease::Plan plan = lease->plan();
                        if (!plan.release.isEmpty()) {
                            change = plan;
                            round.quit();
                        } else if (!plan.take.isEmpty() && lease->take(plan.take)) {
                            round.quit();
                        }
                    } catch (const SyncError &) {
                        // the store is away: the heartbeat tells when that costs the leases
                    }
                });
                sharing.start(DeskLease::RetryMs);
            }
            bool started = true;
            try {
                engine.start();
            } catch (const SyncError &e) {
                if (!lease)
                    throw;
                started = false;
                // A store that went away between rounds: said, and tried again shortly.
                printError(QStringLiteral("watch: %1 (retrying)").arg(e.message()));
                QTimer::singleShot(DeskLease::RetryMs, &round, &QEventLoop::quit);
            }
            if (table)
                drawFrame();
            round.exec();
            sharing.stop();
            if (!stopRequested && started)
                saved = engine.stop(); // the last state of these flows, before another agent goes on
            current = nullptr;
            currentPolicies = nullptr;
            if (table && !drawInPlace)
                drawFrame(); // the last word, as the desk was at the stop
            screen.reset(); // the terminal as it was, before the last line
            if (!saved) {
                printError(QStringLiteral("watch: state could not be saved at %1: %2; the feeds replay "
                                          "what was not confirmed at the next start")
                               .arg(stopRequested ? QStringLiteral("stop") : QStringLiteral("the hand-over"),
                                    engine.stateError()));
                if (stopRequested)
                    exitCode = ExitFailure;
            }
            if (stopRequested)
                return std::nullopt;
            if (const QString lost = lease ? lease->takeLostReasons() : QString(); !lost.isEmpty())
                printError(QStringLiteral("watch: %1; this agent stops watching them").arg(lost));
            return std::optional<DeskLease::Plan>(change);
        };

        for (;;) {
            if (lease && lease->held().isEmpty() && !standBy())
                return ExitOk;
            const std::optional<DeskLease::Plan> change = runRound();
            if (!change)
                return exitCode; // stopped
            if (!lease)
                return ExitOk;
            // The engine for the old share has stopped: what goes is given up (what came was
            // taken while it ran).
            lease->release(change->release);
        }
    } catch (const SyncError &e) {
        printError(e.message());
        return ExitFailure;
    }
}

} // namespace syncdesk::cli

#include "MetricsText.h"

#include "engine/LiveEngine.h"
#include "policy/PolicyRunner.h"
#include "probe/ProbeMonitor.h"
#include "state/ActivityCounters.h"

namespace syncdesk {

namespace {

QByteArray label(const QString &value)
{
    QByteArray v = value.toUtf8();
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return '"' + v + '"';
}

QByteArray seconds(qint64 ms)
{
    return QByteArray::number(double(ms) / 1000.0, 'g', 12);
}

class Family
{
public:
    Family(QByteArray &out, const char *name, const char *type, const char *help)
        : m_out(out), m_name(name)
    {
        m_out += "# HELP " + m_name + ' ' + help + "\n# TYPE " + m_name + ' ' + type + '\n';
    }
    void sample(const QByteArray &labels, const QByteArray &value)
    {
        m_out += m_name + (labels.isEmpty() ? QByteArray() : '{' + labels + '}') + ' ' + value + '\n';
    }

private:
    QByteArray &m_out;
    QByteArray m_name;
};

} // namespace

QByteArray metricsText(const LiveEngine &engine, qint64 nowMs, const PolicyRunner *policies)
{
    QByteArray out;
    const QList<const LiveFlow *> flows = engine.flows();
    {
        Family f(out, "syncdesk_records", "gauge", "Records of a flow by status.");
        for (const LiveFlow *flow : flows) {
            for (int s = 0; s <= int(RecordStatus::Different); ++s)
                f.sample("flow=" + label(flow->spec().name) + ",status="
                             + label(statusName(RecordStatus(s))),
                         QByteArray::number(flow->count(RecordStatus(s))));
        }
    }
    {
        Family f(out, "syncdesk_flow_ready", "gauge",
                 "1 once the flow's first comparison is done and live updates follow.");
        for (const LiveFlow *flow : flows)
            f.sample("flow=" + label(flow->spec().name),
                     engine.isReady(flow->spec().name) ? "1" : "0");
    }
    {
        Family f(out, "syncdesk_flow_schema_broken", "gauge",
                 "1 while a table or column the flow compares is gone (renamed, dropped).");
        for (const LiveFlow *flow : flows)
            f.sample("flow=" + label(flow->spec().name),
                     engine.isSchemaBroken(flow->spec().name) ? "1" : "0");
    }
    {
        Family f(out, "syncdesk_oldest_pending_seconds", "gauge",
                 "Age of the oldest change not yet arrived on the other side.");
        for (const LiveFlow *flow : flows)
            f.sample("flow=" + label(flow->spec().name), seconds(flow->oldestPendingAgeMs(nowMs)));
    }
    {
        Family f(out, "syncdesk_sla_seconds", "gauge", "The flow's consistency window.");
        for (const LiveFlow *flow : flows)
            f.sample("flow=" + label(flow->spec().name),
                     QByteArray::number(flow->spec().slaSeconds));
    }
    {
        Family lag(out, "syncdesk_arrival_lag_seconds", "gauge",
                   "Arrival lag quantiles over a trailing window.");
        for (const LiveFlow *flow : flows) {
            for (const auto &[window, ms] : {std::pair{"5m", 300000LL}, std::pair{"1h", 3600000LL}}) {
                const LagStats::Summary s = flow->lags().summary(nowMs, ms);
                const QByteArray base = "flow=" + label(flow->spec().name) + ",window=\"" + window + '"';
                lag.sample(base + ",quantile=\"0.5\"", seconds(s.p50));
                lag.sample(base + ",quantile=\"0.95\"", seconds(s.p95));
                lag.sample(base + ",quantile=\"0.99\"", seconds(s.p99));
                lag.sample(base + ",quantile=\"1\"", seconds(s.max));
            }
        }
    }
    {
        Family f(out, "syncdesk_arrivals_within_sla_ratio", "gauge",
                 "Share of changes that arrived within the SLA over a trailing window.");
        for (const LiveFlow *flow : flows) {
            for (const auto &[window, ms] : {std::pair{"5m", 300000LL}, std::pair{"1h", 3600000LL}})
                f.sample("flow=" + label(flow->spec().name) + ",window=\"" + window + '"',
                         QByteArray::number(flow->lags().summary(nowMs, ms).withinSla, 'g', 6));
        }
    }
    {
        Family f(out, "syncdesk_arrivals_total", "counter", "Changes that arrived on the other side.");
        for (const LiveFlow *flow : flows)
            f.sample("flow=" + label(flow->spec().name), QByteArray::number(flow->lags().totalArrivals()));
    }
    {
        Family f(out, "syncdesk_sla_breaches_total", "counter", "Changes that arrived past the SLA.");
        for (const LiveFlow *flow : flows)
            f.sample("flow=" + label(flow->spec().name), QByteArray::number(flow->lags().totalBreaches()));
    }
    {
        Family f(out, "syncdesk_changes_total", "counter",
                 "Records inserted, updated and deleted per flow and side (compared fields), "
                 "since the state store began.");
        for (const LiveFlow *flow : flows)
            for (const bool source : {true, false})
                for (const ChangeOp op : {ChangeOp::Insert, ChangeOp::Update, ChangeOp::Delete})
                    f.sample("flow=" + label(flow->spec().name) + ",side=\"" + (source ? "source" : "target")
                                 + "\",op=" + label(activity::opName(op)),
                             QByteArray::number(flow->ledger().total(activity::changes(source, op))));
    }
    {
        Family f(out, "syncdesk_conflicts_detected_total", "counter",
                 "Records that became conflicts (both sides changed), since the state store began.");
        for (const LiveFlow *flow : flows)
            f.sample("flow=" + label(flow->spec().name),
                     QByteArray::number(flow->ledger().total(activity::ConflictsDetected)));
    }
    {
        Family f(out, "syncdesk_resolutions_total", "counter",
                 "Resolutions by operators and by policies, by outcome, since the state store began.");
        for (const LiveFlow *flow : flows) {
            const QHash<QString, qint64> totals = engine.resolutionTotals(flow->spec().name);
            for (const bool byPolicy : {false, true})
                for (const QString &outcome : activity::Outcomes)
                    f.sample("flow=" + label(flow->spec().name) + ",by=\"" + (byPolicy ? "policy" : "operator")
                                 + "\",outcome=" + label(outcome),
                             QByteArray::number(totals.value(activity::resolutions(byPolicy, outcome))));
        }
    }
    const QList<SystemHealth> systems = engine.systems();
    {
        Family f(out, "syncdesk_feed_connected", "gauge",
                 "1 while the system's change feed is connected and the system answers.");
        for (const SystemHealth &s : systems)
            if (!s.isStateStore)
                f.sample("system=" + label(s.name) + ",mode=" + label(s.feedMode), s.connected ? "1" : "0");
    }
    {
        Family f(out, "syncdesk_state_store_up", "gauge",
                 "1 while the state store takes writes; 0 while changes wait in memory.");
        for (const SystemHealth &s : systems)
            if (s.isStateStore)
                f.sample("backend=" + label(s.feedMode), s.connected ? "1" : "0");
    }
    {
        Family f(out, "syncdesk_feed_last_event_timestamp_seconds", "gauge",
                 "When the system's feed last delivered a change (Unix time).");
        for (const SystemHealth &s : systems)
            if (!s.isStateStore)
                f.sample("system=" + label(s.name), seconds(s.lastEventMs));
    }
    {
        Family f(out, "syncdesk_change_events_total", "counter",
                 "Change events applied (rate() gives events per second).");
        f.sample({}, QByteArray::number(engine.eventsApplied()));
    }
    {
        // Tracer probes: the last trip from source to target, or while a probe is late, how
        // late it is already; absent until the first probe arrives.
        Family lag(out, "syncdesk_probe_lag_seconds", "gauge",
                   "Tracer probe: seconds from its write at the source to its arrival at the target.");
        for (const LiveFlow *flow : flows) {
            const QString &name = flow->spec().name;
            if (!engine.probes().has(name))
                continue;
            if (const std::optional<qint64> ms = engine.probes().state(name).currentLagMs(nowMs))
                lag.sample("flow=" + label(name), QByteArray::number(double(*ms) / 1000.0, 'f', 3));
        }
    }
    {
        Family f(out, "syncdesk_probe_stalled", "gauge",
                 "1 while the flow's tracer probe is late past stall_after_seconds (the pipeline is stalled).");
        for (const LiveFlow *flow : flows) {
            const QString &name = flow->spec().name;
            if (engine.probes().has(name))
                f.sample("flow=" + label(name), engine.probes().state(name).stalled ? "1" : "0");
        }
    }
    if (!policies)
        return out;
    const QHash<QString, PolicyRunner::FlowState> states = policies->states();
    {
        Family f(out, "syncdesk_policy_halted", "gauge", "1 while the flow's policy is halted by its guard.");
        for (auto it = states.cbegin(); it != states.cend(); ++it)
            f.sample("flow=" + label(it.key()) + ",policy=" + label(policyName(it->policy))
                         + ",mode=\"" + (it->dryRun ? "dry-run" : "active") + '"',
                     it->halted ? "1" : "0");
    }
    {
        Family f(out, "syncdesk_policy_decisions_total", "counter",
                 "Decisions of the flow's policy in this run, by outcome.");
        using Outcome = PolicyResult::Outcome;
        for (auto it = states.cbegin(); it != states.cend(); ++it)
            for (const Outcome o : {Outcome::Applied, Outcome::Refused, Outcome::Failed, Outcome::Manual,
                                    Outcome::Moved, Outcome::WouldApply}) {
                const auto n = it->outcomes.find(o);
                f.sample("flow=" + label(it.key()) + ",outcome=" + label(outcomeName(o)),
                         QByteArray::number(n == it->outcomes.end() ? 0 : n->second));
            }
    }
    return out;
}

} // namespace syncdesk

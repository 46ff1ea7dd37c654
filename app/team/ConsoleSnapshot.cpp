#include "ConsoleSnapshot.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace syncdesk {

namespace {

// Instants and counts as JSON numbers: exact up to 2^53, far past any ms or count here.
QJsonValue optionalMs(const std::optional<qint64> &v)
{
    return v ? QJsonValue(double(*v)) : QJsonValue();
}

std::optional<qint64> optionalMs(const QJsonValue &v)
{
    return v.isDouble() ? std::optional<qint64>(qint64(v.toDouble())) : std::nullopt;
}

qint64 ms(const QJsonObject &o, const char *name)
{
    return qint64(o.value(QLatin1StringView(name)).toDouble());
}

QJsonObject flowJson(const FlowSnapshot &f)
{
    QJsonArray counts;
    for (const qint64 c : f.counts)
        counts.append(double(c));
    QJsonObject o{{QStringLiteral("name"), f.name},
                  {QStringLiteral("source"), f.source},
                  {QStringLiteral("target"), f.target},
                  {QStringLiteral("sla_ms"), double(f.slaMs)},
                  {QStringLiteral("ready"), f.ready},
                  {QStringLiteral("error"), f.error},
                  {QStringLiteral("counts"), counts},
                  {QStringLiteral("oldest_pending_ms"), double(f.oldestPendingMs)},
                  {QStringLiteral("lag"), QJsonObject{{QStringLiteral("count"), double(f.lag5m.count)},
                                          {QStringLiteral("p50"), double(f.lag5m.p50)},
                                          {QStringLiteral("p95"), double(f.lag5m.p95)},
                                          {QStringLiteral("p99"), double(f.lag5m.p99)},
                                          {QStringLiteral("max"), double(f.lag5m.max)},
                                          {QStringLiteral("within_sla"), f.lag5m.withinSla}}},
                  {QStringLiteral("events_applied"), double(f.eventsApplied)},
                  {QStringLiteral("comparison"), QJsonObject{{QStringLiteral("running"), f.comparison.running},
                                                 {QStringLiteral("initial"), f.comparison.initial},
                                                 {QStringLiteral("records"), double(f.comparison.records)},
                                                 {QStringLiteral("expected"), double(f.comparison.expected)},
                                                 {QStringLiteral("stopped"), f.comparison.stopped},
                                                 {QStringLiteral("order"), f.comparison.order}}},
                  {QStringLiteral("policy"), policyName(f.policy)},
                  {QStringLiteral("policy_dry_run"), f.policyDryRun},
                  {QStringLiteral("policy_halted"), f.policyHalted},
                  {QStringLiteral("policy_halt_reason"), f.policyHaltReason},
                  {QStringLiteral("policy_applied"), double(f.policyApplied)},
                  {QStringLiteral("policy_would"), double(f.policyWould)},
                  {QStringLiteral("policy_left"), double(f.policyLeft)},
                  {QStringLiteral("probe"), f.probe},
                  {QStringLiteral("probe_lag_ms"), optionalMs(f.probeLagMs)},
                  {QStringLiteral("probe_stalled"), f.probeStalled},
                  {QStringLiteral("probe_error"), f.probeError}};
    if (f.firstCheck) {
        QJsonObject check{{QStringLiteral("out_of_sync"), double(f.firstCheck->outOfSync)},
                          {QStringLiteral("due_ms"), double(f.firstCheck->dueMs)},
                          {QStringLiteral("basis"), f.firstCheck->basis},
                          {QStringLiteral("error"), f.firstCheck->error}};
        if (const auto &r = f.firstCheck->result)
            check.insert(QStringLiteral("result"), QJsonObject{{QStringLiteral("waited_ms"), double(r->waitedMs)},
                                                   {QStringLiteral("basis"), r->waitBasis},
                                                   {QStringLiteral("in_flight"), double(r->inFlight)},
                                                   {QStringLiteral("confirmed"), double(r->confirmed)}});
        o.insert(QStringLiteral("first_check"), check);
    }
    return o;
}

FlowSnapshot flowOf(const QJsonObject &o)
{
    FlowSnapshot f;
    f.name = o.value(u"name").toString();
    f.source = o.value(u"source").toString();
    f.target = o.value(u"target").toString();
    f.slaMs = ms(o, "sla_ms");
    f.ready = o.value(u"ready").toBool();
    f.error = o.value(u"error").toString();
    const QJsonArray counts = o.value(u"counts").toArray();
    for (size_t i = 0; i < f.counts.size() && i < size_t(counts.size()); ++i)
        f.counts[i] = qint64(counts.at(qsizetype(i)).toDouble());
    f.oldestPendingMs = ms(o, "oldest_pending_ms");
    const QJsonObject lag = o.value(u"lag").toObject();
    f.lag5m = {ms(lag, "count"), ms(lag, "p50"), ms(lag, "p95"), ms(lag, "p99"), ms(lag, "max"),
               lag.value(u"within_sla").toDouble(1.0)};
    f.eventsApplied = ms(o, "events_applied");
    const QJsonObject c = o.value(u"comparison").toObject();
    f.comparison.running = c.value(u"running").toBool();
    f.comparison.initial = c.value(u"initial").toBool();
    f.comparison.records = ms(c, "records");
    f.comparison.expected = ms(c, "expected");
    f.comparison.stopped = c.value(u"stopped").toBool();
    f.comparison.order = c.value(u"order").toString();
    f.policy = policyFromName(o.value(u"policy").toString()).value_or(Policy::Manual);
    f.policyDryRun = o.value(u"policy_dry_run").toBool();
    f.policyHalted = o.value(u"policy_halted").toBool();
    f.policyHaltReason = o.value(u"policy_halt_reason").toString();
    f.policyApplied = ms(o, "policy_applied");
    f.policyWould = ms(o, "policy_would");
    f.policyLeft = ms(o, "policy_left");
    f.probe = o.value(u"probe").toBool();
    f.probeLagMs = optionalMs(o.value(u"probe_lag_ms"));
    f.probeStalled = o.value(u"probe_stalled").toBool();
    f.probeError = o.value(u"probe_error").toString();
    if (o.contains(u"first_check")) {
        const QJsonObject check = o.value(u"first_check").toObject();
        FirstComparisonCheck::State s;
        s.outOfSync = ms(check, "out_of_sync");
        s.dueMs = ms(check, "due_ms");
        s.basis = check.value(u"basis").toString();
        s.error = check.value(u"error").toString();
        if (check.contains(u"result")) {
            const QJsonObject r = check.value(u"result").toObject();
            s.result = DiffResult::Confirmation{ms(r, "waited_ms"), r.value(u"basis").toString(),
                                                ms(r, "in_flight"), ms(r, "confirmed")};
        }
        f.firstCheck = s;
    }
    return f;
}

QJsonObject systemJson(const SystemHealth &s)
{
    return {{QStringLiteral("name"), s.name},
            {QStringLiteral("feed_mode"), s.feedMode},
            {QStringLiteral("connected"), s.connected},
            {QStringLiteral("error"), s.error},
            {QStringLiteral("last_event_ms"), double(s.lastEventMs)},
            {QStringLiteral("next_retry_ms"), double(s.nextRetryMs)},
            {QStringLiteral("state_store"), s.isStateStore},
            {QStringLiteral("refused"), s.refused},
            {QStringLiteral("http"), s.isHttp},
            {QStringLiteral("last_response"), s.lastResponse},
            {QStringLiteral("last_response_ms"), double(s.lastResponseMs)},
            {QStringLiteral("held_until_ms"), double(s.heldUntilMs)},
            {QStringLiteral("held_because"), s.heldBecause},
            {QStringLiteral("throttling"), s.throttling},
            {QStringLiteral("limits"), s.limits},
            {QStringLiteral("throttled"), double(s.throttled)}};
}

SystemHealth systemOf(const QJsonObject &o)
{
    SystemHealth s;
    s.name = o.value(u"name").toString();
    s.feedMode = o.value(u"feed_mode").toString();
    s.connected = o.value(u"connected").toBool();
    s.error = o.value(u"error").toString();
    s.lastEventMs = ms(o, "last_event_ms");
    s.nextRetryMs = ms(o, "next_retry_ms");
    s.isStateStore = o.value(u"state_store").toBool();
    s.refused = o.value(u"refused").toBool();
    s.isHttp = o.value(u"http").toBool();
    s.lastResponse = o.value(u"last_response").toString();
    s.lastResponseMs = ms(o, "last_response_ms");
    s.heldUntilMs = ms(o, "held_until_ms");
    s.heldBecause = o.value(u"held_because").toString();
    s.throttling = o.value(u"throttling").toBool();
    s.limits = o.value(u"limits").toString();
    s.throttled = quint64(o.value(u"throttled").toDouble());
    return s;
}

} // namespace

QByteArray ConsoleSnapshot::toJson() const
{
    QJsonArray f;
    for (const FlowSnapshot &flow : flows)
        f.append(flowJson(flow));
    QJsonArray s;
    for (const SystemHealth &system : systems)
        s.append(systemJson(system));
    return QJsonDocument(QJsonObject{{QStringLiteral("flows"), f}, {QStringLiteral("systems"), s}}).toJson(QJsonDocument::Compact);
}

std::optional<ConsoleSnapshot> ConsoleSnapshot::fromJson(const QByteArray &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    if (!doc.isObject() || !doc.object().value(u"flows").isArray() || !doc.object().value(u"systems").isArray())
        return std::nullopt;
    ConsoleSnapshot out;
    for (const QJsonValue &v : doc.object().value(u"flows").toArray())
        out.flows.append(flowOf(v.toObject()));
    for (const QJsonValue &v : doc.object().value(u"systems").toArray())
        out.systems.append(systemOf(v.toObject()));
    return out;
}

std::optional<ConsoleSnapshot> ConsoleSnapshot::merged(const QList<std::pair<qint64, QByteArray>> &rows,
                                                      qint64 staleBeforeMs)
{
    std::optional<ConsoleSnapshot> out;
    QSet<QString> flows, systems;
    for (const auto &row : rows) {
        const std::optional<ConsoleSnapshot> s = fromJson(row.second);
        if (!s)
            continue;
        if (!out)
            out = ConsoleSnapshot{};
        const bool stale = row.first < staleBeforeMs;
        for (FlowSnapshot f : s->flows) {
            if (flows.contains(f.name))
                continue;
            flows.insert(f.name);
            if (stale && f.error.isEmpty())
                f.error = QStringLiteral("no agent has written this flow since %1")
                              .arg(QDateTime::fromMSecsSinceEpoch(row.first).toString(QStringLiteral("HH:mm:ss")));
            out->flows.append(f);
        }
        for (const SystemHealth &h : s->systems) {
            if (!systems.contains(h.name)) {
                systems.insert(h.name);
                out->systems.append(h);
            }
        }
    }
    return out;
}

} // namespace syncdesk

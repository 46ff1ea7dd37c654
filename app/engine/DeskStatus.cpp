#include "DeskStatus.h"

#include "LiveEngine.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace syncdesk {

namespace {

constexpr RecordStatus AllStatuses[] = {
    RecordStatus::InSync,      RecordStatus::Pending,         RecordStatus::Late,
    RecordStatus::Conflict,    RecordStatus::TargetDrift,     RecordStatus::MissingInTarget,
    RecordStatus::MissingInSource, RecordStatus::Different,
};

QString isoTime(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs) : QString();
}

qint64 fromIso(const QJsonValue &v)
{
    const QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

QString flowState(const LiveEngine &engine, const QString &flow, bool failing)
{
    const LiveEngine::Comparison c = engine.comparison(flow);
    if (c.stopped)
        return QStringLiteral("stopped");
    if (c.running) {
        const QString what = c.initial ? QStringLiteral("first comparison") : QStringLiteral("verifying");
        if (c.expected > 0)
            return QStringLiteral("%1 %2%").arg(what).arg(std::min<qint64>(99, c.records * 100 / c.expected));
        return what;
    }
    if (failing)
        return QStringLiteral("retrying");
    return engine.isReady(flow) ? QStringLiteral("live") : QStringLiteral("starting");
}

} // namespace

DeskStatus DeskStatus::of(const LiveEngine &engine, qint64 nowMs)
{
    DeskStatus d;
    d.takenAtMs = nowMs;
    for (const LiveFlow *f : engine.flows()) {
        Flow row;
        row.name = f->spec().name;
        row.error = engine.flowErrorText(row.name);
        row.state = flowState(engine, row.name, !row.error.isEmpty());
        for (const RecordStatus s : AllStatuses)
            row.counts[size_t(s)] = f->count(s);
        row.oldestPendingMs = f->oldestPendingAgeMs(nowMs);
        row.lagP95Ms = f->lags().summary(nowMs, 5 * 60 * 1000).p95;
        row.slaMs = qint64(f->spec().slaSeconds) * 1000;
        d.flows.append(row);
    }
    for (const SystemHealth &h : engine.systems())
        d.systems.append({h.name, h.connected, h.error, h.feedMode, h.lastEventMs, h.nextRetryMs});
    return d;
}

QStringList DeskStatus::alerts() const
{
    QStringList out;
    for (const System &s : systems) {
        if (!s.connected)
            out << QStringLiteral("system %1 is unavailable%2").arg(s.name,
                       s.error.isEmpty() ? QString() : QStringLiteral(": ") + s.error);
    }
    for (const Flow &f : flows) {
        if (!f.error.isEmpty())
            out << QStringLiteral("flow %1: %2").arg(f.name, f.error);
        if (f.late())
            out << QStringLiteral("flow %1 is past its SLA of %2 s").arg(f.name).arg(f.slaMs / 1000);
        if (const qint64 c = f.count(RecordStatus::Conflict))
            out << QStringLiteral("flow %1 has %2 conflict(s) waiting for an operator").arg(f.name).arg(c);
    }
    return out;
}

int DeskStatus::health() const
{
    return alerts().isEmpty() ? 0 : 1;
}

std::optional<DeskStatus> DeskStatus::merged(const QList<std::pair<qint64, QByteArray>> &rows,
                                             const QStringList &flows)
{
    std::optional<DeskStatus> out;
    QHash<QString, Flow> flowAt;
    QSet<QString> systemsSeen;
    for (const auto &row : rows) {
        const std::optional<DeskStatus> d = fromJson(row.second);
        if (!d)
            continue;
        if (!out)
            out = DeskStatus{d->takenAtMs, {}, {}};
        bool used = false;
        for (const Flow &f : d->flows) {
            if (!flowAt.contains(f.name) && flows.contains(f.name)) {
                flowAt.insert(f.name, f);
                used = true;
            }
        }
        if (!used)
            continue; // stale: its flows are told by a later row, or no longer watched
        for (const System &s : d->systems) {
            if (!systemsSeen.contains(s.name)) {
                systemsSeen.insert(s.name);
                out->systems.append(s);
            }
        }
        out->takenAtMs = std::min(out->takenAtMs, d->takenAtMs);
    }
    if (out)
        for (const QString &name : flows)
            if (const auto f = flowAt.constFind(name); f != flowAt.cend())
                out->flows.append(f.value());
    return out;
}

QByteArray DeskStatus::toJson() const
{
    QJsonArray flowsJson;
    for (const Flow &f : flows) {
        QJsonObject o{{QStringLiteral("flow"), f.name},
                      {QStringLiteral("state"), f.state},
                      {QStringLiteral("oldest_pending_ms"), f.oldestPendingMs},
                      {QStringLiteral("lag_p95_ms"), f.lagP95Ms},
                      {QStringLiteral("sla_ms"), f.slaMs}};
        if (!f.error.isEmpty())
            o.insert(QStringLiteral("error"), f.error);
        for (const RecordStatus s : AllStatuses)
            o.insert(statusName(s), f.count(s));
        flowsJson.append(o);
    }
    QJsonArray systemsJson;
    for (const System &s : systems) {
        QJsonObject o{{QStringLiteral("system"), s.name},
                      {QStringLiteral("connected"), s.connected},
                      {QStringLiteral("feed"), s.feed},
                      {QStringLiteral("last_change"), isoTime(s.lastChangeMs)}};
        if (!s.error.isEmpty())
            o.insert(QStringLiteral("error"), s.error);
        systemsJson.append(o);
    }
    const QJsonObject root{{QStringLiteral("taken_at"), isoTime(takenAtMs)},
                           {QStringLiteral("flows"), flowsJson},
                           {QStringLiteral("systems"), systemsJson},
                           {QStringLiteral("alerts"), QJsonArray::fromStringList(alerts())}};
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

std::optional<DeskStatus> DeskStatus::fromJson(const QByteArray &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    if (!doc.isObject())
        return std::nullopt;
    const QJsonObject root = doc.object();
    DeskStatus d;
    d.takenAtMs = fromIso(root.value(u"taken_at"));
    if (d.takenAtMs == 0)
        return std::nullopt;
    for (const QJsonValue &v : root.value(u"flows").toArray()) {
        const QJsonObject o = v.toObject();
        Flow f;
        f.name = o.value(u"flow").toString();
        f.state = o.value(u"state").toString();
        f.error = o.value(u"error").toString();
        f.oldestPendingMs = o.value(u"oldest_pending_ms").toInteger();
        f.lagP95Ms = o.value(u"lag_p95_ms").toInteger();
        f.slaMs = o.value(u"sla_ms").toInteger();
        for (const RecordStatus s : AllStatuses)
            f.counts[size_t(s)] = o.value(statusName(s)).toInteger();
        d.flows.append(f);
    }
    for (const QJsonValue &v : root.value(u"systems").toArray()) {
        const QJsonObject o = v.toObject();
        d.systems.append({o.value(u"system").toString(), o.value(u"connected").toBool(),
                          o.value(u"error").toString(), o.value(u"feed").toString(),
                          fromIso(o.value(u"last_change")), 0});
    }
    return d;
}

} // namespace syncdesk

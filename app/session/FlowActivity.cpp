#include "FlowActivity.h"

#include <QDateTime>
#include <QSettings>

namespace syncdesk {

namespace {
constexpr qint64 HourMs = 3600 * 1000;
}

FlowActivity::FlowActivity(QSettings *settings, QString scope) : m_settings(settings), m_scope(std::move(scope)) {}

int FlowActivity::hourOfWeek(qint64 ms)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms); // local time: "Monday 9:00" as people work
    return (t.date().dayOfWeek() - 1) * 24 + t.time().hour();
}

QString FlowActivity::key(const QString &flow, int hourOfWeek) const
{
    return QStringLiteral("activity/%1/%2/%3").arg(m_scope, flow).arg(hourOfWeek);
}

double FlowActivity::usualPerHour(const QString &flow, int hour) const
{
    const QString k = key(flow, hour);
    if (const auto it = m_usual.constFind(k); it != m_usual.constEnd())
        return *it;
    return m_settings ? m_settings->value(k, -1.0).toDouble() : -1.0;
}

void FlowActivity::roll(const QString &flow, qint64 nowMs)
{
    Current &c = m_current[flow];
    const qint64 hourStart = nowMs - nowMs % HourMs;
    if (c.hourStartMs == hourStart)
        return;
    if (c.hourStartMs != 0) {
        // Every hour that ended (the one with counts, and any silent ones since) joins its
        // hour-of-week's average.
        for (qint64 h = c.hourStartMs; h < hourStart && h < c.hourStartMs + 7 * 24 * HourMs; h += HourMs) {
            const double count = h == c.hourStartMs ? double(c.count) : 0.0;
            const int how = hourOfWeek(h);
            const double old = usualPerHour(flow, how);
            const double updated = old < 0 ? count : old * (1 - Weight) + count * Weight;
            m_usual.insert(key(flow, how), updated);
            if (m_settings)
                m_settings->setValue(key(flow, how), updated);
        }
    }
    c.hourStartMs = hourStart;
    c.count = 0;
}

void FlowActivity::record(const QString &flow, qint64 changes, qint64 nowMs)
{
    roll(flow, nowMs);
    m_current[flow].count += changes;
}

bool FlowActivity::silent(const QString &flow, qint64 nowMs, qint64 *seen, qint64 *usual) const
{
    const auto it = m_current.constFind(flow);
    const qint64 hourStart = nowMs - nowMs % HourMs;
    const qint64 count = it != m_current.constEnd() && it->hourStartMs == hourStart ? it->count : 0;
    const double perHour = usualPerHour(flow, hourOfWeek(nowMs));
    const double fraction = double(nowMs - hourStart) / HourMs;
    const double expected = perHour * fraction;
    if (seen)
        *seen = count;
    if (usual)
        *usual = qRound64(perHour);
    return perHour >= 0 && fraction >= 0.25 && expected >= 20 && double(count) < expected / 5;
}

} // namespace syncdesk

#include "TracerProbe.h"

#include "model/SyncError.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QTimer>

namespace syncdesk {

namespace {

const SystemSpec &systemOf(const Workspace &ws, const QString &name)
{
    static const SystemSpec none;
    const SystemSpec *s = ws.system(name);
    return s ? *s : none;
}

} // namespace

TracerProbe::TracerProbe(const Workspace &workspace, const FlowSpec &flow, int pollMs)
    : m_flow(flow.name), m_spec(*flow.probe),
      m_source(systemOf(workspace, flow.source.system), flow.probe->sourceTable),
      m_target(systemOf(workspace, flow.target.system), flow.probe->targetTable), m_pollMs(pollMs)
{
}

TracerProbe::~TracerProbe() = default;

void TracerProbe::start()
{
    m_startMs = QDateTime::currentMSecsSinceEpoch();
    m_writeTimer = new QTimer(this);
    m_writeTimer->setInterval(m_spec.intervalSeconds * 1000);
    connect(m_writeTimer, &QTimer::timeout, this, &TracerProbe::writeProbe);
    m_pollTimer = new QTimer(this);
    m_pollTimer->setInterval(m_pollMs);
    connect(m_pollTimer, &QTimer::timeout, this, &TracerProbe::poll);
    poll(); // what the target holds from before is not an arrival
    writeProbe();
    m_writeTimer->start();
    m_pollTimer->start();
}

void TracerProbe::stop()
{
    if (m_writeTimer)
        m_writeTimer->stop();
    if (m_pollTimer)
        m_pollTimer->stop();
    m_source.close();
    m_target.close();
}

void TracerProbe::report()
{
    const QString error = !m_sourceError.isEmpty() ? m_sourceError : m_targetError;
    if (error.isEmpty()) {
        if (!m_error.isEmpty()) {
            m_error.clear();
            emit working(m_flow);
        }
        return;
    }
    if (!m_error.isEmpty())
        return; // one incident, one line, until both sides work again
    m_error = error;
    emit failed(m_flow, error);
}

void TracerProbe::writeProbe()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QString token = QStringLiteral("%1-%2").arg(now).arg(QRandomGenerator::global()->generate64(), 16, 16, QLatin1Char('0'));
    try {
        m_source.write(m_spec.id, token, now);
    } catch (const SyncError &e) {
        m_source.close(); // opened again at the next interval
        m_sourceError = e.message();
        report();
        return;
    }
    m_sourceError.clear();
    report();
    m_pending.push_back(now);
    emit sent(m_flow, now);
}

void TracerProbe::poll()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (!m_targetError.isEmpty() && now < m_retryAtMs)
        return;
    std::optional<ProbeTable::Row> row;
    try {
        row = m_target.read(m_spec.id);
        m_targetError.clear();
        m_backoff.reset();
    } catch (const SyncError &e) {
        m_target.close();
        m_targetError = e.message();
        m_retryAtMs = now + m_backoff.nextDelayMs();
    }
    report();
    if (!m_targetError.isEmpty())
        return; // nothing known of the target: an error, not a stall
    // Late at this read if it would be past stall_after before the next one: a stop is then
    // alerted within interval + stall_after, not a read later.
    const qint64 stallMs = qint64(m_spec.stallAfterSeconds) * 1000 - m_pollMs;
    const auto late = [&] { return !m_pending.empty() && now - m_pending.front() >= stallMs; };
    if (row && row->token != m_lastToken) {
        // The first token seen may be one of an earlier run: timed only if sent since start.
        if (!m_firstRead || row->sentMs >= m_startMs) {
            while (!m_pending.empty() && m_pending.front() <= row->sentMs)
                m_pending.pop_front();
            emit arrived(m_flow, row->sentMs, std::max<qint64>(0, now - row->sentMs));
            // A backlog being caught up: the stall ends once no token in flight is late.
            if (m_stalled && !late()) {
                m_stalled = false;
                emit resumed(m_flow);
            }
        }
        m_lastToken = row->token;
    }
    m_firstRead = false;
    if (!m_stalled && late()) {
        m_stalled = true;
        emit stalled(m_flow, m_pending.front(), now - m_pending.front());
    }
}

} // namespace syncdesk

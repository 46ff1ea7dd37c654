#include "DiffConfirmation.h"

#include "FlowSides.h"
#include "model/LagHistogram.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QFileInfo>
#include <QThread>

namespace syncdesk {

DiffConfirmation::DiffConfirmation(const Workspace &workspace, const FlowSpec &flow)
    : m_workspace(workspace), m_flow(flow)
{
}

std::pair<qint64, QString> DiffConfirmation::wait() const
{
    const qint64 sla = qint64(m_flow.slaSeconds) * 1000;
    // A diff creates no state store: only one that a watch or the console keeps is read.
    if (!isStateUri(m_workspace.state) && !QFileInfo::exists(m_workspace.state))
        return {sla, QStringLiteral("sla")};
    try {
        const auto store = StateStore::open(m_workspace);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        LagHistogram lags;
        for (const ActivityCount &c : store->activityCounts(m_flow.name, now - 7 * 24 * 3600 * 1000LL, now + 3600 * 1000))
            if (const std::optional<int> bucket = LagHistogram::bucketFromCounter(c.name))
                lags.addBucket(*bucket, c.value);
        if (lags.count() > 0)
            return {lags.quantileMs(0.99), QStringLiteral("p99 lag")};
    } catch (const SyncError &) {
        // No measured lag to be had: the SLA is the promise there is.
    }
    return {sla, QStringLiteral("sla")};
}

void DiffConfirmation::confirm(DiffResult &result, qint64 waitMs, const QString &basis)
{
    DiffResult::Confirmation c;
    c.waitedMs = waitMs;
    c.waitBasis = basis;
    QThread::msleep(quint64(waitMs));
    FlowSides sides(m_workspace, m_flow);
    sides.open();
    for (qsizetype from = 0; from < result.records.size(); from += ReadBatch) {
        QList<KeyText> keys;
        const qsizetype to = std::min<qsizetype>(from + ReadBatch, result.records.size());
        for (qsizetype i = from; i < to; ++i)
            keys << FlowSides::keyText(result.records[i].keyJson);
        const auto rows = sides.fetch(keys);
        for (qsizetype i = from; i < to; ++i) {
            RecordDiff &d = result.records[i];
            const QByteArray key = sides.keyJson(keys[i - from]);
            const auto source = rows[0].constFind(key);
            const auto target = rows[1].constFind(key);
            const bool sourceThere = source != rows[0].cend();
            const bool targetThere = target != rows[1].cend();
            const bool agree = sourceThere == targetThere && (!sourceThere || source->hash == target->hash);
            d.confirmed = !agree;
            ++(agree ? c.inFlight : c.confirmed);
        }
    }
    result.confirmation = c;
}

} // namespace syncdesk

#pragma once

#include "DiffResult.h"
#include "model/Workspace.h"

#include <optional>

namespace syncdesk {

// `diff --confirm`: a one-off comparison calls a record different even when its change is only
// on its way. Every record found out of sync is read again on both sides after the flow's
// measured p99 arrival lag (its SLA when none is measured): in sync by then means it was in
// flight; still out of sync means confirmed.
class DiffConfirmation
{
public:
    DiffConfirmation(const Workspace &workspace, const FlowSpec &flow);

    // Waits `waitMs`, then reads `result.records` again and fills `result.confirmation` (with
    // `basis`, what the wait rests on) and each record's `confirmed`. Throws SyncError.
    void confirm(DiffResult &result, qint64 waitMs, const QString &basis);

    // How long to wait, and on what it rests: the p99 of the arrivals the state store counted
    // for this flow over the last 7 days ("p99 lag"), else the flow's SLA ("sla").
    [[nodiscard]] std::pair<qint64, QString> wait() const;

    static constexpr qint64 ReadBatch = 1000; // keys per fetch

private:
    const Workspace &m_workspace;
    const FlowSpec &m_flow;
};

} // namespace syncdesk

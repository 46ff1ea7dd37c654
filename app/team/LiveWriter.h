#pragma once

#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QHash>
#include <QObject>

#include <memory>

class QTimer;

namespace syncdesk {

// Writes what the live publisher hands it into the team's state store, on a thread of its own
// with a connection of its own, so a slow or lost store never holds up the live engine.
// What could not be written is kept, folded (a record's last status wins, a flow written whole
// drops what came before), and written once the store answers again: nothing is lost, and a
// long outage costs memory only for the records it touched.
class LiveWriter : public QObject
{
    Q_OBJECT

public:
    // `fence`: the leases every write checks (DeskLease; an empty agent: none). It writes
    // the flows of `workspace` only (an agent's share of a team's desk).
    LiveWriter(Workspace workspace, LeaseFence fence, QObject *parent = nullptr);
    ~LiveWriter() override;

    void submit(const LivePublication &publication);
    // Writes what waits now (the last write before the agent stops); false when it could not.
    bool writeNow();

signals:
    // The store refused or failed a write ("" once it is written again).
    void failed(const QString &error);

private:
    void schedule(int delayMs);
    [[nodiscard]] LivePublication takePending() const;

    Workspace m_workspace;
    LeaseFence m_fence;
    QStringList m_flows; // its rows are pruned, not another agent's
    std::unique_ptr<StateStore> m_store;
    qint64 m_version = -1; // the last version written; -1: not read yet
    qint64 m_prunable = 0; // the version a minute ago: back-in-sync rows up to it may go
    qint64 m_prunedAtMs = 0;
    // What waits: per flow, a whole list (if one came) and the records changed after it.
    QHash<QString, QList<LiveRecord>> m_rewrites;
    QHash<QString, QHash<QByteArray, LiveRecord>> m_updates;
    std::optional<std::pair<qint64, QByteArray>> m_console;
    QTimer *m_timer = nullptr;
    int m_failures = 0;
    bool m_refused = false; // its role may not write: given up, said once
};

} // namespace syncdesk

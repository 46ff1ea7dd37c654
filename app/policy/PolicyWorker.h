#pragma once

#include "PolicyJob.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QList>
#include <QObject>

#include <memory>

namespace syncdesk {

class ResolutionService;

// Carries out a policy's decisions on its own thread, with its own connections to the systems
// and the state store, so that resolutions never hold up the live path. Each one goes through
// ResolutionService (intent, locked conditional write, outcome), audited as `policy:<name>`.
class PolicyWorker : public QObject
{
    Q_OBJECT

public:
    // `fence`: the engine's leases on a shared desk (an empty agent: none).
    PolicyWorker(Workspace workspace, LeaseFence fence);
    ~PolicyWorker() override;

    // Queues `job`; the jobs queued by then are carried out together, per flow, in batches of
    // at most MaxBatch (ResolutionService::applyMany).
    void run(const syncdesk::PolicyJob &job);
    // Writes a flow's guard state (halted or not), then reports every flow's stored state.
    void writeState(const syncdesk::PolicyState &state);
    void readStates();

signals:
    void done(const syncdesk::PolicyResult &result);
    void states(const QList<syncdesk::PolicyState> &states);

public:
    static constexpr qsizetype MaxBatch = 100;

private:
    void drain();
    void runBatch(const QList<syncdesk::PolicyJob> &jobs);
    [[nodiscard]] StateStore &store();
    [[nodiscard]] ResolutionService &service();

    Workspace m_workspace;
    LeaseFence m_fence;
    std::unique_ptr<StateStore> m_store;
    std::unique_ptr<ResolutionService> m_service;
    QList<PolicyJob> m_pending;
    bool m_drainScheduled = false;
};

} // namespace syncdesk

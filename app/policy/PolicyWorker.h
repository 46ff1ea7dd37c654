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
    explicit PolicyWorker(Workspace workspace);
    ~PolicyWorker() override;

    void run(const syncdesk::PolicyJob &job);
    // Writes a flow's guard state (halted or not), then reports every flow's stored state.
    void writeState(const syncdesk::PolicyState &state);
    void readStates();

signals:
    void done(const syncdesk::PolicyResult &result);
    void states(const QList<syncdesk::PolicyState> &states);

private:
    [[nodiscard]] StateStore &store();
    [[nodiscard]] ResolutionService &service();

    Workspace m_workspace;
    std::unique_ptr<StateStore> m_store;
    std::unique_ptr<ResolutionService> m_service;
};

} // namespace syncdesk

#pragma once

#include "session/SessionTypes.h"

#include <QHash>
#include <QObject>
#include <QString>

namespace syncdesk {

class LiveEngine;
class PolicyRunner;

// The console's view of each flow (FlowSnapshot) from a running live engine and its policies:
// what a console running the engine shows, and what an agent publishes for attached ones.
// Keeps each flow's last failure from the engine's signals until it recovers.
class FlowSnapshots : public QObject
{
    Q_OBJECT

public:
    FlowSnapshots(const LiveEngine &engine, const PolicyRunner *policies, QObject *parent = nullptr);

    [[nodiscard]] QList<FlowSnapshot> take(qint64 nowMs) const;
    // A new attempt at the flow (compare now): its own failure, if any, is what counts.
    void forgetError(const QString &flow) { m_errors.remove(flow); }

private:
    const LiveEngine &m_engine;
    const PolicyRunner *m_policies;
    QHash<QString, QString> m_errors;
};

} // namespace syncdesk

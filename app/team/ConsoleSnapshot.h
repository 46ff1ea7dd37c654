#pragma once

#include "session/SessionTypes.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace syncdesk {

// What a console shows of the desk as a whole (its flows and systems), as JSON: the live
// publisher writes it into a team's state store about once a second and attached consoles
// read it back (AttachedDesk), so they show what the agent sees without running an engine.
struct ConsoleSnapshot
{
    QList<FlowSnapshot> flows;
    QList<SystemHealth> systems;

    [[nodiscard]] QByteArray toJson() const;
    // nullopt when `json` is not one.
    [[nodiscard]] static std::optional<ConsoleSnapshot> fromJson(const QByteArray &json);
    // The rows of several agents, each watching some of a team's flows (the latest first, as
    // StateStore::consoleSnapshots gives them), as one: each flow and system as the latest row
    // that has it says. A flow whose latest row is older than `staleBeforeMs` (its agent went
    // silent while another writes) says so in its error. nullopt when no row holds a snapshot.
    [[nodiscard]] static std::optional<ConsoleSnapshot> merged(const QList<std::pair<qint64, QByteArray>> &rows,
                                                               qint64 staleBeforeMs = 0);
};

} // namespace syncdesk

#pragma once

#include <QString>

#include <stdexcept>

namespace syncdesk {

// One error an operator can act on: the message says what failed, where, and what to do next.
// Thrown inside the core, caught at the edge (CLI, UI) and shown as one line.
class SyncError : public std::runtime_error
{
public:
    // Unavailable: the system did not answer (down, hung, busy); it is retried, and reported
    // as the system's incident rather than as a fault of every flow that uses it.
    // Changed: a write the system refused because the record changed since it was read (an
    // API's 412 or 409): a resolution is then refused, not failed.
    // NotAllowed: the action is someone else's to take: the record is claimed by another
    // operator, or the state store's role does not permit it (PostgreSQL's 42501).
    // Claimed: NotAllowed because another operator's claim holds the record.
    enum class Kind { Other, Unavailable, Changed, NotAllowed, Claimed };

    explicit SyncError(const QString &message, Kind kind = Kind::Other, QString system = {})
        : std::runtime_error(message.toStdString()), m_message(message), m_kind(kind),
          m_system(std::move(system))
    {
    }
    [[nodiscard]] const QString &message() const noexcept { return m_message; }
    [[nodiscard]] bool unavailable() const noexcept { return m_kind == Kind::Unavailable; }
    [[nodiscard]] bool changed() const noexcept { return m_kind == Kind::Changed; }
    [[nodiscard]] bool notAllowed() const noexcept { return m_kind == Kind::NotAllowed || m_kind == Kind::Claimed; }
    [[nodiscard]] bool claimed() const noexcept { return m_kind == Kind::Claimed; }
    // The workspace system that failed; empty when not a system's (the state store, a file).
    [[nodiscard]] const QString &system() const noexcept { return m_system; }

private:
    QString m_message;
    Kind m_kind;
    QString m_system;
};

} // namespace syncdesk

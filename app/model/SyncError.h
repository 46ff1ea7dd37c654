#pragma once

#include <QString>

#include <stdexcept>

namespace syncdesk {

// One error an operator can act on: the message says what failed, where, and what to do next.
// Thrown inside the core, caught at the edge (CLI, UI) and shown as one line.
class SyncError : public std::runtime_error
{
public:
    explicit SyncError(const QString &message)
        : std::runtime_error(message.toStdString()), m_message(message)
    {
    }
    [[nodiscard]] const QString &message() const noexcept { return m_message; }

private:
    QString m_message;
};

} // namespace syncdesk

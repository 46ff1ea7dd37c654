#pragma once

#include <QString>

#include <functional>
#include <memory>
#include <string_view>

namespace syncdesk {

class PgConnection;

// The rows of a running COPY … TO STDOUT, one at a time as they arrive. It waits in slices of
// a second, so that a comparison given up on the other side (`cancelled`) stops this one even
// while the server is quiet (sorting, say), and gives the connection up as hung after
// `quietLimitMs` without a byte (PgConnection::giveUp throws; 0: no limit).
class PgCopyOut
{
public:
    enum class Next {
        Row,       // row() holds it until the next call
        End,       // every row read: finish() tells how the statement ended
        Cancelled, // `cancelled` said so while waiting
        Failed,    // the connection broke: error()
    };

    PgCopyOut(PgConnection &conn, const char *component, int quietLimitMs, std::function<bool()> cancelled);
    ~PgCopyOut();
    PgCopyOut(const PgCopyOut &) = delete;
    PgCopyOut &operator=(const PgCopyOut &) = delete;

    [[nodiscard]] Next next();
    [[nodiscard]] std::string_view row() const { return m_row; }
    [[nodiscard]] const QString &error() const { return m_error; }
    // After End: empty if the server finished the statement cleanly, else its error (without
    // any password it might quote).
    [[nodiscard]] QString finish();

private:
    PgConnection &m_conn;
    const char *m_component;
    int m_quietLimitMs;
    std::function<bool()> m_cancelled;
    std::unique_ptr<char, void (*)(void *)> m_buffer;
    std::string_view m_row;
    QString m_error;
};

} // namespace syncdesk

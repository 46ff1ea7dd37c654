#pragma once

#include <QtGlobal>

#include <optional>
#include <string_view>
#include <vector>

namespace syncdesk {

// A read's MVCC snapshot as PostgreSQL prints it (pg_current_snapshot(), "xmin:xmax:xip,…" in
// 64-bit transaction ids): which committed transactions that read saw. PostgreSQL hands a
// commit to logical decoding a moment before other sessions see it, so a read made right
// after a change stream told a commit may not show it yet; the snapshot says so exactly.
class TxSnapshot
{
public:
    // nullopt for text that is not a snapshot.
    [[nodiscard]] static std::optional<TxSnapshot> parse(std::string_view text);
    // Whether the read saw committed transaction `xid` (32 bits, as a change stream tells it;
    // its epoch is the one nearest the snapshot's).
    [[nodiscard]] bool sees(quint32 xid) const;

private:
    quint64 m_xmin = 0;
    quint64 m_xmax = 0;
    std::vector<quint64> m_running; // in progress when the snapshot was taken, sorted
};

} // namespace syncdesk

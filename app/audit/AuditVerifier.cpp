#include "AuditVerifier.h"

namespace syncdesk {

bool ChainVerifier::add(const AuditRow &row)
{
    if (!m_check.intact)
        return false;
    const qint64 expected = m_check.entries + 1;
    auto fail = [&](qint64 seq, const QString &problem) {
        m_check.intact = false;
        m_check.badSeq = seq;
        m_check.problem = problem;
        return false;
    };
    if (row.seq != expected)
        return fail(expected, row.seq > expected
                                  ? QStringLiteral("entry %1 is missing (deleted)").arg(expected)
                                  : QStringLiteral("entry %1 appears twice").arg(row.seq));
    if (row.prevHash != m_previous)
        return fail(row.seq, QStringLiteral("entry %1 does not follow entry %2 (inserted, deleted "
                                            "or reordered)")
                                 .arg(row.seq).arg(row.seq - 1));
    if (StateStore::chainHash(row.prevHash, row.entry) != row.hash)
        return fail(row.seq, QStringLiteral("entry %1 was modified (its hash does not match its "
                                            "content)").arg(row.seq));
    m_previous = row.hash;
    ++m_check.entries;
    m_check.headHash = m_previous;
    return true;
}

ChainCheck ChainVerifier::result() const
{
    return m_check;
}

QString chainStatusText(const ChainCheck &c)
{
    if (!c.intact)
        return QStringLiteral("Audit chain BROKEN at entry %1: %2. Last verified hash: %3")
            .arg(c.badSeq)
            .arg(c.problem, c.headHash.isEmpty() ? QStringLiteral("none")
                                                 : QString::fromLatin1(c.headHash));
    if (c.entries == 0)
        return QStringLiteral("Audit chain intact: no entries yet");
    return QStringLiteral("Audit chain intact: %1 %2, head hash %3")
        .arg(c.entries)
        .arg(c.entries == 1 ? QStringLiteral("entry") : QStringLiteral("entries"))
        .arg(QString::fromLatin1(c.headHash));
}

ChainCheck verifyChain(const QList<AuditRow> &rows)
{
    ChainVerifier v;
    for (const AuditRow &row : rows) {
        if (!v.add(row))
            break;
    }
    return v.result();
}

ChainCheck verifyStoredChain(StateStore &store)
{
    ChainVerifier v;
    store.forEachAuditRow([&v](const AuditRow &row) { return v.add(row); });
    return v.result();
}

} // namespace syncdesk

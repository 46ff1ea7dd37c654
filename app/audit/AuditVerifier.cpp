#include "AuditVerifier.h"

namespace syncdesk {

ChainCheck verifyChain(const QList<AuditRow> &rows)
{
    ChainCheck c;
    QByteArray previous(64, '0');
    qint64 expected = 1;
    auto fail = [&](qint64 seq, const QString &problem) {
        c.intact = false;
        c.badSeq = seq;
        c.problem = problem;
        return c;
    };
    for (const AuditRow &row : rows) {
        if (row.seq != expected)
            return fail(expected, row.seq > expected
                                      ? QStringLiteral("entry %1 is missing (deleted)").arg(expected)
                                      : QStringLiteral("entry %1 appears twice").arg(row.seq));
        if (row.prevHash != previous)
            return fail(row.seq, QStringLiteral("entry %1 does not follow entry %2 (inserted, "
                                                "deleted or reordered)")
                                     .arg(row.seq).arg(row.seq - 1));
        if (StateStore::chainHash(row.prevHash, row.entry) != row.hash)
            return fail(row.seq, QStringLiteral("entry %1 was modified (its hash does not match "
                                                "its content)").arg(row.seq));
        previous = row.hash;
        ++expected;
        ++c.entries;
    }
    c.headHash = c.entries ? previous : QByteArray();
    return c;
}

} // namespace syncdesk

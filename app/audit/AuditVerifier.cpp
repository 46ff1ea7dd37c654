#include "AuditVerifier.h"

#include <algorithm>

namespace syncdesk {

void ChainVerifier::expectEntry(qint64 seq, const QByteArray &hash)
{
    m_expected.insert(seq, hash);
    m_expectedMax = std::max(m_expectedMax, seq);
}

void ChainVerifier::expectHead(const QByteArray &hash)
{
    m_expectedHead = hash;
}

void ChainVerifier::resumeAfter(qint64 seq, const QByteArray &hash)
{
    m_check.entries = seq;
    m_previous = hash;
    m_check.headHash = hash;
}

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
    if (const auto it = m_expected.constFind(row.seq); it != m_expected.cend()) {
        if (*it != row.hash && m_check.anchored) {
            m_check.anchored = false;
            m_check.anchorProblem = QStringLiteral("entry %1 is not the entry written down (hash %2 then, %3 now): "
                                                   "the log was rewritten from there on and chained again")
                                        .arg(row.seq)
                                        .arg(QString::fromLatin1(*it), QString::fromLatin1(row.hash));
        } else if (*it == row.hash) {
            m_check.anchorSeq = std::max(m_check.anchorSeq, row.seq);
        }
    }
    if (!m_expectedHead.isEmpty() && row.hash == m_expectedHead)
        m_headSeq = row.seq;
    return true;
}

ChainCheck ChainVerifier::result() const
{
    ChainCheck c = m_check;
    if (!c.intact || !c.anchored)
        return c;
    if (m_expectedMax > c.entries) {
        c.anchored = false;
        c.anchorProblem = QStringLiteral("entry %1 was written down, but the log ends at entry %2: its last "
                                         "entries were deleted")
                              .arg(m_expectedMax)
                              .arg(c.entries);
    } else if (!m_expectedHead.isEmpty() && m_headSeq == 0) {
        c.anchored = false;
        c.anchorProblem = QStringLiteral("the head written down (%1) is no entry of this log: the log was "
                                         "rewritten and chained again, or cut short before it")
                              .arg(QString::fromLatin1(m_expectedHead));
    } else if (m_headSeq > 0) {
        c.anchorSeq = std::max(c.anchorSeq, m_headSeq);
    }
    return c;
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
    return verifyStoredChain(store, ChainVerifier{});
}

ChainCheck verifyStoredChain(StateStore &store, ChainVerifier verifier)
{
    store.forEachAuditRow([&verifier](const AuditRow &row) { return verifier.add(row); });
    return verifier.result();
}

ChainCheck VerifiedChain::check(StateStore &store, bool full)
{
    const std::lock_guard lock(m_mutex);
    ChainVerifier verifier;
    if (full && m_seq > 0) {
        // Everything again, still held to what was verified before.
        verifier.expectEntry(m_seq, m_hash);
        store.forEachAuditRow([&verifier](const AuditRow &row) { return verifier.add(row); });
        const ChainCheck c = verifier.result();
        if (c.intact && c.anchored) {
            m_seq = c.entries;
            m_hash = c.headHash;
        }
        return c;
    }
    if (m_seq > 0) {
        const AuditRow then = store.auditHashAt(m_seq);
        if (then.seq == 0 || then.hash != m_hash) {
            // Verified once, different now: whatever the chain says of itself, it is not the
            // log this desk checked. Kept, so it says so on every check from now on.
            ChainCheck c = verifyStoredChain(store);
            c.anchored = false;
            c.anchorSeq = 0;
            c.anchorProblem = then.seq == 0
                                  ? QStringLiteral("entry %1, verified earlier by this console, is gone: the "
                                                   "log's last entries were deleted")
                                        .arg(m_seq)
                                  : QStringLiteral("entry %1 is not the entry verified earlier by this console "
                                                   "(hash %2 then, %3 now): the log was rewritten and chained again")
                                        .arg(m_seq)
                                        .arg(QString::fromLatin1(m_hash), QString::fromLatin1(then.hash));
            return c;
        }
        verifier.resumeAfter(m_seq, m_hash);
    }
    store.forEachAuditRow([&verifier](const AuditRow &row) { return verifier.add(row); }, m_seq + 1);
    const ChainCheck c = verifier.result();
    if (c.intact && c.entries > 0) {
        m_seq = c.entries;
        m_hash = c.headHash;
    }
    return c;
}

} // namespace syncdesk

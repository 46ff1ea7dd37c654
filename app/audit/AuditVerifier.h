#pragma once

#include "state/StateStore.h"

#include <QHash>
#include <QList>
#include <QString>

#include <mutex>

namespace syncdesk {

// What recomputing the audit chain found.
struct ChainCheck
{
    bool intact = true;
    qint64 entries = 0;
    QByteArray headHash;  // the last entry's hash: worth writing down elsewhere
    qint64 badSeq = 0;    // the first entry that does not check out
    QString problem;
    // Against what was written down outside the log (ChainVerifier::expect*): whether the
    // log still holds it, and if not why. A chain that recomputes cleanly can still fail this:
    // rewritten and chained again, or cut short.
    bool anchored = true;
    QString anchorProblem;
    qint64 anchorSeq = 0; // the newest anchor found (an expected head: where it is)
};

// Checks the chain one entry at a time, so a log of millions never sits in memory.
class ChainVerifier
{
public:
    // Entry `seq` must still hash to `hash` (an entry listed in an exported report).
    void expectEntry(qint64 seq, const QByteArray &hash);
    // `hash` must be some entry's hash (a head written down earlier; the log may have grown).
    void expectHead(const QByteArray &hash);
    // Starts after entry `seq`, whose hash is `hash` (verified earlier): the next entry must
    // be seq + 1 and follow it.
    void resumeAfter(qint64 seq, const QByteArray &hash);
    // False once an entry does not check out (then result() names it).
    bool add(const AuditRow &row);
    [[nodiscard]] ChainCheck result() const;

private:
    ChainCheck m_check;
    QByteArray m_previous = QByteArray(64, '0');
    QHash<qint64, QByteArray> m_expected;
    qint64 m_expectedMax = 0;
    QByteArray m_expectedHead;
    qint64 m_headSeq = 0;
};

// Walks the log in sequence order: every entry must carry the next number, point at the hash
// of the one before and hash to what it says. A modified entry fails its own hash; a deleted
// one leaves a gap (or, renumbered, breaks the next prev_hash); an inserted or reordered one
// breaks a prev_hash.
[[nodiscard]] ChainCheck verifyChain(const QList<AuditRow> &rows);

// The same over a whole stored log, read one row at a time.
[[nodiscard]] ChainCheck verifyStoredChain(StateStore &store);
// The same, with what was written down outside the log (the verifier's expectations).
[[nodiscard]] ChainCheck verifyStoredChain(StateStore &store, ChainVerifier verifier);

// What one process has already verified of a store's chain. A later check reads only the
// entries after it, once it has seen that the last one verified still carries the same hash:
// changing any earlier entry and chaining again would have changed that hash, and cutting the
// log short would have removed it. So a console with years of history checks in the time its
// new entries take. Thread-safe; one per workspace.
class VerifiedChain
{
public:
    // `full`: from the first entry again (an edit that left the hashes alone, anywhere before
    // the point, shows only so); then the point moves to its end.
    [[nodiscard]] ChainCheck check(StateStore &store, bool full = false);

private:
    std::mutex m_mutex;
    qint64 m_seq = 0;
    QByteArray m_hash;
};

// The chain's state as a report states it on every page: intact with its head hash (the value
// an auditor writes down), or broken at the first bad entry with the last hash that checked out.
[[nodiscard]] QString chainStatusText(const ChainCheck &check);

} // namespace syncdesk

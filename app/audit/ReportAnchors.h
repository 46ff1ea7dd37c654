#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

#include <utility>

namespace syncdesk {

// What an exported audit report says the log held when it was made, to check the log against
// (`audit verify --against REPORT`): its entries' sequence numbers and hashes (JSON and CSV
// exports list them all), or the chain's head as the HTML report states it. Since every hash
// covers all entries before it, one entry found unchanged vouches for the whole log up to it.
// A PDF is refused: its text is drawn, not stored as text; its footer's head hash goes to
// `--expect-head` instead. Throws SyncError naming the file and the problem.
class ReportAnchors
{
public:
    [[nodiscard]] static QList<std::pair<qint64, QByteArray>> read(const QString &path);
    [[nodiscard]] static bool isHash(const QByteArray &text);

    // A head-hash history (`watch --anchor-file`): this header, then one line per head seen,
    // "2026-12-03T06:00:00Z<TAB>SEQ<TAB>HASH". read() takes such a file too.
    static constexpr char HeadHistoryHeader[] = "# syncdesk audit heads: time, entry, hash\n";
    [[nodiscard]] static QByteArray headHistoryLine(const QDateTime &at, qint64 seq, const QByteArray &hash);
};

} // namespace syncdesk

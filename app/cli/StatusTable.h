#pragma once

#include "engine/DeskStatus.h"

#include <QString>
#include <QStringList>

namespace syncdesk::cli {

// The desk as a compact table for a terminal, the way top or kubectl show theirs: one row
// per flow (state, records by status, oldest pending, p95 lag against the SLA), one per system
// (connection, feed, last change), then the alerts. Column widths follow the content; names
// are never cut, only free text (feed, errors, alerts) is shortened to the width.
class StatusTable
{
public:
    struct Options
    {
        int width = 100;
        bool colour = false;   // ANSI colours (off for NO_COLOR, dumb terminals, files)
        QString flowFilter;    // only this flow; empty: all
        QString title;         // the first line's text after "SyncDesk"
        QString keys;          // the first line's right-hand hint, e.g. "q quit  f flows"
        qint64 nowMs = 0;
    };

    [[nodiscard]] static QStringList render(const DeskStatus &desk, const Options &options);

    // "850 ms", "12 s", "1 m 04 s", "2 h 05 m", "3 d 04 h".
    [[nodiscard]] static QString duration(qint64 ms);
};

} // namespace syncdesk::cli

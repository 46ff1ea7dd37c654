#pragma once

#include "ChangeColumns.h"
#include "model/Workspace.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace syncdesk {

// What a reported change says of the row after it, beyond its key.
enum class RowImage : quint8 {
    None,   // nothing: the row must be read to know it
    Row,    // the row as committed, each value as the system prints it (ChangeEvent::columns;
            // a column the stream left out, such as an unchanged TOAST value, is absent)
    Absent, // no row holds the key after the change (a delete, or the old key of an update)
};

// One row change a feed saw: the table, the columns it knows (at least the key), and when it
// was committed (ms since the epoch; 0 when the feed cannot tell).
struct ChangeEvent
{
    TableRef table;
    ChangeColumns columns;
    qint64 commitMs = 0;
    RowImage image = RowImage::None;
    quint64 commitLsn = 0; // where the change's commit sits in the system's log (images only)
    quint32 xid = 0;       // the transaction that made it, when the feed tells (a logical feed)

    // A change known by its key columns' values only (what polling feeds see).
    [[nodiscard]] static ChangeEvent ofKey(const TableRef &table, const QStringList &keyColumns,
                                           const QList<std::optional<QString>> &values, qint64 commitMs)
    {
        ChangeEvent e;
        e.table = table;
        for (qsizetype i = 0; i < keyColumns.size(); ++i)
            e.columns.insert(keyColumns[i], values.value(i));
        e.commitMs = commitMs;
        return e;
    }
};

} // namespace syncdesk

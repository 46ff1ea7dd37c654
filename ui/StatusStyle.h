#pragma once

#include "model/Classify.h"
#include "model/RecordStatus.h"

#include <QColor>
#include <QIcon>
#include <QString>

namespace syncdesk::ui {

// How a record status looks everywhere in the console: words, an icon and a colour, so that
// no status is told by colour alone.
struct StatusStyle
{
    [[nodiscard]] static QString text(RecordStatus status);  // "Pending", "Missing in target"
    [[nodiscard]] static QColor colour(RecordStatus status); // readable on light and dark palettes
    [[nodiscard]] static QIcon icon(RecordStatus status);    // a shape per status, not just a hue
};

// A field value as shown in a table cell: its text, or NULL.
[[nodiscard]] QString fieldText(const FieldText &value);

// "changed at source", "conflict": a field's change in words.
[[nodiscard]] QString fieldChangeText(FieldChange change);

// "3 h 05 m", "4 m 12 s", "850 ms": a duration as an operator reads it.
[[nodiscard]] QString durationText(qint64 ms);

} // namespace syncdesk::ui

#pragma once

#include <QByteArray>
#include <QString>

#include <functional>

namespace syncdesk {

// A report is written whole or not at all: an interrupted export never leaves half a file.
// `data` goes through QSaveFile; false with `error` set when it cannot be written.
[[nodiscard]] bool writeReportFile(const QString &path, const QByteArray &data, QString *error);

// The same for a report that a writer makes as a file of its own (QPdfWriter): it writes
// `part` beside `path` (returning false with `error` set, or cancelled), which is then renamed
// into place; nothing is left behind on failure.
[[nodiscard]] bool writeReportFileWith(const QString &path,
                                       const std::function<bool(const QString &part)> &write,
                                       QString *error);

} // namespace syncdesk

#include "ReportFile.h"

#include <QFile>
#include <QSaveFile>

namespace syncdesk {

bool writeReportFile(const QString &path, const QByteArray &data, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool writeReportFileWith(const QString &path, const std::function<bool(const QString &part)> &write,
                         QString *error)
{
    const QString part = path + QStringLiteral(".part");
    if (!write(part) || (QFile::exists(path) && !QFile::remove(path)) || !QFile::rename(part, path)) {
        QFile::remove(part);
        if (error->isEmpty())
            *error = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    return true;
}

} // namespace syncdesk

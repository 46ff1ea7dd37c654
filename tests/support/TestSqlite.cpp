#include "TestSqlite.h"

#include <QDir>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace testsupport {

bool sqliteExec(const QString &path, const QStringList &statements, QString *error)
{
    static int counter = 0;
    const QString name = QStringLiteral("test-sqlite-%1").arg(++counter);
    bool ok = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (!db.open()) {
            *error = db.lastError().text();
            ok = false;
        }
        QSqlQuery q(db);
        for (const QString &sql : statements) {
            if (!ok)
                break;
            if (!q.exec(sql)) {
                *error = QStringLiteral("%1\n  in: %2").arg(q.lastError().text(), sql);
                ok = false;
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

QString writeFile(const QDir &dir, const QString &fileName, const QByteArray &json)
{
    const QString path = dir.absoluteFilePath(fileName);
    QFile file(path);
    if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        file.write(json);
    return path;
}

} // namespace testsupport

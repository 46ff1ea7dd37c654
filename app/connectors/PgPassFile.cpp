#include "PgPassFile.h"

#include "model/SyncError.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>

#include <libpq-fe.h>

#include <memory>

namespace syncdesk {

namespace {

// A .pgpass field: ':' and '\' escaped with '\'.
QString escaped(QString v)
{
    return v.replace(u'\\', QStringLiteral("\\\\")).replace(u':', QStringLiteral("\\:"));
}

} // namespace

QString PgPassFile::path()
{
    const QString env = qEnvironmentVariable("PGPASSFILE");
    return env.isEmpty() ? QDir::home().filePath(QStringLiteral(".pgpass")) : env;
}

void PgPassFile::store(const QString &conninfo, const QString &password)
{
    char *error = nullptr;
    const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
        PQconninfoParse(conninfo.toUtf8().constData(), &error), &PQconninfoFree);
    if (!options) {
        // libpq's message may quote the string, password and all: it is not repeated.
        PQfreemem(error);
        throw SyncError(QStringLiteral("the connection string is not valid (libpq cannot parse it): "
                                       "use key=value pairs or a postgresql:// URI"));
    }
    QString host = QStringLiteral("localhost"), port = QStringLiteral("5432"), db = QStringLiteral("*"),
            user = qEnvironmentVariable("PGUSER", qEnvironmentVariable("USER"));
    for (const PQconninfoOption *o = options.get(); o->keyword; ++o) {
        if (!o->val || !*o->val)
            continue;
        const QString v = QString::fromUtf8(o->val);
        const QByteArray k(o->keyword);
        if (k == "host" || (k == "hostaddr" && host == u"localhost"))
            host = v;
        else if (k == "port")
            port = v;
        else if (k == "dbname")
            db = v;
        else if (k == "user")
            user = v;
    }
    const QString prefix = QStringList{escaped(host), escaped(port), escaped(db), escaped(user)}.join(u':') + u':';
    // libpq takes the first matching line: the new one goes first.
    QStringList lines{prefix + escaped(password)};
    QFile old(path());
    if (old.exists() && !old.open(QIODevice::ReadOnly))
        throw SyncError(QStringLiteral("cannot read %1 (%2): left as it is").arg(path(), old.errorString()));
    if (old.isOpen())
        for (const QString &line : QString::fromUtf8(old.readAll()).split(u'\n'))
            if (!line.isEmpty() && !line.startsWith(prefix))
                lines << line;
    QSaveFile file(path());
    if (!file.open(QIODevice::WriteOnly) || !file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || file.write((lines.join(u'\n') + u'\n').toUtf8()) < 0 || !file.commit())
        throw SyncError(QStringLiteral("cannot write %1: %2").arg(path(), file.errorString()));
}

} // namespace syncdesk

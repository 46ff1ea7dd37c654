#include "PgFeedMode.h"

#include "connectors/PgConnection.h"
#include "connectors/PostgresConnector.h"
#include "model/SyncError.h"

#include <QFile>

namespace syncdesk {

QString choosePgFeedMode(const SystemSpec &system, const QList<TableRef> &tables, bool pollable)
{
    try {
        PgConnection conn(system.conninfo, QStringLiteral("system '%1' (postgres)").arg(system.name));
        const PgResultPtr r = conn.exec(
            "feed", "SELECT current_setting('wal_level') = 'logical' AND "
                    "(SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user)");
        if (*PQgetvalue(r.get(), 0, 0) == 't')
            return QStringLiteral("logical");
        for (const TableRef &t : tables) {
            const PgResultPtr has = conn.exec(
                "feed",
                "SELECT count(*) FROM pg_trigger tr JOIN pg_class c ON c.oid = tr.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE tr.tgname = 'syncdesk_notify' "
                "AND c.relname = $2 AND ($1 IN ('', '*') OR n.nspname = $1)",
                {t.schema.toUtf8(), t.name.toUtf8()});
            if (QByteArray(PQgetvalue(has.get(), 0, 0)) == "0")
                return pollable ? QStringLiteral("polling") : QStringLiteral("rescan");
        }
        return QStringLiteral("notify");
    } catch (const SyncError &) {
        return QStringLiteral("logical");
    }
}

QString notifyTriggerSql(const SystemSpec &system, const TableRef &table, const QStringList &keyColumns)
{
    PostgresConnector connector(system);
    connector.open();
    const TableRef qualified = connector.qualified(table);
    (void)connector.describe(qualified, keyColumns); // names the missing table or column
    PgConnection conn(system.conninfo, QStringLiteral("system '%1' (postgres)").arg(system.name));
    QFile file(QStringLiteral(":/sql/feed/notify_trigger.sql"));
    if (!file.open(QIODevice::ReadOnly))
        throw SyncError(QStringLiteral("the notify trigger template is missing from this build"));
    QStringList literals;
    for (const QString &k : keyColumns) {
        const QByteArray utf8 = k.toUtf8();
        char *quoted = PQescapeLiteral(conn.handle(), utf8.constData(), size_t(utf8.size()));
        literals << QString::fromUtf8(quoted);
        PQfreemem(quoted);
    }
    const QString schema = QString::fromUtf8(conn.quoteIdentifier(qualified.schema));
    return QString::fromUtf8(file.readAll())
        .replace(QStringLiteral("{{TABLE}}"),
                 schema + u'.' + QString::fromUtf8(conn.quoteIdentifier(qualified.name)))
        .replace(QStringLiteral("{{SCHEMA}}"), schema)
        .replace(QStringLiteral("{{KEY_COLUMNS}}"), literals.join(QStringLiteral(", ")));
}

} // namespace syncdesk

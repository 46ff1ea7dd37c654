#include "DemoPortalStore.h"

#include "model/SyncError.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace syncdesk {

namespace {

QJsonObject recordOf(const QSqlQuery &q)
{
    QJsonObject r;
    const QStringList &members = DemoPortalStore::members();
    for (int i = 0; i < members.size(); ++i) {
        const QVariant v = q.value(i);
        if (v.isNull())
            r.insert(members.at(i), QJsonValue::Null);
        else if (members.at(i) == u"price_cents")
            r.insert(members.at(i), v.toLongLong());
        else
            r.insert(members.at(i), v.toString());
    }
    return r;
}

QVariant valueOf(const QJsonValue &v)
{
    if (v.isNull() || v.isUndefined())
        return QVariant(QMetaType::fromType<QString>());
    if (v.isDouble())
        return QVariant(qint64(v.toDouble()));
    return v.toString();
}

} // namespace

DemoPortalStore::DemoPortalStore(DemoPlace place)
    : m_place(std::move(place)),
      m_name(QStringLiteral("demo-portal-api-") + QUuid::createUuid().toString(QUuid::WithoutBraces))
{
}

DemoPortalStore::~DemoPortalStore()
{
    if (m_open) {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
}

const QStringList &DemoPortalStore::members()
{
    static const QStringList names{QStringLiteral("sku"), QStringLiteral("model"), QStringLiteral("grade"),
                                   QStringLiteral("price_cents"), QStringLiteral("updated_at")};
    return names;
}

QString DemoPortalStore::connection()
{
    if (!m_open) {
        (void)DemoWorld::open(m_place, QStringLiteral("portal"), m_name);
        m_open = true;
    }
    return m_name;
}

void DemoPortalStore::exec(const QString &sql, const QVariantList &values)
{
    QSqlQuery q(QSqlDatabase::database(connection(), false));
    q.prepare(sql);
    for (const QVariant &v : values)
        q.addBindValue(v);
    if (!q.exec())
        throw SyncError(QStringLiteral("demo portal: %1").arg(q.lastError().text()));
}

DemoPortalStore::Page DemoPortalStore::page(qint64 offset, int limit, const QString &since)
{
    QSqlQuery q(QSqlDatabase::database(connection(), false));
    // One more than asked, to know whether another page follows.
    q.prepare(QStringLiteral("SELECT %1 FROM catalog%2 ORDER BY sku LIMIT ? OFFSET ?")
                  .arg(members().join(QStringLiteral(", ")),
                       since.isEmpty() ? QString() : QStringLiteral(" WHERE updated_at >= ?")));
    if (!since.isEmpty())
        q.addBindValue(since);
    q.addBindValue(limit + 1);
    q.addBindValue(offset);
    if (!q.exec())
        throw SyncError(QStringLiteral("demo portal: %1").arg(q.lastError().text()));
    Page page;
    while (q.next()) {
        if (page.records.size() == limit) {
            page.more = true;
            break;
        }
        page.records.append(recordOf(q));
    }
    return page;
}

std::optional<QJsonObject> DemoPortalStore::record(const QString &sku, bool forWrite)
{
    QSqlQuery q(QSqlDatabase::database(connection(), false));
    // In a write on PostgreSQL the row stays locked from this read to the commit (SQLite's
    // BEGIN IMMEDIATE already holds the whole file).
    const bool lock = forWrite && m_place.postgres();
    q.prepare(QStringLiteral("SELECT %1 FROM catalog WHERE sku = ?%2")
                  .arg(members().join(QStringLiteral(", ")), lock ? QStringLiteral(" FOR UPDATE") : QString()));
    q.addBindValue(sku);
    if (!q.exec())
        throw SyncError(QStringLiteral("demo portal: %1").arg(q.lastError().text()));
    if (!q.next())
        return std::nullopt;
    return recordOf(q);
}

void DemoPortalStore::begin()
{
    // The write lock now, not at the first write: the read that checks a condition and the
    // write are one step for everyone else, and updated_at is stamped under it, so stamps rise
    // in commit order (the simulator's batch takes the same lock) and polls never skip one.
    if (m_place.postgres()) {
        exec(QStringLiteral("BEGIN"));
        exec(QStringLiteral("LOCK TABLE catalog IN SHARE ROW EXCLUSIVE MODE"));
    } else {
        exec(QStringLiteral("BEGIN IMMEDIATE"));
    }
}

void DemoPortalStore::commit()
{
    exec(QStringLiteral("COMMIT"));
}

void DemoPortalStore::rollback()
{
    exec(QStringLiteral("ROLLBACK"));
}

QJsonObject DemoPortalStore::store(const QJsonObject &record, bool exists)
{
    QJsonObject stored = record;
    stored.insert(QStringLiteral("updated_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    QVariantList values;
    if (exists) {
        for (const QString &m : members().mid(1))
            values << valueOf(stored.value(m));
        values << stored.value(u"sku").toString();
        exec(QStringLiteral("UPDATE catalog SET model = ?, grade = ?, price_cents = ?, updated_at = ? WHERE sku = ?"), values);
    } else {
        for (const QString &m : members())
            values << valueOf(stored.value(m));
        exec(QStringLiteral("INSERT INTO catalog (%1) VALUES (?, ?, ?, ?, ?)").arg(members().join(QStringLiteral(", "))),
             values);
    }
    for (const QString &m : members())
        if (!stored.contains(m))
            stored.insert(m, QJsonValue::Null);
    return stored;
}

void DemoPortalStore::remove(const QString &sku)
{
    exec(QStringLiteral("DELETE FROM catalog WHERE sku = ?"), {sku});
}

QByteArray DemoPortalStore::etag(const QJsonObject &record)
{
    const QByteArray digest = QCryptographicHash::hash(QJsonDocument(record).toJson(QJsonDocument::Compact),
                                                       QCryptographicHash::Sha256);
    return '"' + digest.toHex().left(32) + '"';
}

} // namespace syncdesk

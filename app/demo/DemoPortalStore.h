#pragma once

#include "DemoWorld.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace syncdesk {

// The portal's catalog table as JSON records, for the demo's portal API: one connection of
// its own (opened on first use, on the thread that uses it), reads in key order, and writes
// under a lock held from the read that checks a condition to the commit, so a condition is
// never checked against a record the simulator is changing. Throws SyncError.
class DemoPortalStore
{
public:
    explicit DemoPortalStore(DemoPlace place);
    ~DemoPortalStore();
    DemoPortalStore(const DemoPortalStore &) = delete;
    DemoPortalStore &operator=(const DemoPortalStore &) = delete;

    // Records in key order from `offset`, changed at or after `since` when it is given, and
    // whether more follow.
    struct Page
    {
        QJsonArray records;
        bool more = false;
    };
    [[nodiscard]] Page page(qint64 offset, int limit, const QString &since);
    // With `forWrite`, inside begin()…commit(): the record stays locked until the commit.
    [[nodiscard]] std::optional<QJsonObject> record(const QString &sku, bool forWrite = false);

    // A write: begin() takes the lock, commit() or rollback() ends it.
    void begin();
    void commit();
    void rollback();
    // Inserts or replaces the record (its members as in record()); stamps updated_at.
    QJsonObject store(const QJsonObject &record, bool exists);
    void remove(const QString &sku);

    // A strong ETag of a record as served: any change of any member changes it.
    [[nodiscard]] static QByteArray etag(const QJsonObject &record);
    // The members a record has, in the order the table holds them.
    [[nodiscard]] static const QStringList &members();

private:
    void exec(const QString &sql, const QVariantList &values = {});
    [[nodiscard]] QString connection();

    DemoPlace m_place;
    QString m_name;
    bool m_open = false;
};

} // namespace syncdesk

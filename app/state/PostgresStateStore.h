#pragma once

#include "StateStore.h"
#include "connectors/PgHandles.h"

#include <QString>

#include <memory>

namespace syncdesk {

class PgConnection;

// A team's state store: a PostgreSQL database shared by every desk and agent.
class PostgresStateStore final : public StateStore
{
public:
    explicit PostgresStateStore(const QString &uri);
    ~PostgresStateStore() override;

protected:
    void exec(const QString &sql, const QVariantList &params) override;
    QList<QVariantList> query(const QString &sql, const QVariantList &params) override;
    void begin() override;
    void commit() override;
    void rollback() noexcept override;
    void lockAuditLog() override;
    void lockSchema() override;
    bool hasTable(const QString &name) override;
    QString databaseUser() override;
    void notify(const QString &channel, const QString &payload) override;
    QString shareLock() const override { return QStringLiteral(" FOR SHARE"); }
    void limitLockWait(int ms) override;

public:
    qint64 nowMs() override;
    StorePermissions permissions() override;

private:
    // One statement; a refusal by the store's roles named as such.
    PgResultPtr run(const QString &sql, const QVariantList &params, ExecStatusType expected);
    // The connection, opened again if the last one was lost (outside a transaction).
    PgConnection &connection();

    QString m_uri;
    std::unique_ptr<PgConnection> m_conn;
    bool m_inTransaction = false;
    QString m_databaseUser; // databaseUser(), once asked
};

} // namespace syncdesk

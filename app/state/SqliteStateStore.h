#pragma once

#include "StateStore.h"

#include <QHash>
#include <QSqlQuery>

#include <memory>

namespace syncdesk {

class WalCheckpointer;

// The default state store: one SQLite file beside the workspace (WAL journal, so a reader
// never blocks the engine). Used from one thread: the one that opened it.
class SqliteStateStore final : public StateStore
{
public:
    explicit SqliteStateStore(const QString &path);
    ~SqliteStateStore() override;

protected:
    void exec(const QString &sql, const QVariantList &params) override;
    QList<QVariantList> query(const QString &sql, const QVariantList &params) override;
    void begin() override;
    void commit() override;
    void rollback() noexcept override;
    bool hasTable(const QString &name) override;
    void forEachRow(const QString &sql, const QVariantList &params,
                    const std::function<bool(const QVariantList &)> &f) override;

public:
    // Straight from SQLite's UTF-8: a million entries, without a UTF-16 round trip each.
    using StateStore::forEachAuditRow;
    void forEachAuditRow(const std::function<bool(const AuditRow &)> &f, qint64 fromSeq) override;
    void checkpointInBackground() override;

private:
    QString m_path;
    QString m_connection;
    QHash<QString, QSqlQuery> m_statements; // exec()'s prepared statements, by SQL text
    std::unique_ptr<WalCheckpointer> m_checkpointer; // checkpointInBackground()
};

} // namespace syncdesk

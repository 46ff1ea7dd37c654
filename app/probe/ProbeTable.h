#pragma once

#include "model/Workspace.h"

#include <QString>

#include <memory>
#include <optional>

struct sqlite3;

namespace syncdesk {

class PgConnection;

// One system's probe table (README, "Tracer probes"): id text PRIMARY KEY, token text NOT NULL,
// sent_at_ms bigint NOT NULL. The source's row is written by SyncDesk, the target's read.
// Used from one thread; errors are thrown as SyncError naming the system.
class ProbeTable
{
public:
    ProbeTable(const SystemSpec &system, TableRef table);
    ~ProbeTable();
    ProbeTable(const ProbeTable &) = delete;
    ProbeTable &operator=(const ProbeTable &) = delete;

    void open();
    [[nodiscard]] bool isOpen() const;
    void close();

    // Makes row `id` carry `token`, sent at `sentMs` (one upsert, committed at once).
    void write(const QString &id, const QString &token, qint64 sentMs);
    struct Row
    {
        QString token;
        qint64 sentMs = 0;
    };
    // Row `id` as it is now; nullopt while there is none.
    [[nodiscard]] std::optional<Row> read(const QString &id);

    // The statement write() sends, placeholders for id, token and sent_at_ms: what the operator
    // reviews before switching a probe on.
    [[nodiscard]] static QString writeStatement(SystemKind kind, const TableRef &table);
    [[nodiscard]] static QString readStatement(SystemKind kind, const TableRef &table);
    // A CREATE TABLE for the probe table, for the operator to run (and to replicate).
    [[nodiscard]] static QString createStatement(SystemKind kind, const TableRef &table);

private:
    [[nodiscard]] QString where() const;

    SystemSpec m_system;
    TableRef m_table;
    std::unique_ptr<PgConnection> m_pg;
    sqlite3 *m_sqlite = nullptr;
};

} // namespace syncdesk

#pragma once

#include "HttpSpec.h"

#include <memory>
#include <optional>

#include <QList>
#include <QString>

namespace syncdesk {

enum class SystemKind { Postgres, Sqlite, Http };

[[nodiscard]] QString systemKindName(SystemKind kind);

struct SystemSpec
{
    QString name;
    SystemKind kind = SystemKind::Sqlite;
    QString conninfo; // postgres: libpq connection string or URI, never with a password
    QString path;     // sqlite: absolute path (resolved against the workspace file)
    QString url;      // http: base URL (base_url), ending without '/'
    HttpSystemSpec http; // http: headers, pacing, TLS
    // How live changes are followed: "auto" (the best the system allows, reported), or for
    // PostgreSQL "logical" (logical decoding), "notify" (trigger + LISTEN/NOTIFY), "polling"
    // (the flow sides' updated_at columns), "rescan" (comparisons only); SQLite is polled.
    QString feed = QStringLiteral("auto");
};

// A table name kept as schema and name apart, so quoting never has to split on '.'.
struct TableRef
{
    TableRef() = default;
    TableRef(QString schemaName, QString tableName)
        : schema(std::move(schemaName)), name(std::move(tableName))
    {
    }

    QString schema; // empty: the system's default (search_path for PostgreSQL, main for SQLite)
    QString name;
    // A flow side on an HTTP system: how its records are listed and addressed (`name` is then
    // the resource, for display). Shared, so that copies of the reference stay cheap.
    std::shared_ptr<const HttpSideSpec> http;
    [[nodiscard]] QString display() const { return schema.isEmpty() ? name : schema + u'.' + name; }
};

// One compared column; the names differ when a field is {"source": "a", "target": "b"}.
struct ColumnPair
{
    QString source;
    QString target;
    [[nodiscard]] const QString &name(bool sourceSide) const { return sourceSide ? source : target; }
};

struct FlowSide
{
    QString system;
    TableRef table;
    QString updatedAt; // optional: a column whose value moves on every change (for polling)
};

// A tracer probe (README, "Tracer probes"): every intervalSeconds SyncDesk writes a fresh token
// into the probe row `id` of a probe table at the flow's source; the flow's own pipeline
// carries it to the probe table at the target, where its arrival is timed end to end. The
// probe tables are not the flow's tables, so probe rows never count as business records.
struct ProbeSpec
{
    TableRef sourceTable;
    TableRef targetTable;
    QString id;               // the probe row's key (default: the flow's name)
    int intervalSeconds = 30; // a token written this often
    // A token not arrived after this long means the pipeline is stalled (default: one
    // interval, so that a pipeline that stops is alerted within two).
    int stallAfterSeconds = 30;
};

enum class Direction { OneWay, TwoWay };
// How a flow's conflicts and drift are settled (DESIGN.md, Policies): by a person, or by one of
// the automatic rules that the live engine applies through the audited resolution path.
enum class Policy { Manual, SourceWins, TargetWins, NewestWins, MergeFields };

// The Contract's spelling ("source-wins", …) and back; nullopt for an unknown name.
[[nodiscard]] QString policyName(Policy policy);
[[nodiscard]] std::optional<Policy> policyFromName(const QString &name);

struct FlowSpec
{
    QString name;
    FlowSide source;
    FlowSide target;
    QList<ColumnPair> key;
    QList<ColumnPair> fields;
    Direction direction = Direction::OneWay;
    int slaSeconds = 300;
    Policy policy = Policy::Manual;
    // "policy_mode": "dry-run": the policy's decisions are shown (events, console) and counted,
    // never carried out; the way to see what switching it on would do.
    bool policyDryRun = false;
    std::optional<ProbeSpec> probe;

    [[nodiscard]] const FlowSide &side(bool sourceSide) const { return sourceSide ? source : target; }
};

// Whether a workspace's "state" names a PostgreSQL store (a postgresql:// or postgres:// URI)
// rather than an SQLite file.
[[nodiscard]] inline bool isStateUri(const QString &state)
{
    return state.startsWith(QLatin1String("postgresql://"))
           || state.startsWith(QLatin1String("postgres://"));
}

struct Workspace
{
    QString filePath;  // absolute path of the workspace file
    int version = 1;
    QString state;     // absolute path of the SQLite state store, or a postgresql:// URI
    int claimMinutes = 30; // how long an operator's claim holds ("claim_minutes")
    QList<SystemSpec> systems;
    QList<FlowSpec> flows;

    [[nodiscard]] const SystemSpec *system(const QString &name) const;
    [[nodiscard]] const FlowSpec *flow(const QString &name) const;
};

} // namespace syncdesk

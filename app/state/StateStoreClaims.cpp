// StateStore's claims (resources/sql/state/006_claims.sql): who holds which record, and for how
// long. Every change of a claim runs under the audit log's lock, as resolution intents do, so
// that a claim and an intent are ordered: a resolution whose intent was appended first is
// already under way when the claim comes; one that comes after it sees the claim.

#include "StateStore.h"

#include "model/SyncError.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace syncdesk {

namespace {

const QString ClaimColumns = QStringLiteral(
    "flow, record_key, operator, os_user, host, db_user, claimed_at, expires_at");

Claim claimOf(const QVariantList &row)
{
    Claim c;
    c.flow = row.value(0).toString();
    c.keyJson = row.value(1).toString().toUtf8();
    c.operatorName = row.value(2).toString();
    c.osUser = row.value(3).toString();
    c.host = row.value(4).toString();
    c.dbUser = row.value(5).toString();
    c.claimedAtMs = row.value(6).toLongLong();
    c.expiresAtMs = row.value(7).toLongLong();
    return c;
}

// Text columns are NOT NULL: a null QString would bind as NULL, an absent value is "".
QString notNull(const QString &s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

QString recordText(const QString &flow, const QByteArray &keyJson)
{
    return QStringLiteral("flow '%1' key %2").arg(flow, QString::fromUtf8(keyJson));
}

QString clockText(qint64 ms)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms);
    // A claim from another day names the day too.
    return t.date() == QDate::currentDate() ? t.toString(QStringLiteral("HH:mm"))
                                            : t.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

} // namespace

QString Claim::text() const
{
    return QStringLiteral("claimed by %1 since %2 (until %3)")
        .arg(operatorName, clockText(claimedAtMs), clockText(expiresAtMs));
}

QString StorePermissions::roleText() const
{
    if (login.isEmpty())
        return {};
    const QString can = breakClaims && runEngine ? QStringLiteral("admin")
                        : runEngine              ? QStringLiteral("agent")
                        : resolve                ? QStringLiteral("resolver")
                                                 : QStringLiteral("read only");
    return QStringLiteral("%1 (%2)").arg(login, can);
}

qint64 StateStore::nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

std::optional<Claim> StateStore::claimRow(const QString &flow, const QByteArray &keyJson)
{
    const auto rows = query(QStringLiteral("SELECT %1 FROM claims WHERE flow = ? AND record_key = ?")
                                .arg(ClaimColumns),
                            {flow, QString::fromUtf8(keyJson)});
    if (rows.isEmpty())
        return std::nullopt;
    return claimOf(rows.first());
}

std::optional<Claim> StateStore::claim(const QString &flow, const QByteArray &keyJson)
{
    std::optional<Claim> c = claimRow(flow, keyJson);
    if (c && c->expiresAtMs <= nowMs())
        return std::nullopt;
    return c;
}

QList<Claim> StateStore::claims(const QString &flow)
{
    const QString sql = QStringLiteral("SELECT %1 FROM claims WHERE expires_at > ?%2 ORDER BY flow, record_key")
                            .arg(ClaimColumns, flow.isEmpty() ? QString() : QStringLiteral(" AND flow = ?"));
    QVariantList params{nowMs()};
    if (!flow.isEmpty())
        params << flow;
    QList<Claim> out;
    for (const QVariantList &row : query(sql, params))
        out << claimOf(row);
    return out;
}

std::optional<Claim> StateStore::refuseClaimedByOthers(const QString &flow, const QByteArray &keyJson,
                                                       const QString &operatorName)
{
    std::optional<Claim> c = claim(flow, keyJson);
    // In a team's store the claim is also the database role's: a name typed on another login
    // does not make the claim one's own.
    if (c && (c->operatorName != operatorName || (!c->dbUser.isEmpty() && c->dbUser != databaseUser())))
        throw SyncError(QStringLiteral("%1 is %2: only they can resolve it, or release it "
                                       "(an admin can break the claim)")
                            .arg(recordText(flow, keyJson), c->text()),
                        SyncError::Kind::Claimed);
    return c;
}

Claim StateStore::takeClaim(const QString &flow, const QByteArray &keyJson, const QJsonObject &who, qint64 forMs)
{
    if (forMs <= 0)
        throw SyncError(QStringLiteral("a claim must last some time"));
    Claim c;
    c.flow = flow;
    c.keyJson = keyJson;
    c.operatorName = who.value(u"operator").toString();
    c.osUser = who.value(u"os_user").toString();
    c.host = who.value(u"host").toString();
    begin();
    try {
        lockAuditLog();
        const std::optional<Claim> held = refuseClaimedByOthers(flow, keyJson, c.operatorName); // renewed
        const qint64 now = nowMs();
        c.dbUser = databaseUser();
        c.claimedAtMs = held ? held->claimedAtMs : now;
        c.expiresAtMs = now + forMs;
        // A lapsed claim's row is taken over (row-level security lets any resolver do so).
        exec(QStringLiteral("INSERT INTO claims (%1) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (flow, record_key) DO UPDATE SET operator = excluded.operator, "
                            "os_user = excluded.os_user, host = excluded.host, db_user = excluded.db_user, "
                            "claimed_at = excluded.claimed_at, expires_at = excluded.expires_at")
                 .arg(ClaimColumns),
             {flow, QString::fromUtf8(keyJson), notNull(c.operatorName), notNull(c.osUser), notNull(c.host),
              notNull(c.dbUser), c.claimedAtMs, c.expiresAtMs});
        commit();
    } catch (...) {
        rollback();
        throw;
    }
    return c;
}

bool StateStore::releaseClaim(const QString &flow, const QByteArray &keyJson, const QString &operatorName)
{
    begin();
    try {
        lockAuditLog();
        const bool held = refuseClaimedByOthers(flow, keyJson, operatorName).has_value();
        // A lapsed row of anyone's goes too: it holds nothing.
        const auto deleted = query(QStringLiteral("DELETE FROM claims WHERE flow = ? AND record_key = ? "
                                                  "RETURNING operator"),
                                   {flow, QString::fromUtf8(keyJson)});
        if (held && deleted.isEmpty()) // row-level security kept it: not this role's
            throw SyncError(QStringLiteral("%1: this database role may not release that claim")
                                .arg(recordText(flow, keyJson)),
                            SyncError::Kind::NotAllowed);
        commit();
        return held;
    } catch (...) {
        rollback();
        throw;
    }
}

std::optional<Claim> StateStore::breakClaim(const QString &flow, const QByteArray &keyJson,
                                            const QJsonObject &who, const QString &reason)
{
    if (reason.trimmed().isEmpty())
        throw SyncError(QStringLiteral("a reason is required to break a claim"));
    begin();
    try {
        lockAuditLog();
        const std::optional<Claim> held = claim(flow, keyJson);
        if (!held) {
            commit();
            return std::nullopt;
        }
        // Row-level security hides another's row from a DELETE it does not permit: nothing
        // deleted means the role may not break claims.
        const auto deleted = query(QStringLiteral("DELETE FROM claims WHERE flow = ? AND record_key = ? "
                                                  "RETURNING operator"),
                                   {flow, QString::fromUtf8(keyJson)});
        if (deleted.isEmpty())
            throw SyncError(QStringLiteral("%1 is %2, and this role may not break another's claim "
                                           "(syncdesk_admin may)")
                                .arg(recordText(flow, keyJson), held->text()),
                            SyncError::Kind::NotAllowed);
        QJsonObject entry = who;
        entry.insert(QStringLiteral("type"), QStringLiteral("claim"));
        entry.insert(QStringLiteral("event"), QStringLiteral("broken"));
        entry.insert(QStringLiteral("at"),
                     QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC).toString(Qt::ISODateWithMs));
        entry.insert(QStringLiteral("flow"), flow);
        entry.insert(QStringLiteral("key"), QJsonDocument::fromJson(keyJson).array());
        entry.insert(QStringLiteral("claimed_by"), held->operatorName);
        entry.insert(QStringLiteral("claimed_at"),
                     QDateTime::fromMSecsSinceEpoch(held->claimedAtMs, Qt::UTC).toString(Qt::ISODateWithMs));
        entry.insert(QStringLiteral("reason"), reason.trimmed());
        appendLocked({entry});
        commit();
        return held;
    } catch (...) {
        rollback();
        throw;
    }
}

} // namespace syncdesk

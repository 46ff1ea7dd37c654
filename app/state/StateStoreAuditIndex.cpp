// StateStore's reads of the audit log by record and by resolution (resources/sql/state/
// 007_audit_index.sql): a desk with years of history clicks a record, resolves one and starts
// up without reading the log whole.

#include "StateStore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <limits>

namespace syncdesk {

namespace {

const QString RowColumns = QStringLiteral("seq, entry, prev_hash, hash");

AuditRow auditRowOf(const QVariantList &r)
{
    return {r.value(0).toLongLong(), r.value(1).toString().toUtf8(), r.value(2).toString().toUtf8(),
            r.value(3).toString().toUtf8()};
}

QVariant textOrNull(const QJsonValue &v)
{
    return v.isString() ? QVariant(v.toString()) : QVariant(QMetaType(QMetaType::QString));
}

// One spelling of a key for the index: compact JSON as QJsonDocument writes it.
QString keyText(const QJsonArray &key)
{
    return QString::fromUtf8(QJsonDocument(key).toJson(QJsonDocument::Compact));
}

} // namespace

StateStore::AuditColumns StateStore::auditColumns(const QJsonObject &entry)
{
    AuditColumns c;
    c.flow = textOrNull(entry.value(u"flow"));
    c.recordKey = entry.value(u"key").isArray() ? QVariant(keyText(entry.value(u"key").toArray()))
                                                : QVariant(QMetaType(QMetaType::QString));
    c.type = textOrNull(entry.value(u"type"));
    const QString type = entry.value(u"type").toString();
    // Only a resolution's entries carry its id; other kinds' "id" (if any) is not one.
    c.resolutionId = type == u"intent" || type == u"outcome" ? textOrNull(entry.value(u"id"))
                                                             : QVariant(QMetaType(QMetaType::QString));
    c.undoes = type == u"intent" ? textOrNull(entry.value(u"undoes")) : QVariant(QMetaType(QMetaType::QString));
    return c;
}

void StateStore::backfillAuditIndex()
{
    // In pages, so a large log never sits in memory; inside the migration's transaction.
    QSet<QString> open;
    QHash<QString, qint64> openSeq;
    qint64 after = 0;
    while (true) {
        const auto rows = query(QStringLiteral("SELECT seq, entry FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 10000"),
                                {after});
        if (rows.isEmpty())
            break;
        for (const QVariantList &r : rows) {
            after = r.value(0).toLongLong();
            const QJsonObject entry = QJsonDocument::fromJson(r.value(1).toString().toUtf8()).object();
            const AuditColumns c = auditColumns(entry);
            exec(QStringLiteral("UPDATE audit_log SET flow = ?, record_key = ?, entry_type = ?, resolution_id = ?, "
                                "undoes = ? WHERE seq = ?"),
                 {c.flow, c.recordKey, c.type, c.resolutionId, c.undoes, after});
            if (c.resolutionId.isNull())
                continue;
            if (c.type == QStringLiteral("intent")) {
                open.insert(c.resolutionId.toString());
                openSeq.insert(c.resolutionId.toString(), after);
            } else if (c.type == QStringLiteral("outcome")) {
                open.remove(c.resolutionId.toString());
            }
        }
    }
    for (const QString &id : std::as_const(open))
        exec(QStringLiteral("INSERT INTO open_intents (resolution_id, seq) VALUES (?, ?)"), {id, openSeq.value(id)});
}

QList<AuditRow> StateStore::auditRowsOfRecord(const QString &flow, const QByteArray &keyJson)
{
    QList<AuditRow> out;
    for (const QVariantList &r :
         query(QStringLiteral("SELECT %1 FROM audit_log WHERE flow = ? AND record_key = ? ORDER BY seq").arg(RowColumns),
               {flow, keyText(QJsonDocument::fromJson(keyJson).array())}))
        out << auditRowOf(r);
    return out;
}

QList<AuditRow> StateStore::auditRowsOfResolution(const QString &id)
{
    // The resolution's own entries and its undos' intents, then those undos' outcomes.
    QList<AuditRow> out;
    QStringList undos;
    for (const QVariantList &r : query(QStringLiteral("SELECT %1, resolution_id, undoes FROM audit_log "
                                                      "WHERE resolution_id = ? OR undoes = ? ORDER BY seq")
                                           .arg(RowColumns),
                                       {id, id})) {
        out << auditRowOf(r);
        if (r.value(5).toString() == id && r.value(4).toString() != id)
            undos << r.value(4).toString();
    }
    for (const QString &undo : std::as_const(undos))
        for (const QVariantList &r : query(QStringLiteral("SELECT %1 FROM audit_log WHERE resolution_id = ? "
                                                          "AND entry_type = 'outcome' ORDER BY seq")
                                               .arg(RowColumns),
                                           {undo}))
            out << auditRowOf(r);
    std::sort(out.begin(), out.end(), [](const AuditRow &a, const AuditRow &b) { return a.seq < b.seq; });
    return out;
}

QList<AuditRow> StateStore::auditRowsBefore(const QString &flow, qint64 beforeSeq, int limit)
{
    QString sql = QStringLiteral("SELECT %1 FROM audit_log WHERE seq < ?").arg(RowColumns);
    QVariantList params{beforeSeq > 0 ? beforeSeq : std::numeric_limits<qint64>::max()};
    if (!flow.isEmpty()) {
        sql += QStringLiteral(" AND flow = ?");
        params << flow;
    }
    sql += QStringLiteral(" ORDER BY seq DESC LIMIT ?");
    params << limit;
    QList<AuditRow> out;
    for (const QVariantList &r : query(sql, params))
        out << auditRowOf(r);
    return out;
}

QList<AuditRow> StateStore::openIntentRows()
{
    QList<AuditRow> out;
    for (const QVariantList &r : query(QStringLiteral("SELECT a.seq, a.entry, a.prev_hash, a.hash FROM open_intents o "
                                                      "JOIN audit_log a ON a.seq = o.seq ORDER BY a.seq")))
        out << auditRowOf(r);
    return out;
}

} // namespace syncdesk

#include "DiffReport.h"

#include "CommandLine.h"
#include "model/RecordState.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>

namespace syncdesk::cli {

namespace {

QByteArray hashText(const std::optional<quint64> &hash)
{
    if (!hash)
        return "null";
    return '"' + rowHashText(hash).toLatin1() + '"';
}

} // namespace

QByteArray DiffReport::json(const DiffResult &r, bool withRecords)
{
    // Written by hand to keep the Contract's key order, which QJsonObject would sort.
    QByteArray out = "{\"flow\":" + jsonString(r.flow)
                     + ",\"source_rows\":" + QByteArray::number(r.sourceRows)
                     + ",\"target_rows\":" + QByteArray::number(r.targetRows)
                     + ",\"in_sync\":" + QByteArray::number(r.inSync)
                     + ",\"different\":" + QByteArray::number(r.different)
                     + ",\"missing_in_target\":" + QByteArray::number(r.missingInTarget)
                     + ",\"missing_in_source\":" + QByteArray::number(r.missingInSource)
                     + ",\"elapsed_ms\":" + QByteArray::number(r.elapsedMs)
                     + ",\"method\":" + jsonString(r.method) + ",\"order\":" + jsonString(r.order);
    if (r.sourceNullKeys || r.targetNullKeys)
        out += ",\"source_null_keys\":" + QByteArray::number(r.sourceNullKeys)
               + ",\"target_null_keys\":" + QByteArray::number(r.targetNullKeys);
    if (r.confirmation)
        out += ",\"in_flight\":" + QByteArray::number(r.confirmation->inFlight)
               + ",\"confirmed\":" + QByteArray::number(r.confirmation->confirmed)
               + ",\"confirm_wait_ms\":" + QByteArray::number(r.confirmation->waitedMs)
               + ",\"confirm_wait_basis\":" + jsonString(r.confirmation->waitBasis);
    if (withRecords) {
        out += ",\"records\":[";
        for (qsizetype i = 0; i < r.records.size(); ++i) {
            const RecordDiff &d = r.records[i];
            QByteArray fields;
            for (const QString &f : d.fields)
                fields += (fields.isEmpty() ? "" : ",") + jsonString(f);
            out += (i ? ",\n" : "\n") + QByteArray("{\"key\":") + d.keyJson
                   + ",\"status\":" + jsonString(statusName(d.status)) + ",\"fields\":[" + fields
                   + "],\"source_hash\":" + hashText(d.sourceHash)
                   + ",\"target_hash\":" + hashText(d.targetHash)
                   + (d.confirmed ? QByteArray(",\"confirmed\":") + (*d.confirmed ? "true" : "false") : QByteArray())
                   + '}';
        }
        out += r.records.isEmpty() ? "]" : "\n]";
    }
    out += "}\n";
    return out;
}

QByteArray DiffReport::text(const DiffResult &r, bool withRecords)
{
    auto line = [](const char *label, qint64 n) {
        return QByteArray("  ") + QByteArray(label).leftJustified(20, ' ')
               + QByteArray::number(n).rightJustified(12, ' ') + '\n';
    };
    QByteArray out = "flow " + r.flow.toUtf8() + ": " + QByteArray::number(r.sourceRows)
                     + " source rows, " + QByteArray::number(r.targetRows) + " target rows, "
                     + QByteArray::number(r.elapsedMs) + " ms ("
                     + (r.method == u"checksum"
                            ? "checksums of " + QByteArray::number(r.rangesCompared) + " key ranges and buckets, "
                                  + QByteArray::number(r.rowsRead) + " rows read"
                            : r.order.toUtf8() + " order")
                     + (r.spilledPartitions ? ", " + QByteArray::number(r.spilledPartitions)
                                                  + " partitions spilled to disk"
                                            : QByteArray())
                     + ")\n";
    out += line("in_sync", r.inSync);
    out += line("different", r.different);
    out += line("missing_in_target", r.missingInTarget);
    out += line("missing_in_source", r.missingInSource);
    if (r.sourceNullKeys || r.targetNullKeys) {
        out += line("null keys (source)", r.sourceNullKeys);
        out += line("null keys (target)", r.targetNullKeys);
    }
    if (r.confirmation) {
        out += "read again after " + QByteArray::number(double(r.confirmation->waitedMs) / 1000.0, 'f', 1)
               + " s (" + r.confirmation->waitBasis.toUtf8() + "):\n";
        out += line("in_flight", r.confirmation->inFlight);
        out += line("confirmed", r.confirmation->confirmed);
    }
    if (withRecords && !r.records.isEmpty()) {
        out += '\n';
        for (const RecordDiff &d : r.records) {
            out += "  " + statusName(d.status).toUtf8().leftJustified(18, ' ') + ' ' + d.keyJson;
            if (!d.fields.isEmpty())
                out += "  fields: " + d.fields.join(QStringLiteral(", ")).toUtf8();
            if (d.confirmed && !*d.confirmed)
                out += "  (in flight)";
            out += '\n';
        }
    }
    if (r.confirmation)
        out += r.confirmation->confirmed ? "differences confirmed\n" : "in sync once the changes in flight arrived\n";
    else
        out += r.inSyncOverall() ? "in sync\n" : "differences found\n";
    return out;
}

} // namespace syncdesk::cli

#pragma once

#include "model/RecordStatus.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace syncdesk {

// One record that is not in sync, as `diff --list` reports it.
struct RecordDiff
{
    QByteArray keyJson; // the key as a JSON array, e.g. ["SKU0000000010"]
    RecordStatus status = RecordStatus::Different;
    QStringList fields; // names of the differing fields (source names)
    std::optional<quint64> sourceHash;
    std::optional<quint64> targetHash;
    std::optional<bool> confirmed; // diff --confirm: still out of sync after the wait
};

// The outcome of one full comparison of a flow.
struct DiffResult
{
    QString flow;
    qint64 sourceRows = 0;
    qint64 targetRows = 0;
    qint64 inSync = 0;
    qint64 different = 0;
    qint64 missingInTarget = 0;
    qint64 missingInSource = 0;
    qint64 sourceNullKeys = 0; // rows whose key has a NULL: they name no record, so not compared
    qint64 targetNullKeys = 0;
    qint64 elapsedMs = 0;
    QString method = QStringLiteral("rows"); // "rows" or "checksum": how the sides were read
    QString order;               // "merge" or "hash": how the records were paired
    qint64 rangesCompared = 0;   // checksum: key ranges and hash buckets whose sums were compared
    qint64 rowsRead = 0;         // checksum: rows whose key and checksum were read (both sides)
    int spilledPartitions = 0;   // hash: partitions that went to temporary files
    QList<RecordDiff> records; // filled with DiffOptions::listRecords, in key order

    // `diff --confirm`: the records out of sync read again after a wait (DiffConfirmation).
    struct Confirmation
    {
        qint64 waitedMs = 0;
        QString waitBasis; // "p99 lag", "sla" or "given"
        qint64 inFlight = 0;  // in sync by then: the change was on its way
        qint64 confirmed = 0; // still out of sync
    };
    std::optional<Confirmation> confirmation;

    [[nodiscard]] bool inSyncOverall() const
    {
        return different == 0 && missingInTarget == 0 && missingInSource == 0;
    }
};

} // namespace syncdesk

#pragma once

#include "AuditVerifier.h"
#include "PrintedReport.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>

namespace syncdesk {

class StateStore;

// Which entries a report covers (all bounds inclusive; empty: no bound).
struct AuditFilter
{
    QDateTime from;
    QDateTime to;
    QString flow;
    QString operatorName; // matches the intent's operator, and its outcome with it
};

struct AuditEntry
{
    qint64 seq = 0;
    QByteArray hash;
    QJsonObject entry;
};

// The entries of the log that pass `filter`, in order.
[[nodiscard]] QList<AuditEntry> selectAuditEntries(StateStore &store, const AuditFilter &filter);

// One page of them for a viewer: up to `limit` of the newest entries before `beforeSeq` (0: the
// end) that pass `filter`, in order, read backwards by index in chunks rather than whole.
// `olderFrom` is where the next page starts (0: the log's start was reached).
struct AuditPage
{
    QList<AuditEntry> entries;
    qint64 olderFrom = 0;
};
[[nodiscard]] AuditPage selectAuditPage(StateStore &store, const AuditFilter &filter, qint64 beforeSeq, int limit);

// The four export formats. CSV follows RFC 4180 with spreadsheet formula injection defused;
// JSON is an array of the entries (with seq and hash); HTML and PDF are a report for an
// auditor: a cover (title, period, filters, generation time, the chain's status and head hash,
// tables by flow, operator and outcome), then every entry as a table row with the values
// before and after and the reason, wrapped whole; the PDF repeats the table header and puts
// the chain's status, head hash and "page N of M" on every page. The HTML is one
// self-contained file whose tables sort by a click.
[[nodiscard]] QByteArray auditCsv(const QList<AuditEntry> &entries);
[[nodiscard]] QByteArray auditJson(const QList<AuditEntry> &entries);
[[nodiscard]] QByteArray auditHtml(const QList<AuditEntry> &entries, const AuditFilter &filter,
                                   const ChainCheck &chain);
// Told how many of `total` entries are written; returning false cancels the report.
using ReportProgress = std::function<bool(qint64 done, qint64 total)>;

// Needs a QGuiApplication (fonts; PdfOutput). Returns false with `error` set if the file cannot be made
// or `progress` cancelled it.
[[nodiscard]] bool writeAuditPdf(const QList<AuditEntry> &entries, const AuditFilter &filter,
                                 const ChainCheck &chain, const QString &path, QString *error,
                                 const ReportProgress &progress = {},
                                 ReportPageSize pageSize = ReportPageSize::A4);

// The whole export: entries selected, the chain verified (HTML, PDF), the report written to a
// temporary file and renamed into place, so an interrupted export never leaves half a report.
// `format`: csv, json, html or pdf. Returns the number of entries, or -1 with `error` set
// (also when `progress` cancelled it: then no file is left behind).
[[nodiscard]] qint64 writeAuditReport(StateStore &store, const QString &format,
                                      const AuditFilter &filter, const QString &path, QString *error,
                                      const ReportProgress &progress = {},
                                      ReportPageSize pageSize = ReportPageSize::A4);

} // namespace syncdesk

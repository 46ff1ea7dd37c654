#pragma once

#include "AuditVerifier.h"
#include "PrintedReport.h"
#include "SlaReport.h"

#include <QByteArray>
#include <QString>

namespace syncdesk {

struct Workspace;

// What `report sla` is asked for: [fromMs, toMs), one flow or every flow (empty).
struct SlaRequest
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    QString flow;
    ReportPageSize pageSize = ReportPageSize::A4;
};

// The report's formats. CSV: one row per flow and day (kind "day"), one per flow for the whole
// period (kind "period"), each followed by its breaches (kind "breach"); JSON: the same as
// nested objects; HTML and PDF: a cover (period, flows, the period's summary per flow, the
// audit chain's status and head hash), then per flow its days, breaches and activity.
[[nodiscard]] QByteArray slaCsv(const SlaReport &report);
[[nodiscard]] QByteArray slaJson(const SlaReport &report, const QString &workspace);
// `flowFilter`: the one flow asked for, or empty (the cover says which).
[[nodiscard]] QByteArray slaHtml(const SlaReport &report, const QString &workspace,
                                 const QString &flowFilter, const ChainCheck &chain);
// Needs a QGuiApplication (fonts; PdfOutput).
[[nodiscard]] bool writeSlaPdf(const SlaReport &report, const QString &workspace,
                               const QString &flowFilter, const ChainCheck &chain,
                               const QString &path, ReportPageSize pageSize,
                               QString *error);

// The whole report: the state store's rows read, the report built, written to a temporary file
// and renamed into place (whole or not at all). `format`: csv, json, html or pdf. Returns
// false with `error` set (one line) on an unknown format or flow, or when nothing could be
// written.
[[nodiscard]] bool writeSlaReport(StateStore &store, const Workspace &workspace,
                                  const QString &format, const SlaRequest &request,
                                  const QString &path, QString *error);

} // namespace syncdesk

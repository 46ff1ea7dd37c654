#pragma once

#include "audit/PrintedReport.h"

#include <QString>

#include <optional>

namespace syncdesk::cli {

// --page-size of the PDF reports: "a4" or "letter" (any case); nullopt for anything else.
[[nodiscard]] inline std::optional<ReportPageSize> pageSizeOption(const QString &value)
{
    if (value.compare(QLatin1String("a4"), Qt::CaseInsensitive) == 0)
        return ReportPageSize::A4;
    if (value.compare(QLatin1String("letter"), Qt::CaseInsensitive) == 0)
        return ReportPageSize::Letter;
    return std::nullopt;
}

} // namespace syncdesk::cli

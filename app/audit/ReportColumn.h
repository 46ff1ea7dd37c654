#pragma once

#include <QString>

namespace syncdesk {

// A column of a report table (PdfReport, HtmlReport): its title and share of the width.
struct ReportColumn
{
    QString title;
    double share = 1;
    bool numeric = false; // right-aligned, sorted as a number
};

} // namespace syncdesk

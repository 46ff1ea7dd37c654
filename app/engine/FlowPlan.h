#pragma once

#include "connectors/Connector.h"
#include "model/FieldValue.h"
#include "model/Workspace.h"

#include <QList>

namespace syncdesk {

// How both sides of a flow are read and normalised, decided once both tables are described:
// each key and field gets one class for both sides (the more specific of the two), and key
// columns whose types would order differently are refused up front.
struct FlowPlan
{
    QList<FieldClass> keyClasses;
    QList<FieldClass> fieldClasses;
    ScanRequest source;
    ScanRequest target;

    [[nodiscard]] const ScanRequest &request(bool sourceSide) const
    {
        return sourceSide ? source : target;
    }

    // The column names a side must describe: keys then fields, in flow order.
    [[nodiscard]] static QStringList columnNames(const FlowSpec &flow, bool sourceSide);
    // Throws SyncError naming the flow and column when the sides cannot be compared.
    [[nodiscard]] static FlowPlan resolve(const FlowSpec &flow, const QList<ColumnInfo> &source,
                                          const QList<ColumnInfo> &target);
};

} // namespace syncdesk

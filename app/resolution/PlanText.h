#pragma once

#include "ResolutionPlan.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace syncdesk {

// A resolution plan as an operator reads it before applying: the record three ways with the
// decided values, then per system whether it is written and the exact statements with their
// bound values. The console's preview and `resolve --preview` print the same.
[[nodiscard]] QString planText(const ResolutionPlan &plan);
[[nodiscard]] QJsonObject planJson(const ResolutionPlan &plan);
// One statement with its values after it: `UPDATE … WHERE "sku" = $2   -- $1 = '12.5', $2 = 'A1'`.
[[nodiscard]] QString statementText(const BoundStatement &statement);

} // namespace syncdesk

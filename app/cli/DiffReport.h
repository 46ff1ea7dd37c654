#pragma once

#include "engine/DiffResult.h"

#include <QByteArray>

namespace syncdesk::cli {

// How `diff` prints a result: the Contract's JSON, or a table for people.
class DiffReport
{
public:
    [[nodiscard]] static QByteArray json(const DiffResult &result, bool withRecords);
    [[nodiscard]] static QByteArray text(const DiffResult &result, bool withRecords);
};

} // namespace syncdesk::cli

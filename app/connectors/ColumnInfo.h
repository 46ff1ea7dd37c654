#pragma once

#include "model/FieldValue.h"

#include <QString>

namespace syncdesk {

// What a connector learnt about one column of a scanned table.
struct ColumnInfo
{
    QString name;
    QString typeName;        // as the system names it (PostgreSQL type, SQLite declared type)
    FieldClass cls = FieldClass::Text;
    bool nullable = true;
    bool byteOrdered = true; // ORDER BY on it already sorts text byte-wise (C collation)
};

} // namespace syncdesk

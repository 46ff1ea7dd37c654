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
    // What a bound key value is cast to (PostgreSQL): the base type without its modifier, as
    // casting to varchar(3) would cut 'abcd' to the 'abc' of another row, and a domain's check
    // would fail the read instead of finding nothing.
    QString castType;
};

} // namespace syncdesk

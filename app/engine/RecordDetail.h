#pragma once

#include "model/Classify.h"
#include "model/RecordState.h"
#include "model/RecordStatus.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace syncdesk {

// One compared field of one record, three ways: what each side holds now, what both last
// agreed on, and which side moved it.
struct FieldDetail
{
    QString name; // the source's column name
    FieldText source;
    FieldText target;
    std::optional<FieldText> baseline; // nullopt: not known
    FieldChange change = FieldChange::Unchanged;
};

// Everything an operator needs to judge one record (the console's detail view, `show`).
struct RecordDetail
{
    QString flow;
    QByteArray keyJson;
    RecordState state;
    RecordStatus status = RecordStatus::InSync;
    qint64 lagMs = 0;
    qint64 divergedAtMs = 0; // when it fell out of sync (divergedAtMs()); 0: in sync or unknown
    QList<FieldDetail> fields;
};

[[nodiscard]] QString fieldChangeName(FieldChange change);

} // namespace syncdesk

#include "ActivityCounters.h"

namespace syncdesk::activity {

QString opName(ChangeOp op)
{
    return op == ChangeOp::Insert   ? QStringLiteral("insert")
           : op == ChangeOp::Update ? QStringLiteral("update")
                                    : QStringLiteral("delete");
}

QString changes(bool sourceSide, ChangeOp op)
{
    return QStringLiteral("changes.%1.%2")
        .arg(sourceSide ? QLatin1String("source") : QLatin1String("target"), opName(op));
}

QString resolutions(bool byPolicy, const QString &outcome)
{
    return ResolutionsPrefix + (byPolicy ? QLatin1String("policy.") : QLatin1String("operator.")) + outcome;
}

QStringList reportedNames()
{
    QStringList names;
    for (const bool source : {true, false})
        for (const ChangeOp op : {ChangeOp::Insert, ChangeOp::Update, ChangeOp::Delete})
            names << changes(source, op);
    names << ConflictsDetected;
    for (const bool byPolicy : {false, true})
        for (const QString &outcome : Outcomes)
            names << resolutions(byPolicy, outcome);
    return names;
}

} // namespace syncdesk::activity

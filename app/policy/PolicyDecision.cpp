#include "PolicyDecision.h"

#include <QDateTime>
#include <QTimeZone>

namespace syncdesk {

namespace {

QString instant(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

} // namespace

PolicyAction decide(Policy policy, RecordStatus status, const RecordState &state)
{
    using Kind = PolicyAction::Kind;
    if (policy == Policy::Manual
        || (status != RecordStatus::Conflict && status != RecordStatus::TargetDrift))
        return {};
    const QString what = status == RecordStatus::Conflict ? QStringLiteral("conflict")
                                                          : QStringLiteral("target drift");
    switch (policy) {
    case Policy::Manual:
        return {};
    case Policy::SourceWins:
        return {Kind::TakeSource, QStringLiteral("policy source-wins: %1, the source is the system "
                                                 "of record").arg(what)};
    case Policy::TargetWins:
        return {Kind::TakeTarget, QStringLiteral("policy target-wins: %1, the target is the system "
                                                 "of record").arg(what)};
    case Policy::NewestWins: {
        const qint64 s = state.sourceChangedAtMs;
        const qint64 t = state.targetChangedAtMs;
        if (s <= 0 || t <= 0)
            return {Kind::Manual, QStringLiteral("policy newest-wins: when the %1 changed is not "
                                                 "known, so neither side can be called newer")
                                      .arg(s <= 0 ? QStringLiteral("source") : QStringLiteral("target"))};
        // Ties go to the source (DESIGN.md).
        if (t > s)
            return {Kind::TakeTarget, QStringLiteral("policy newest-wins: %1, the target changed "
                                                     "last (%2, the source %3)")
                                          .arg(what, instant(t), instant(s))};
        return {Kind::TakeSource, QStringLiteral("policy newest-wins: %1, the source changed last "
                                                 "(%2, the target %3)")
                                      .arg(what, instant(s), instant(t))};
    }
    case Policy::MergeFields:
        return {Kind::Merge, QStringLiteral("policy merge-fields: %1, each field taken from the "
                                            "side that changed it").arg(what)};
    }
    return {};
}

} // namespace syncdesk

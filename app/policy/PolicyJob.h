#pragma once

#include "PolicyDecision.h"
#include "model/RecordState.h"
#include "model/RecordStatus.h"
#include "model/Workspace.h"

#include <QByteArray>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace syncdesk {

// One record handed to the policy worker: the decision, and the record as the live engine saw
// it when deciding. The worker acts only if the record still reads exactly so.
struct PolicyJob
{
    QString flow;
    QByteArray keyJson;
    Policy policy = Policy::Manual;
    PolicyAction action;
    bool dryRun = false;
    RecordStatus status = RecordStatus::Conflict;
    RecordState state;
    int attempt = 0;
};

// What became of it.
struct PolicyResult
{
    enum class Outcome {
        Applied,    // written and audited
        Refused,    // audited: the record changed between the read and the write
        Failed,     // a system failed (audited if the write had begun); tried again
        Manual,     // left to a person: why says why
        Moved,      // the record no longer reads as decided on: nothing done, decided again
        WouldApply, // dry run: what it would write
    };
    QString flow;
    QByteArray keyJson;
    Outcome outcome = Outcome::Failed;
    QString policy;
    QString choice;     // take_source, take_target, merge
    QString detail;     // the reason given, or the error, or why it is left to a person
    QString id;         // the resolution's id in the audit log
    QStringList writes; // dry run: the statements, per side ("target: UPDATE …")
    qint64 atMs = 0;
    int attempt = 0;
};

[[nodiscard]] QString outcomeName(PolicyResult::Outcome outcome);

} // namespace syncdesk

Q_DECLARE_METATYPE(syncdesk::PolicyJob)
Q_DECLARE_METATYPE(syncdesk::PolicyResult)

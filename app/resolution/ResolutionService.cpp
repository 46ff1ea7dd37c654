#include "ResolutionService.h"

#include "engine/LiveFlow.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QHash>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

#include <cerrno>
#include <csignal>
#include <pwd.h>
#include <unistd.h>

namespace syncdesk {

namespace {

QString hex(const RowHash &h)
{
    return rowHashText(h);
}

QJsonValue side(const RecordDetail &d, bool source)
{
    const RowHash &h = source ? d.state.source : d.state.target;
    if (!h)
        return QJsonValue(); // no row
    QJsonObject values;
    for (const FieldDetail &f : d.fields) {
        const FieldText &v = source ? f.source : f.target;
        values.insert(f.name, v ? QJsonValue(QString::fromUtf8(*v)) : QJsonValue());
    }
    return QJsonObject{{QStringLiteral("hash"), hex(h)}, {QStringLiteral("values"), values}};
}

QString osUser()
{
    // The account itself, not what the environment claims.
    if (const passwd *pw = getpwuid(geteuid()); pw && pw->pw_name)
        return QString::fromLocal8Bit(pw->pw_name);
    return qEnvironmentVariable("USER", QStringLiteral("unknown"));
}

} // namespace

ResolutionService::ResolutionService(const Workspace &workspace, StateStore &store)
    : m_workspace(workspace), m_store(store)
{
}

int ResolutionService::closeOpenIntents()
{
    QHash<QString, QJsonObject> open;
    QStringList order;
    for (const AuditRow &row : m_store.auditRows()) {
        const QJsonObject e = QJsonDocument::fromJson(row.entry).object();
        const QString id = e.value(u"id").toString();
        if (e.value(u"type").toString() == u"intent") {
            open.insert(id, e);
            order << id;
        } else if (e.value(u"type").toString() == u"outcome") {
            open.remove(id);
        }
    }
    int closed = 0;
    const QString thisHost = QHostInfo::localHostName();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const QString &id : order) {
        if (!open.contains(id))
            continue;
        const QJsonObject intent = open.value(id);
        // Only intents whose process is gone: one on this host whose pid no longer runs, or
        // one from elsewhere old enough that no resolve can still be working on it.
        const bool local = intent.value(u"host").toString() == thisHost;
        const auto pid = pid_t(intent.value(u"pid").toInteger());
        const bool alive = local && pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
        const QDateTime at = QDateTime::fromString(intent.value(u"at").toString(), Qt::ISODateWithMs);
        if (alive || (!local && at.isValid() && at.secsTo(now) < 15 * 60))
            continue;
        const FlowSpec *spec = m_workspace.flow(intent.value(u"flow").toString());
        QString outcome = QStringLiteral("failed");
        QString error;
        QJsonValue after;
        if (!spec) {
            error = QStringLiteral("interrupted; the flow no longer exists, so it cannot be checked");
        } else try {
            LiveFlow flow(m_workspace, *spec);
            flow.open();
            const KeyText key = LiveFlow::keyText(
                QJsonDocument(intent.value(u"key").toArray()).toJson(QJsonDocument::Compact));
            const bool takeSource = intent.value(u"choice").toString() == u"take_source";
            const RecordDetail now = flow.detail(key, std::nullopt, 0);
            const QString sourceSeen = intent.value(u"expected_source_hash").toString();
            const QString targetSeen = intent.value(u"expected_target_hash").toString();
            const QString chosen = takeSource ? sourceSeen : targetSeen;
            const QString loserSeen = takeSource ? targetSeen : sourceSeen;
            const QString loserNow = hex(takeSource ? now.state.target : now.state.source);
            after = side(now, !takeSource);
            if (loserNow == chosen) {
                outcome = QStringLiteral("applied");
            } else if (loserNow == loserSeen) {
                error = QStringLiteral("interrupted before the write; nothing was written");
            } else {
                outcome = QStringLiteral("refused");
                error = QStringLiteral("interrupted; the record has changed since, by someone else");
            }
        } catch (const SyncError &) {
            continue; // a system is away: leave the intent open for a later run to check
        }
        QJsonObject entry{{QStringLiteral("type"), QStringLiteral("outcome")}, {QStringLiteral("id"), id},
                          {QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                          {QStringLiteral("flow"), intent.value(u"flow")}, {QStringLiteral("key"), intent.value(u"key")},
                          {QStringLiteral("choice"), intent.value(u"choice")},
                          {QStringLiteral("outcome"), outcome}, {QStringLiteral("after"), after},
                          {QStringLiteral("recovered"), true}};
        if (!error.isEmpty())
            entry.insert(QStringLiteral("error"), error);
        m_store.appendAudit(entry);
        ++closed;
    }
    return closed;
}

ResolveResult ResolutionService::resolve(const ResolveRequest &request)
{
    closeOpenIntents();
    const FlowSpec *spec = m_workspace.flow(request.flow);
    if (!spec)
        throw SyncError(QStringLiteral("no flow named '%1'").arg(request.flow));
    if (request.reason.trimmed().isEmpty())
        throw SyncError(QStringLiteral("a reason is required: say why this value is right"));

    LiveFlow flow(m_workspace, *spec);
    flow.open();
    const QByteArray keyJson = flow.keyJson(request.key);
    const RecordDetail seen = flow.detail(request.key, m_store.baseline(spec->name, keyJson),
                                          QDateTime::currentMSecsSinceEpoch());
    const RowHash expectSource = request.expectSource.value_or(seen.state.source);
    const RowHash expectTarget = request.expectTarget.value_or(seen.state.target);
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    const QJsonArray key = QJsonDocument::fromJson(keyJson).array();
    const QString choice = request.takeSource ? QStringLiteral("take_source")
                                              : QStringLiteral("take_target");

    // (1) The intent, with what the operator saw.
    ResolveResult result;
    result.intentSeq = m_store.appendAudit(QJsonObject{
        {QStringLiteral("type"), QStringLiteral("intent")}, {QStringLiteral("id"), id},
        {QStringLiteral("at"), now}, {QStringLiteral("flow"), spec->name},
        {QStringLiteral("key"), key}, {QStringLiteral("choice"), choice},
        {QStringLiteral("reason"), request.reason.trimmed()},
        {QStringLiteral("operator"), request.operatorName.isEmpty() ? osUser() : request.operatorName},
        {QStringLiteral("os_user"), osUser()}, {QStringLiteral("host"), QHostInfo::localHostName()},
        {QStringLiteral("pid"), qint64(::getpid())},
        {QStringLiteral("status"), statusName(seen.status)},
        {QStringLiteral("expected_source_hash"), hex(expectSource)},
        {QStringLiteral("expected_target_hash"), hex(expectTarget)},
        {QStringLiteral("source"), side(seen, true)}, {QStringLiteral("target"), side(seen, false)}}).seq;

    // (2) The conditional write of the losing side, with the winning side's values.
    const bool winnerIsSource = request.takeSource;
    const RowHash winnerSeen = winnerIsSource ? expectSource : expectTarget;
    const RowHash winnerNow = winnerIsSource ? seen.state.source : seen.state.target;
    std::optional<QList<FieldText>> values;
    if (winnerNow) {
        values.emplace();
        for (const FieldDetail &f : seen.fields)
            values->append(winnerIsSource ? f.source : f.target);
    }
    try {
        const bool applied = winnerNow == winnerSeen
                             && flow.write(!winnerIsSource, request.key,
                                           winnerIsSource ? expectTarget : expectSource, values);
        result.outcome = applied ? ResolveResult::Outcome::Applied : ResolveResult::Outcome::Refused;
        if (!applied)
            result.error = QStringLiteral("the record changed since it was read; nothing was "
                                          "written: look at it again");
    } catch (const SyncError &e) {
        result.outcome = ResolveResult::Outcome::Failed;
        result.error = e.message();
    }

    // (3) Agreement again: the baseline is the record itself from now on. The write is done:
    // whatever fails here is noted in the outcome, which is written in any case.
    QJsonValue after;
    if (result.outcome == ResolveResult::Outcome::Applied) {
        try {
            StateChanges changes;
            changes.removals.append({spec->name, keyJson});
            m_store.apply(changes);
            const RecordDetail now = flow.detail(request.key, std::nullopt, 0);
            after = side(now, !winnerIsSource);
        } catch (const SyncError &e) {
            result.error = QStringLiteral("applied; reading it back failed: %1").arg(e.message());
        }
    }

    // (4) The outcome.
    const char *outcome = result.outcome == ResolveResult::Outcome::Applied   ? "applied"
                          : result.outcome == ResolveResult::Outcome::Refused ? "refused"
                                                                              : "failed";
    QJsonObject entry{{QStringLiteral("type"), QStringLiteral("outcome")},
                      {QStringLiteral("id"), id},
                      {QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                      {QStringLiteral("flow"), spec->name}, {QStringLiteral("key"), key},
                      {QStringLiteral("choice"), choice},
                      {QStringLiteral("outcome"), QLatin1String(outcome)},
                      {QStringLiteral("after"), after}};
    if (!result.error.isEmpty())
        entry.insert(QStringLiteral("error"), result.error);
    result.outcomeSeq = m_store.appendAudit(entry).seq;
    return result;
}

} // namespace syncdesk

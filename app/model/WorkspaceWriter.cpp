#include "WorkspaceWriter.h"

#include "SyncError.h"
#include "WorkspaceLoader.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QScopeGuard>

namespace syncdesk {

namespace {

QString relativeTo(const QDir &dir, const QString &path)
{
    const QString rel = dir.relativeFilePath(path);
    return rel.startsWith(QLatin1String("..")) ? path : rel;
}

QJsonValue column(const ColumnPair &c)
{
    if (c.source == c.target)
        return c.source;
    return QJsonObject{{QStringLiteral("source"), c.source}, {QStringLiteral("target"), c.target}};
}

QJsonObject side(const FlowSide &s)
{
    if (s.table.http) {
        // HTTP sides are written back as they were read: the editor does not change them.
        QJsonObject o = s.table.http->raw;
        o.insert(QStringLiteral("system"), s.system);
        return o;
    }
    QJsonObject o{{QStringLiteral("system"), s.system}, {QStringLiteral("table"), s.table.display()}};
    if (!s.updatedAt.isEmpty())
        o.insert(QStringLiteral("updated_at"), s.updatedAt);
    return o;
}

} // namespace

QByteArray WorkspaceWriter::toJson(const Workspace &ws, const QString &path)
{
    const QDir dir = QFileInfo(path).absoluteDir();
    QJsonArray systems;
    for (const SystemSpec &s : ws.systems) {
        QJsonObject o = s.kind == SystemKind::Http ? s.http.raw : QJsonObject();
        if (s.kind == SystemKind::Http) {
            // The headers as they are now (the editor may have named a keychain entry), the
            // rest of the system as it was read.
            QJsonObject headers;
            for (const HttpHeader &h : s.http.headers) {
                if (h.env.isEmpty() && h.keychain.isEmpty()) {
                    headers.insert(h.name, h.literal);
                    continue;
                }
                QJsonObject v;
                if (!h.keychain.isEmpty())
                    v.insert(QStringLiteral("keychain"), h.keychain);
                if (!h.env.isEmpty())
                    v.insert(QStringLiteral("env"), h.env);
                if (!h.prefix.isEmpty())
                    v.insert(QStringLiteral("prefix"), h.prefix);
                headers.insert(h.name, v);
            }
            o.remove(QStringLiteral("headers"));
            if (!headers.isEmpty())
                o.insert(QStringLiteral("headers"), headers);
        }
        o.insert(QStringLiteral("name"), s.name);
        o.insert(QStringLiteral("kind"), systemKindName(s.kind));
        if (s.kind == SystemKind::Postgres)
            o.insert(QStringLiteral("conninfo"), s.conninfo);
        else if (s.kind == SystemKind::Sqlite)
            o.insert(QStringLiteral("path"), relativeTo(dir, s.path));
        else
            o.insert(QStringLiteral("base_url"), s.url);
        if (!s.feed.isEmpty() && s.feed != u"auto")
            o.insert(QStringLiteral("feed"), s.feed);
        systems.append(o);
    }
    QJsonArray flows;
    for (const FlowSpec &f : ws.flows) {
        QJsonArray key, fields;
        for (const ColumnPair &c : f.key)
            key.append(column(c));
        for (const ColumnPair &c : f.fields)
            fields.append(column(c));
        QJsonObject flow{
            {QStringLiteral("name"), f.name}, {QStringLiteral("source"), side(f.source)},
            {QStringLiteral("target"), side(f.target)}, {QStringLiteral("key"), key},
            {QStringLiteral("fields"), fields},
            {QStringLiteral("direction"), f.direction == Direction::TwoWay ? QStringLiteral("two-way")
                                                                           : QStringLiteral("one-way")},
            {QStringLiteral("sla_seconds"), f.slaSeconds},
            {QStringLiteral("policy"), policyName(f.policy)}};
        if (f.policyDryRun)
            flow.insert(QStringLiteral("policy_mode"), QStringLiteral("dry-run"));
        if (f.probe) {
            const ProbeSpec &p = *f.probe;
            QJsonObject probe{{QStringLiteral("table"), p.sourceTable.name},
                              {QStringLiteral("id"), p.id},
                              {QStringLiteral("interval_seconds"), p.intervalSeconds},
                              {QStringLiteral("stall_after_seconds"), p.stallAfterSeconds}};
            if (!p.sourceTable.schema.isEmpty())
                probe.insert(QStringLiteral("schema"), p.sourceTable.schema);
            if (p.targetTable.name != p.sourceTable.name)
                probe.insert(QStringLiteral("target_table"), p.targetTable.name);
            if (p.targetTable.schema != p.sourceTable.schema)
                probe.insert(QStringLiteral("target_schema"), p.targetTable.schema);
            flow.insert(QStringLiteral("probe"), probe);
        }
        flows.append(flow);
    }
    QJsonObject root{{QStringLiteral("version"), 1}, {QStringLiteral("systems"), systems},
                     {QStringLiteral("flows"), flows}};
    const QString defaultState = dir.filePath(QFileInfo(path).completeBaseName() + QStringLiteral(".state.db"));
    if (!ws.state.isEmpty() && QFileInfo(ws.state).absoluteFilePath() != QFileInfo(defaultState).absoluteFilePath())
        root.insert(QStringLiteral("state"), isStateUri(ws.state) ? ws.state
                                                 : relativeTo(dir, ws.state));
    if (ws.claimMinutes != Workspace{}.claimMinutes)
        root.insert(QStringLiteral("claim_minutes"), ws.claimMinutes);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

void WorkspaceWriter::save(const Workspace &workspace, const QString &path)
{
    const QByteArray json = toJson(workspace, path);
    // Checked the way it will be read: loaded from a file in the same folder (relative paths
    // resolve alike), which is then renamed over the old one.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(json) != json.size())
        throw SyncError(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    const QString check = QFileInfo(path).absolutePath() + QStringLiteral("/.syncdesk-check-")
                          + QFileInfo(path).fileName();
    const auto removeCheck = qScopeGuard([&check] { QFile::remove(check); }); // whatever happens
    {
        // Owner-only, like the file it checks may end up: a mistyped password must not spread.
        QFile probe(check);
        if (!probe.open(QIODevice::WriteOnly) || !probe.setPermissions(QFile::ReadOwner | QFile::WriteOwner)
            || probe.write(json) != json.size())
            throw SyncError(QStringLiteral("cannot write in %1: %2").arg(QFileInfo(path).absolutePath(), probe.errorString()));
    }
    try {
        (void)WorkspaceLoader::load(check);
    } catch (const SyncError &e) {
        file.cancelWriting();
        throw SyncError(QStringLiteral("not saved: %1").arg(QString(e.message()).replace(check, path)));
    }
    if (!file.commit())
        throw SyncError(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
}

} // namespace syncdesk

#include "ShowCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "engine/FlowSides.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace syncdesk::cli {

namespace {

QJsonValue text(const FieldText &t)
{
    return t ? QJsonValue(QString::fromUtf8(*t)) : QJsonValue();
}

QJsonValue hash(const RowHash &h)
{
    return h ? QJsonValue(rowHashText(h)) : QJsonValue();
}

QString iso(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs)
                  : QString();
}

} // namespace

int ShowCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("show"),
                   QStringLiteral(
                       "Shows one record of a flow three ways: each compared field on the "
                       "source, on the target\nand as both last agreed (the baseline kept by "
                       "`watch`), and which side changed it:\nunchanged, changed_at_source, "
                       "changed_at_target, conflict (both, differently) or differs\n(no baseline "
                       "known). Reads both systems and the workspace's state store.\n\n"
                       "Exit status: 0 in sync, 1 not in sync, 2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    cl.addWorkspaceOptions();
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow."), QStringLiteral("name")});
    p.addOption({QStringLiteral("key"),
                 QStringLiteral("Key value; repeat for each column of a composite key, in order."),
                 QStringLiteral("value")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print one JSON object.")});
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace"), QStringLiteral("flow"),
                                              QStringLiteral("key")});
        code >= 0)
        return code;
    try {
        const Workspace ws = cl.workspace();
        const FlowSpec *flow = ws.flow(p.value(QStringLiteral("flow")));
        if (!flow) {
            printError(QStringLiteral("%1: no flow named '%2'")
                           .arg(ws.filePath, p.value(QStringLiteral("flow"))));
            return ExitFailure;
        }
        KeyText key;
        for (const QString &v : p.values(QStringLiteral("key")))
            key.append(v);
        FlowSides live(ws, *flow);
        live.open();
        const auto store = StateStore::open(ws);
        // The baseline is stored under the key's canonical JSON, which only the flow can make.
        const RecordDetail d = live.detail(key, store->baseline(flow->name, live.keyJson(key)),
                                           QDateTime::currentMSecsSinceEpoch());
        if (p.isSet(QStringLiteral("json"))) {
            QJsonArray fields;
            for (const FieldDetail &f : d.fields)
                fields.append(QJsonObject{{QStringLiteral("name"), f.name},
                                          {QStringLiteral("source"), text(f.source)},
                                          {QStringLiteral("target"), text(f.target)},
                                          {QStringLiteral("baseline"), f.baseline ? text(*f.baseline) : QJsonValue()},
                                          {QStringLiteral("baseline_known"), f.baseline.has_value()},
                                          {QStringLiteral("change"), fieldChangeName(f.change)}});
            const QJsonObject o{
                {QStringLiteral("flow"), d.flow},
                {QStringLiteral("key"), QJsonDocument::fromJson(d.keyJson).array()},
                {QStringLiteral("status"), statusName(d.status)},
                {QStringLiteral("lag_ms"), d.lagMs},
                {QStringLiteral("source_hash"), hash(d.state.source)},
                {QStringLiteral("target_hash"), hash(d.state.target)},
                {QStringLiteral("source_changed_at"), iso(d.state.sourceChangedAtMs)},
                {QStringLiteral("target_changed_at"), iso(d.state.targetChangedAtMs)},
                {QStringLiteral("fields"), fields}};
            printOut(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        } else {
            QByteArray out = "flow " + d.flow.toUtf8() + " key " + d.keyJson + ": "
                             + statusName(d.status).toUtf8() + '\n';
            auto show = [](const FieldText &t) { return t ? '"' + *t + '"' : QByteArray("NULL"); };
            for (const FieldDetail &f : d.fields)
                out += "  " + f.name.toUtf8().leftJustified(16, ' ') + " source " + show(f.source)
                       + "  target " + show(f.target) + "  baseline "
                       + (f.baseline ? show(*f.baseline) : QByteArray("?")) + "  "
                       + fieldChangeName(f.change).toUtf8() + '\n';
            printOut(out);
        }
        return d.status == RecordStatus::InSync ? ExitOk : ExitDifferences;
    } catch (const SyncError &e) {
        printError(e.message());
        return ExitFailure;
    }
}

} // namespace syncdesk::cli

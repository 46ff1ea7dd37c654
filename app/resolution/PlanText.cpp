#include "PlanText.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace syncdesk {

namespace {

QString valueText(const FieldText &v)
{
    return v ? QString::fromUtf8(*v) : QStringLiteral("NULL");
}

QString cell(const std::optional<QList<FieldText>> &row, qsizetype f)
{
    return row ? valueText(row->value(f)) : QStringLiteral("(no row)");
}

QJsonValue rowJson(const RecordDetail &d, const std::optional<QList<FieldText>> &row)
{
    if (!row)
        return QJsonValue();
    QJsonObject o;
    for (qsizetype f = 0; f < d.fields.size(); ++f)
        o.insert(d.fields[f].name, row->value(f) ? QJsonValue(QString::fromUtf8(*row->value(f)))
                                                 : QJsonValue());
    return o;
}

QString sideTitle(const SidePlan &s)
{
    return QStringLiteral("%1 (system '%2')")
        .arg(s.sourceSide ? QStringLiteral("source") : QStringLiteral("target"), s.system);
}

} // namespace

QString statementText(const BoundStatement &statement)
{
    QStringList values;
    for (qsizetype i = 0; i < statement.values.size(); ++i) {
        const auto &v = statement.values[i];
        QString shown = v ? u'\'' + QString(*v).replace(u'\'', QStringLiteral("''")) + u'\''
                          : QStringLiteral("NULL");
        values << QStringLiteral("%1 = %2")
                      .arg(statement.sql.contains(u'$') ? u'$' + QString::number(i + 1)
                                                        : u'?' + QString::number(i + 1),
                           shown);
    }
    return values.isEmpty() ? statement.sql
                            : statement.sql + QStringLiteral("   -- ") + values.join(QStringLiteral(", "));
}

QString planText(const ResolutionPlan &plan)
{
    QString out = QStringLiteral("flow %1, key %2: %3, %4\n")
                      .arg(plan.seen.flow, QString::fromUtf8(plan.seen.keyJson),
                           statusName(plan.seen.status), plan.choice);
    if (!plan.undoes.isEmpty())
        out += QStringLiteral("undoes resolution %1\n").arg(plan.undoes);
    out += QStringLiteral("  %1 | %2 | %3 | %4 -> %5 | %6\n")
               .arg(QStringLiteral("field"), QStringLiteral("source"), QStringLiteral("target"),
                    QStringLiteral("baseline"), QStringLiteral("source after"), QStringLiteral("target after"));
    for (qsizetype f = 0; f < plan.seen.fields.size(); ++f) {
        const FieldDetail &d = plan.seen.fields[f];
        const bool hasSource = plan.seen.state.source.has_value();
        const bool hasTarget = plan.seen.state.target.has_value();
        out += QStringLiteral("  %1 | %2 | %3 | %4 -> %5 | %6%7\n")
                   .arg(d.name, hasSource ? valueText(d.source) : QStringLiteral("(no row)"),
                        hasTarget ? valueText(d.target) : QStringLiteral("(no row)"),
                        d.baseline ? valueText(*d.baseline) : QStringLiteral("?"),
                        cell(plan.source.values, f), cell(plan.target.values, f),
                        plan.picks.contains(d.name)
                            ? QStringLiteral("   (%1)").arg(plan.picks.value(d.name).toString())
                            : QString());
    }
    for (const SidePlan *s : {&plan.source, &plan.target}) {
        if (!s->write) {
            out += QStringLiteral("%1: already holds the decided values; checked under its lock, "
                                  "not written\n")
                       .arg(sideTitle(*s));
            continue;
        }
        out += QStringLiteral("%1: written only if it still hashes to %2\n")
                   .arg(sideTitle(*s), s->expected ? rowHashText(s->expected) : QStringLiteral("null (no row)"));
        if (!s->note.isEmpty())
            out += QStringLiteral("  (%1)\n").arg(s->note);
        for (const BoundStatement &st : s->statements)
            out += QStringLiteral("  ") + statementText(st) + u'\n';
    }
    return out;
}

QJsonObject planJson(const ResolutionPlan &plan)
{
    QJsonArray fields;
    for (const FieldDetail &d : plan.seen.fields)
        fields.append(QJsonObject{
            {QStringLiteral("name"), d.name},
            {QStringLiteral("source"), d.source ? QJsonValue(QString::fromUtf8(*d.source)) : QJsonValue()},
            {QStringLiteral("target"), d.target ? QJsonValue(QString::fromUtf8(*d.target)) : QJsonValue()},
            {QStringLiteral("pick"), plan.picks.value(d.name)}});
    QJsonObject sides;
    for (const SidePlan *s : {&plan.source, &plan.target}) {
        QJsonArray statements;
        for (const BoundStatement &st : s->statements) {
            QJsonArray values;
            for (const auto &v : st.values)
                values.append(v ? QJsonValue(*v) : QJsonValue());
            statements.append(QJsonObject{{QStringLiteral("sql"), st.sql}, {QStringLiteral("values"), values}});
        }
        sides.insert(s->sourceSide ? QStringLiteral("source") : QStringLiteral("target"),
                     QJsonObject{{QStringLiteral("system"), s->system},
                                 {QStringLiteral("expected_hash"), s->expected ? QJsonValue(rowHashText(s->expected))
                                                                               : QJsonValue()},
                                 {QStringLiteral("write"), s->write},
                                 {QStringLiteral("after"), rowJson(plan.seen, s->values)},
                                 {QStringLiteral("statements"), statements},
                                 {QStringLiteral("note"), s->note.isEmpty() ? QJsonValue() : QJsonValue(s->note)}});
    }
    QJsonObject o{{QStringLiteral("flow"), plan.seen.flow},
                  {QStringLiteral("key"), QJsonDocument::fromJson(plan.seen.keyJson).array()},
                  {QStringLiteral("status"), statusName(plan.seen.status)},
                  {QStringLiteral("choice"), plan.choice},
                  {QStringLiteral("fields"), fields},
                  {QStringLiteral("sides"), sides}};
    if (!plan.undoes.isEmpty())
        o.insert(QStringLiteral("undoes"), plan.undoes);
    return o;
}

} // namespace syncdesk

#include "FlowPlan.h"

#include "model/SyncError.h"

namespace syncdesk {

namespace {

int specificity(FieldClass c)
{
    switch (c) {
    case FieldClass::Text: return 0;
    case FieldClass::Numeric: return 1;
    case FieldClass::Bytes: return 2;
    case FieldClass::Instant: return 3;
    case FieldClass::Boolean: return 4;
    }
    return 0;
}

QString className(FieldClass c)
{
    switch (c) {
    case FieldClass::Text: return QStringLiteral("text");
    case FieldClass::Numeric: return QStringLiteral("numeric");
    case FieldClass::Boolean: return QStringLiteral("boolean");
    case FieldClass::Instant: return QStringLiteral("timestamp");
    case FieldClass::Bytes: return QStringLiteral("bytes");
    }
    return {};
}

} // namespace

QStringList FlowPlan::columnNames(const FlowSpec &flow, bool sourceSide)
{
    QStringList names;
    for (const ColumnPair &k : flow.key)
        names << k.name(sourceSide);
    for (const ColumnPair &f : flow.fields)
        names << f.name(sourceSide);
    return names;
}

FlowPlan FlowPlan::resolve(const FlowSpec &flow, const QList<ColumnInfo> &source,
                           const QList<ColumnInfo> &target)
{
    FlowPlan p;
    p.source.table = flow.source.table;
    p.target.table = flow.target.table;
    const qsizetype keyCount = flow.key.size();
    for (qsizetype i = 0; i < source.size(); ++i) {
        const ColumnInfo &a = source[i];
        const ColumnInfo &b = target[i];
        const bool isKey = i < keyCount;
        const FieldClass cls = specificity(a.cls) >= specificity(b.cls) ? a.cls : b.cls;
        if (isKey && a.cls != b.cls && a.cls != FieldClass::Text && b.cls != FieldClass::Text)
            throw SyncError(
                QStringLiteral("flow '%1': key column '%2' is %3 (%4) on the source but %5 (%6) "
                               "on the target; the two sides would order it differently")
                    .arg(flow.name, a.name, className(a.cls), a.typeName, className(b.cls),
                         b.typeName));
        if (isKey && cls == FieldClass::Numeric
            && (a.cls == FieldClass::Text || b.cls == FieldClass::Text))
            throw SyncError(
                QStringLiteral("flow '%1': key column '%2' is %3 on the source but %4 on the "
                               "target; text and numbers order differently, make the key types "
                               "agree")
                    .arg(flow.name, a.name, a.typeName, b.typeName));
        (isKey ? p.keyClasses : p.fieldClasses).append(cls);
        ColumnInfo sa = a;
        ColumnInfo sb = b;
        sa.cls = sb.cls = cls;
        (isKey ? p.source.keys : p.source.fields).append(sa);
        (isKey ? p.target.keys : p.target.fields).append(sb);
    }
    return p;
}

} // namespace syncdesk

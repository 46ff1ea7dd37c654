#include "StatusStyle.h"

#include "engine/RecordDetail.h"

#include <QHash>
#include <QObject>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace syncdesk::ui {

QString StatusStyle::text(RecordStatus status)
{
    switch (status) {
    case RecordStatus::InSync: return QObject::tr("In sync");
    case RecordStatus::Pending: return QObject::tr("Pending");
    case RecordStatus::Late: return QObject::tr("Late");
    case RecordStatus::Conflict: return QObject::tr("Conflict");
    case RecordStatus::TargetDrift: return QObject::tr("Target drift");
    case RecordStatus::MissingInTarget: return QObject::tr("Missing in target");
    case RecordStatus::MissingInSource: return QObject::tr("Missing in source");
    case RecordStatus::Different: return QObject::tr("Different");
    }
    return {};
}

QColor StatusStyle::colour(RecordStatus status)
{
    switch (status) {
    case RecordStatus::InSync: return QColor(0x2e, 0x9d, 0x4f);
    case RecordStatus::Pending: return QColor(0x2f, 0x80, 0xed);
    case RecordStatus::Late: return QColor(0xe0, 0x8a, 0x00);
    case RecordStatus::Conflict: return QColor(0xd9, 0x30, 0x25);
    case RecordStatus::TargetDrift: return QColor(0x9b, 0x51, 0xe0);
    case RecordStatus::MissingInTarget:
    case RecordStatus::MissingInSource: return QColor(0x8a, 0x8a, 0x8a);
    case RecordStatus::Different: return QColor(0xc0, 0x5a, 0x9a);
    }
    return {};
}

QIcon StatusStyle::icon(RecordStatus status)
{
    static QHash<int, QIcon> cache;
    if (const auto it = cache.constFind(int(status)); it != cache.constEnd())
        return *it;
    QPixmap pm(16, 16);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(colour(status));
    p.setPen(Qt::NoPen);
    const QRectF r(2, 2, 12, 12);
    switch (status) {
    case RecordStatus::InSync: p.drawEllipse(r); break;                       // circle
    case RecordStatus::Pending: p.drawPie(r, 90 * 16, -270 * 16); break;       // clock-like
    case RecordStatus::Late: {                                                // triangle
        QPainterPath t;
        t.moveTo(8, 1);
        t.lineTo(15, 14);
        t.lineTo(1, 14);
        t.closeSubpath();
        p.drawPath(t);
        break;
    }
    case RecordStatus::Conflict: p.drawRect(QRectF(6, 1, 4, 14)); p.drawRect(QRectF(1, 6, 14, 4)); break; // cross
    case RecordStatus::TargetDrift: p.drawPolygon(QPolygonF{{8, 1}, {15, 8}, {8, 15}, {1, 8}}); break; // diamond
    case RecordStatus::MissingInTarget:
    case RecordStatus::MissingInSource:
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(colour(status), 2));
        p.drawEllipse(r); // hollow: a row that is not there
        break;
    case RecordStatus::Different: p.drawRect(r); break; // square
    }
    p.end();
    return *cache.insert(int(status), QIcon(pm));
}

QString durationText(qint64 ms)
{
    if (ms < 0)
        ms = 0;
    if (ms < 1000)
        return QObject::tr("%1 ms").arg(ms);
    const qint64 s = ms / 1000;
    if (s < 60)
        return QObject::tr("%1 s").arg(s);
    if (s < 3600)
        return QObject::tr("%1 m %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    if (s < 86400)
        return QObject::tr("%1 h %2 m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    return QObject::tr("%1 d %2 h").arg(s / 86400).arg((s % 86400) / 3600);
}

QString fieldText(const FieldText &value)
{
    return value ? QString::fromUtf8(*value) : QStringLiteral("NULL");
}

QString fieldChangeText(FieldChange change)
{
    return fieldChangeName(change).replace(u'_', u' ');
}

} // namespace syncdesk::ui

#include "PollMark.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace syncdesk {

namespace {

// Rows at one mark worth persisting: past this only the mark is kept, and a restart reports
// those rows once more (harmless: a re-read row that did not change changes no status).
constexpr qsizetype MaxPersistedAtMark = 1000;

} // namespace

bool PollMark::admit(const QVariant &at, const QByteArray &key, quint64 fingerprint)
{
    if (at != m_at) {
        m_at = at;
        m_atMark.clear();
    }
    auto it = m_atMark.find(key);
    if (it != m_atMark.end() && *it == fingerprint)
        return false; // reported at an earlier poll, unchanged since
    m_atMark.insert(key, fingerprint);
    return true;
}

QJsonValue PollMark::toJson() const
{
    if (!isSet())
        return QJsonValue();
    QJsonObject o;
    const bool integer = m_at.typeId() == QMetaType::LongLong || m_at.typeId() == QMetaType::Int;
    o.insert(QStringLiteral("at"), integer ? QJsonValue(m_at.toLongLong()) : QJsonValue(m_at.toString()));
    if (m_atMark.size() <= MaxPersistedAtMark) {
        QJsonArray rows;
        for (auto it = m_atMark.cbegin(); it != m_atMark.cend(); ++it)
            rows.append(QJsonArray{QString::fromLatin1(it.key().toBase64()),
                                   QString::number(it.value(), 16)});
        o.insert(QStringLiteral("rows"), rows);
    }
    return o;
}

PollMark PollMark::fromJson(const QJsonValue &json)
{
    PollMark m;
    const QJsonObject o = json.toObject();
    const QJsonValue at = o.value(QStringLiteral("at"));
    if (at.isDouble())
        m.m_at = QVariant(at.toInteger());
    else if (at.isString())
        m.m_at = QVariant(at.toString());
    for (const QJsonValue &row : o.value(QStringLiteral("rows")).toArray()) {
        const QJsonArray pair = row.toArray();
        m.m_atMark.insert(QByteArray::fromBase64(pair.at(0).toString().toLatin1()),
                          pair.at(1).toString().toULongLong(nullptr, 16));
    }
    return m;
}

QString PollMark::position(const QHash<QString, PollMark> &marks)
{
    QJsonObject o;
    for (auto it = marks.cbegin(); it != marks.cend(); ++it) {
        if (it->isSet())
            o.insert(it.key(), it->toJson());
    }
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QHash<QString, PollMark> PollMark::fromPosition(const QString &position)
{
    QHash<QString, PollMark> marks;
    const QJsonObject o = QJsonDocument::fromJson(position.toUtf8()).object();
    for (auto it = o.begin(); it != o.end(); ++it)
        marks.insert(it.key(), fromJson(it.value()));
    return marks;
}

} // namespace syncdesk

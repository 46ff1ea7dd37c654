#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonValue>
#include <QString>
#include <QVariant>

namespace syncdesk {

// Where a polling feed stopped in one table: the newest updated_at value seen, and the rows seen
// at exactly that value with a fingerprint of their content. Polls read rows at the mark again
// (another row may share its time, or one row may change twice within one tick of a coarse
// clock), and this says which of them are news, so every change is reported once.
class PollMark
{
public:
    // Whether a row read at time `at` with content `fingerprint` is a change not reported yet;
    // remembers it. Rows come in ascending `at` order.
    bool admit(const QVariant &at, const QByteArray &key, quint64 fingerprint);
    // The newest time seen (invalid: none yet), bound as is into `updated_at >= ?`, so an
    // integer column is compared with an integer.
    [[nodiscard]] const QVariant &value() const { return m_at; }
    [[nodiscard]] bool isSet() const { return m_at.isValid() && !m_at.isNull(); }

    // Persisted in the state store as the feed's position.
    [[nodiscard]] QJsonValue toJson() const;
    static PollMark fromJson(const QJsonValue &json);
    // A polling feed's position: every table's mark, as one JSON text.
    [[nodiscard]] static QString position(const QHash<QString, PollMark> &marks);
    [[nodiscard]] static QHash<QString, PollMark> fromPosition(const QString &position);

private:
    QVariant m_at;
    QHash<QByteArray, quint64> m_atMark; // key → fingerprint of the rows at m_at
};

} // namespace syncdesk

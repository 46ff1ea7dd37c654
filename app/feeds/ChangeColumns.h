#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <algorithm>
#include <optional>

namespace syncdesk {

// The columns a reported change carries: each value as the system printed it, in UTF-8 (what a
// read of the row yields too, so an image is compared without converting it back), in the
// order the feed told them. A row has a handful: a scan finds one faster than a hash would be
// built, and a live change's path builds one per change.
class ChangeColumns
{
public:
    struct Column
    {
        QString name;
        std::optional<QByteArray> value; // nullopt: NULL
    };

    void reserve(qsizetype n) { m_columns.reserve(n); }
    // A name told twice keeps the last value, as a map would.
    void insert(const QString &name, const std::optional<QString> &value)
    {
        std::optional<QByteArray> text = value ? std::optional<QByteArray>(utf8(*value)) : std::nullopt;
        if (Column *c = findMutable(name))
            c->value = std::move(text);
        else
            m_columns.append({name, std::move(text)});
    }

    // For a feed whose row never names a column twice (a decoded WAL record).
    void appendUnique(const QString &name, std::optional<QByteArray> value)
    {
        m_columns.append({name, std::move(value)});
    }

    [[nodiscard]] const Column *find(QStringView name) const
    {
        qsizetype from = 0;
        return find(name, from);
    }
    // Searches from `cursor` on (then from the start), and leaves it past the column found:
    // looking up a row's columns in the order it holds them costs one comparison each.
    [[nodiscard]] const Column *find(QStringView name, qsizetype &cursor) const
    {
        const qsizetype n = m_columns.size();
        for (qsizetype i = 0; i < n; ++i) {
            const qsizetype at = (cursor + i) % n;
            if (m_columns[at].name == name) {
                cursor = at + 1;
                return &m_columns[at];
            }
        }
        return nullptr;
    }
    [[nodiscard]] bool contains(QStringView name) const { return find(name) != nullptr; }
    // The value as text; nullopt both for NULL and for a column not told (contains() tells which).
    [[nodiscard]] std::optional<QString> value(QStringView name) const
    {
        const Column *c = find(name);
        return c && c->value ? std::optional<QString>(QString::fromUtf8(*c->value)) : std::nullopt;
    }
    [[nodiscard]] qsizetype size() const { return m_columns.size(); }
    [[nodiscard]] bool isEmpty() const { return m_columns.isEmpty(); }
    [[nodiscard]] auto begin() const { return m_columns.cbegin(); }
    [[nodiscard]] auto end() const { return m_columns.cend(); }

private:
    // An empty text stays an empty text, never NULL.
    static QByteArray utf8(const QString &text)
    {
        QByteArray out = text.toUtf8();
        return out.isNull() ? QByteArray("") : out;
    }
    Column *findMutable(QStringView name)
    {
        const auto it = std::find_if(m_columns.begin(), m_columns.end(),
                                     [name](const Column &c) { return c.name == name; });
        return it == m_columns.end() ? nullptr : &*it;
    }

    QList<Column> m_columns;
};

} // namespace syncdesk

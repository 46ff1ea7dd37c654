#include "LinkPagePattern.h"

namespace syncdesk {

LinkPagePattern::Parts LinkPagePattern::split(const QUrl &url)
{
    Parts p;
    p.head = url.toString(QUrl::FullyEncoded | QUrl::RemoveQuery | QUrl::RemoveFragment);
    if (url.hasQuery())
        p.items = url.query(QUrl::FullyEncoded).split(u'&');
    p.fragment = url.fragment(QUrl::FullyEncoded);
    return p;
}

std::optional<qint64> LinkPagePattern::number(const QString &item, const QString &name)
{
    const qsizetype eq = item.indexOf(u'=');
    if (eq < 0 || item.left(eq) != name)
        return std::nullopt;
    const QStringView value = QStringView(item).mid(eq + 1);
    // Digits only: "+3", "03" or "1e3" would come back spelt differently.
    if (value.isEmpty() || value.size() > 15 || (value.size() > 1 && value.front() == u'0'))
        return std::nullopt;
    for (const QChar c : value)
        if (c < u'0' || c > u'9')
            return std::nullopt;
    return value.toLongLong();
}

std::optional<LinkPagePattern> LinkPagePattern::learn(const QUrl &page, const QUrl &next, const QUrl &last)
{
    const Parts a = split(page), b = split(next);
    if (a.head != b.head || a.fragment != b.fragment || a.items.size() != b.items.size())
        return std::nullopt;
    std::optional<LinkPagePattern> out;
    for (qsizetype i = 0; i < a.items.size(); ++i) {
        if (a.items[i] == b.items[i])
            continue;
        const QString name = a.items[i].section(u'=', 0, 0);
        const std::optional<qint64> from = number(a.items[i], name), to = number(b.items[i], name);
        // One item differs, by a step forward: anything else is no count (a cursor, a token).
        if (out || !from || !to || *to <= *from)
            return std::nullopt;
        out.emplace();
        out->m_head = a.head;
        out->m_index = i;
        out->m_name = name;
        out->m_step = *to - *from;
    }
    if (out && !last.isEmpty()) {
        const Parts l = split(last);
        bool same = l.head == a.head && l.fragment == a.fragment && l.items.size() == a.items.size();
        for (qsizetype i = 0; same && i < l.items.size(); ++i)
            same = i == out->m_index || l.items[i] == b.items[i];
        if (same)
            out->m_last = number(l.items[out->m_index], out->m_name);
    }
    return out;
}

std::optional<QUrl> LinkPagePattern::after(const QUrl &url) const
{
    Parts p = split(url);
    if (p.head != m_head || m_index >= p.items.size())
        return std::nullopt;
    const std::optional<qint64> at = number(p.items[m_index], m_name);
    if (!at || (m_last && *at + m_step > *m_last))
        return std::nullopt;
    p.items[m_index] = m_name + u'=' + QString::number(*at + m_step);
    QString text = p.head + u'?' + p.items.join(u'&');
    if (!p.fragment.isEmpty())
        text += u'#' + p.fragment;
    return QUrl(text, QUrl::StrictMode);
}

bool LinkPagePattern::samePage(const QUrl &a, const QUrl &b)
{
    return a.toString(QUrl::FullyEncoded) == b.toString(QUrl::FullyEncoded);
}

} // namespace syncdesk

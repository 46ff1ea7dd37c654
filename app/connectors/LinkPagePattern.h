#pragma once

#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace syncdesk {

// How a list's Link headers count its pages, when they do: the next page's URL is this page's
// with one query parameter's number grown by a fixed step (?_page=3 -> ?_page=4, ?offset=200 ->
// ?offset=300) and the rest of the URL unchanged, as json-server, GitHub and WordPress link
// them. Only a guess, made from one page and the link it names: it lets later pages be asked
// for before their links arrive, and a guessed page is used only once a link names it.
class LinkPagePattern
{
public:
    // The pattern of `page` -> `next`, if they follow one; `last` (a Link rel="last", may be
    // empty) bounds it when it follows the same pattern.
    [[nodiscard]] static std::optional<LinkPagePattern> learn(const QUrl &page, const QUrl &next,
                                                              const QUrl &last = {});
    // The page after `url` by the pattern; nullopt when `url` does not follow it or is the last.
    [[nodiscard]] std::optional<QUrl> after(const QUrl &url) const;
    // Two URLs naming the same page, spelt the same way.
    [[nodiscard]] static bool samePage(const QUrl &a, const QUrl &b);

private:
    struct Parts
    {
        QString head;       // scheme, authority, path: all before '?'
        QStringList items;  // the query's "name=value" items, percent-encoded as sent
        QString fragment;
    };
    [[nodiscard]] static Parts split(const QUrl &url);
    // The item's number, when its value is one (digits only).
    [[nodiscard]] static std::optional<qint64> number(const QString &item, const QString &name);

    QString m_head;
    qsizetype m_index = 0; // the counting item's position in the query
    QString m_name;
    qint64 m_step = 0;
    std::optional<qint64> m_last;
};

} // namespace syncdesk

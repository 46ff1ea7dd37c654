#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace syncdesk {

// Finds a member name that appears twice in one JSON object. QJsonDocument keeps only the
// last of them without a word, so {"table": "a", "table": "b"} would silently compare b;
// this walks the raw text, which still has both.
class JsonDuplicateCheck
{
public:
    struct Duplicate
    {
        QString location; // the object holding it, as the loader names places: $.flows[0].source
        QString name;     // the member name, unescaped
    };

    // The first repeated member in document order, or nullopt. `json` must be text that
    // QJsonDocument::fromJson parsed without error: the scan follows Qt's reading of it
    // (byte order mark, escapes) and gives up quietly, rather than guess, on anything else.
    [[nodiscard]] static std::optional<Duplicate> find(const QByteArray &json);
};

} // namespace syncdesk

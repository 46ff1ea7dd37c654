#include "JsonDuplicateCheck.h"

#include "HexDigit.h"

#include <QSet>

#include <cstring>

namespace syncdesk {

namespace {

// A recursive walk over text QJsonDocument already accepted, so it checks only what it needs
// to stay in step. Qt refuses documents nested deeper than 1024, which bounds the recursion.
// Every step returns false to stop the walk: a duplicate was found, or the text is not what
// was promised (then there is no verdict).
class Scanner
{
public:
    explicit Scanner(const QByteArray &json)
        : m_p(json.constData()), m_end(json.constData() + json.size())
    {
    }

    std::optional<JsonDuplicateCheck::Duplicate> run()
    {
        // Qt skips a UTF-8 byte order mark before the document.
        if (m_end - m_p >= 3 && std::memcmp(m_p, "\xEF\xBB\xBF", 3) == 0)
            m_p += 3;
        value(QStringLiteral("$"));
        return m_found;
    }

private:
    bool atEnd() const { return m_p >= m_end; }

    void skipSpace()
    {
        while (!atEnd() && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r'))
            ++m_p;
    }

    bool value(const QString &at)
    {
        skipSpace();
        if (atEnd())
            return false;
        switch (*m_p) {
        case '{': return object(at);
        case '[': return array(at);
        case '"': return string(nullptr);
        default:
            // A number, true, false or null: nothing in it can end it early.
            while (!atEnd() && !std::strchr(",]} \t\n\r", *m_p))
                ++m_p;
            return true;
        }
    }

    bool object(const QString &at)
    {
        ++m_p; // '{'
        skipSpace();
        if (!atEnd() && *m_p == '}') {
            ++m_p;
            return true;
        }
        QSet<QString> seen;
        for (;;) {
            skipSpace();
            QString name;
            if (atEnd() || *m_p != '"' || !string(&name))
                return false;
            if (seen.contains(name)) {
                m_found = JsonDuplicateCheck::Duplicate{at, name};
                return false;
            }
            seen.insert(name);
            skipSpace();
            if (atEnd() || *m_p != ':')
                return false;
            ++m_p;
            if (!value(at + u'.' + name))
                return false;
            skipSpace();
            if (atEnd())
                return false;
            if (*m_p == '}') {
                ++m_p;
                return true;
            }
            if (*m_p != ',')
                return false;
            ++m_p;
        }
    }

    bool array(const QString &at)
    {
        ++m_p; // '['
        skipSpace();
        if (!atEnd() && *m_p == ']') {
            ++m_p;
            return true;
        }
        for (qsizetype i = 0;; ++i) {
            if (!value(QStringLiteral("%1[%2]").arg(at).arg(i)))
                return false;
            skipSpace();
            if (atEnd())
                return false;
            if (*m_p == ']') {
                ++m_p;
                return true;
            }
            if (*m_p != ',')
                return false;
            ++m_p;
        }
    }

    // Reads a string from its opening quote; with `out`, decoded the way Qt decodes it, so two
    // spellings of one name ("a" and "\u0061") compare equal, as they do as QJsonObject keys.
    bool string(QString *out)
    {
        ++m_p; // '"'
        for (;;) {
            const char *run = m_p;
            while (!atEnd() && *m_p != '"' && *m_p != '\\')
                ++m_p;
            // Runs end only at ASCII quote or backslash, so no UTF-8 sequence is ever split.
            if (out)
                out->append(QString::fromUtf8(run, m_p - run));
            if (atEnd())
                return false;
            if (*m_p == '"') {
                ++m_p;
                return true;
            }
            ++m_p; // '\\'
            if (atEnd())
                return false;
            const char escaped = *m_p++;
            char16_t unit = 0;
            switch (escaped) {
            case 'b': unit = 0x08; break;
            case 'f': unit = 0x0c; break;
            case 'n': unit = 0x0a; break;
            case 'r': unit = 0x0d; break;
            case 't': unit = 0x09; break;
            case 'u':
                // One UTF-16 unit per escape, as Qt stores it: an escaped surrogate pair then
                // equals the same character written as UTF-8, and a lone surrogate stays one.
                if (m_end - m_p < 4)
                    return false;
                for (int i = 0; i < 4; ++i) {
                    const int digit = hexDigitValue(*m_p++);
                    if (digit < 0)
                        return false;
                    unit = char16_t(unit << 4 | digit);
                }
                break;
            default:
                // '"', '\\', '/', and (Qt is lenient) any other character stands for itself.
                unit = char16_t(uchar(escaped));
                break;
            }
            if (out)
                out->append(QChar(unit));
        }
    }

    const char *m_p;
    const char *m_end;
    std::optional<JsonDuplicateCheck::Duplicate> m_found;
};

} // namespace

std::optional<JsonDuplicateCheck::Duplicate> JsonDuplicateCheck::find(const QByteArray &json)
{
    return Scanner(json).run();
}

} // namespace syncdesk

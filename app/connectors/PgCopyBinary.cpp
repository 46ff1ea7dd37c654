#include "PgCopyBinary.h"

#include <QtGlobal>

namespace syncdesk {

namespace {

quint32 be32(const char *p)
{
    return quint32(quint8(p[0])) << 24 | quint32(quint8(p[1])) << 16 | quint32(quint8(p[2])) << 8
           | quint32(quint8(p[3]));
}

} // namespace

PgCopyBinary::Result PgCopyBinary::read(std::string_view message)
{
    size_t at = 0;
    if (!m_headerSeen) {
        // Signature, 32-bit flags, 32-bit length of a header extension, the extension.
        static constexpr std::string_view Signature("PGCOPY\n\377\r\n\0", 11);
        if (message.size() < 19 || message.substr(0, 11) != Signature)
            return Result::Malformed;
        const size_t extension = be32(message.data() + 15);
        if (message.size() - 19 < extension)
            return Result::Malformed;
        at = 19 + extension;
        m_headerSeen = true;
        if (at == message.size())
            return Result::Header;
    }
    if (message.size() - at < 2)
        return Result::Malformed;
    const auto count = qint16(quint16(quint8(message[at]) << 8 | quint8(message[at + 1])));
    at += 2;
    if (count == -1)
        return at == message.size() ? Result::End : Result::Malformed;
    if (count < 0 || size_t(count) != m_fields.size())
        return Result::Malformed;
    for (std::optional<std::string_view> &f : m_fields) {
        if (message.size() - at < 4)
            return Result::Malformed;
        const auto length = qint32(be32(message.data() + at));
        at += 4;
        if (length < 0) {
            f.reset();
            continue;
        }
        if (message.size() - at < size_t(length))
            return Result::Malformed;
        f = message.substr(at, size_t(length));
        at += size_t(length);
    }
    return at == message.size() ? Result::Row : Result::Malformed;
}

} // namespace syncdesk

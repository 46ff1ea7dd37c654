#include "PgCopyText.h"

#include "model/HexDigit.h"

#include <cstring>

namespace syncdesk {

bool PgCopyText::split(std::string_view line, size_t expected, std::vector<RawValue> &out)
{
    out.clear();
    if (!line.empty() && line.back() == '\n')
        line.remove_suffix(1);
    const bool escaped = !line.empty() && std::memchr(line.data(), '\\', line.size()) != nullptr;
    if (escaped) {
        // Unescaped text is never longer than the escaped, so views into the buffer stay valid.
        m_buffer.clear();
        m_buffer.reserve(line.size());
    }
    size_t start = 0;
    while (true) {
        const void *tab = start < line.size()
                              ? std::memchr(line.data() + start, '\t', line.size() - start)
                              : nullptr;
        const size_t end = tab ? size_t(static_cast<const char *>(tab) - line.data()) : line.size();
        const std::string_view field = line.substr(start, end - start);
        if (field == "\\N")
            out.push_back(RawValue::null());
        else
            out.push_back(RawValue::text(escaped ? unescape(field) : field));
        if (!tab)
            break;
        start = end + 1;
    }
    return out.size() == expected;
}

std::string_view PgCopyText::unescape(std::string_view field)
{
    if (field.empty() || std::memchr(field.data(), '\\', field.size()) == nullptr)
        return field;
    const size_t begin = m_buffer.size();
    for (size_t i = 0; i < field.size(); ++i) {
        const char c = field[i];
        if (c != '\\' || i + 1 == field.size()) {
            m_buffer.push_back(c);
            continue;
        }
        const char e = field[++i];
        switch (e) {
        case 'b': m_buffer.push_back('\b'); break;
        case 'f': m_buffer.push_back('\f'); break;
        case 'n': m_buffer.push_back('\n'); break;
        case 'r': m_buffer.push_back('\r'); break;
        case 't': m_buffer.push_back('\t'); break;
        case 'v': m_buffer.push_back('\v'); break;
        case 'x': {
            int v = 0, n = 0;
            while (n < 2 && i + 1 < field.size() && hexDigitValue(field[i + 1]) >= 0) {
                v = v * 16 + hexDigitValue(field[++i]);
                ++n;
            }
            if (n == 0)
                m_buffer.push_back('x');
            else
                m_buffer.push_back(char(v));
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                int v = e - '0';
                for (int n = 1; n < 3 && i + 1 < field.size() && field[i + 1] >= '0'
                                && field[i + 1] <= '7';
                     ++n)
                    v = v * 8 + (field[++i] - '0');
                m_buffer.push_back(char(v));
            } else {
                m_buffer.push_back(e); // \\ and any other escaped character stand for themselves
            }
        }
    }
    return std::string_view(m_buffer).substr(begin);
}

} // namespace syncdesk

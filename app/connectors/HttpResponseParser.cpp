#include "HttpResponseParser.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace syncdesk {

HttpResponseParser::HttpResponseParser(qint64 maxBodyBytes) : m_maxBody(maxBodyBytes) {}

qsizetype HttpResponseParser::feed(const char *data, qsizetype size)
{
    qsizetype used = 0;
    while (used < size) {
        switch (m_phase) {
        case Phase::StatusLine:
            if (!takeLine(data, size, used))
                return used;
            // Blank lines before a response are tolerated (RFC 9112, 2.2).
            if (!m_line.isEmpty())
                statusLine();
            break;
        case Phase::Headers:
            if (!takeLine(data, size, used))
                return used;
            headerLine();
            break;
        case Phase::LengthBody:
            (void)takeBody(data, size, used, m_remaining);
            break;
        case Phase::ChunkSize:
            if (!takeLine(data, size, used))
                return used;
            chunkSizeLine();
            break;
        case Phase::ChunkData:
            (void)takeBody(data, size, used, m_remaining);
            break;
        case Phase::ChunkEnd:
            if (!takeLine(data, size, used))
                return used;
            if (!std::exchange(m_line, QByteArray()).isEmpty())
                fail(QStringLiteral("a chunk is longer than its size says"));
            else
                m_phase = Phase::ChunkSize;
            break;
        case Phase::Trailers:
            if (!takeLine(data, size, used))
                return used;
            if (std::exchange(m_line, QByteArray()).isEmpty())
                m_phase = Phase::Done; // trailer fields are not read: nothing here needs them
            break;
        case Phase::CloseBody:
            (void)takeBody(data, size, used, std::numeric_limits<qint64>::max());
            break;
        case Phase::Done:
        case Phase::Failed:
            return used;
        }
    }
    return used;
}

bool HttpResponseParser::takeLine(const char *data, qsizetype size, qsizetype &used)
{
    const char *start = data + used;
    const auto *end = static_cast<const char *>(std::memchr(start, '\n', size_t(size - used)));
    const qsizetype length = end ? end - start : size - used;
    if (m_phase == Phase::ChunkSize || m_phase == Phase::ChunkEnd) {
        if (m_line.size() + length > MaxChunkLineBytes) {
            fail(QStringLiteral("a chunk size line is longer than %1 bytes").arg(MaxChunkLineBytes));
            used = size;
            return false;
        }
    } else {
        m_headBytes += length + (end ? 1 : 0);
        if (m_headBytes > MaxHeadBytes) {
            fail(QStringLiteral("its status line and headers are longer than %1 KiB").arg(MaxHeadBytes / 1024));
            used = size;
            return false;
        }
    }
    m_line.append(start, length);
    used += length + (end ? 1 : 0);
    if (!end)
        return false;
    if (m_line.endsWith('\r'))
        m_line.chop(1);
    return true;
}

void HttpResponseParser::statusLine()
{
    // HTTP/1.1 200 OK
    const QByteArray line = std::exchange(m_line, QByteArray());
    if (line.size() < 12 || !line.startsWith("HTTP/1.") || (line[7] != '0' && line[7] != '1') || line[8] != ' ') {
        fail(QStringLiteral("its status line is not HTTP/1.x (%1)").arg(QString::fromLatin1(line.left(40).toPercentEncoding(" /."))));
        return;
    }
    int status = 0;
    for (int i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') {
            fail(QStringLiteral("its status code is not three digits"));
            return;
        }
        status = status * 10 + (line[i] - '0');
    }
    if (line.size() > 12 && line[12] != ' ') {
        fail(QStringLiteral("its status code is not three digits"));
        return;
    }
    m_minorVersion = line[7] - '0';
    m_status = status;
    m_reason = line.mid(13);
    m_headers.clear();
    m_phase = Phase::Headers;
}

void HttpResponseParser::headerLine()
{
    QByteArray line = std::exchange(m_line, QByteArray());
    if (line.isEmpty()) {
        headersEnded();
        return;
    }
    if (line[0] == ' ' || line[0] == '\t') {
        // An obsolete folded line continues the field before it (RFC 9112, 5.2).
        if (m_headers.isEmpty()) {
            fail(QStringLiteral("its headers begin with a folded line"));
            return;
        }
        m_headers.last().second += ' ' + line.trimmed();
        return;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0 || line.left(colon).contains(' ') || line.left(colon).contains('\t')) {
        fail(QStringLiteral("a header line has no field name and colon"));
        return;
    }
    m_headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
}

QList<QByteArray> HttpResponseParser::tokens(const QByteArray &name) const
{
    QList<QByteArray> out;
    for (const auto &[key, value] : m_headers) {
        if (key.compare(name, Qt::CaseInsensitive) != 0)
            continue;
        for (const QByteArray &token : value.split(','))
            out.append(token.trimmed().toLower());
    }
    return out;
}

void HttpResponseParser::headersEnded()
{
    if (m_status >= 100 && m_status < 200) {
        if (m_status == 101) {
            fail(QStringLiteral("the server switches protocols, which was not asked for"));
            return;
        }
        m_phase = Phase::StatusLine; // an interim answer: the final one follows
        return;
    }
    m_headersComplete = true;
    const QList<QByteArray> connection = tokens("Connection");
    m_keepAlive = m_minorVersion >= 1 ? !connection.contains("close") : connection.contains("keep-alive");
    if (m_status == 204 || m_status == 304) {
        m_phase = Phase::Done;
        return;
    }
    const QList<QByteArray> transfer = tokens("Transfer-Encoding");
    if (!transfer.isEmpty()) {
        // With a Content-Length too, the answer may be a smuggling attempt: the connection
        // is not used again (RFC 9112, 6.3).
        if (!tokens("Content-Length").isEmpty())
            m_keepAlive = false;
        if (transfer.last() == "chunked") {
            m_phase = Phase::ChunkSize;
        } else {
            m_phase = Phase::CloseBody; // framed by the close only (RFC 9112, 6.3)
            m_keepAlive = false;
        }
        return;
    }
    const QList<QByteArray> lengths = tokens("Content-Length");
    if (lengths.isEmpty()) {
        m_phase = Phase::CloseBody;
        m_keepAlive = false;
        return;
    }
    qint64 length = -1;
    for (const QByteArray &text : lengths) {
        bool ok = !text.isEmpty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        const qint64 value = ok ? text.toLongLong(&ok) : -1;
        if (!ok || (length >= 0 && value != length)) {
            fail(QStringLiteral("its Content-Length is not one number"));
            return;
        }
        length = value;
    }
    if (length > m_maxBody) {
        m_oversized = true;
        fail(QStringLiteral("its body is larger than %1 bytes").arg(m_maxBody));
        return;
    }
    // Sized at once (the bytes are written as they come, bodySpace()), with the padding
    // beyond the end.
    m_body.reserve(length + BodyPadding);
    m_body.resize(length);
    m_remaining = length;
    m_phase = length == 0 ? Phase::Done : Phase::LengthBody;
}

void HttpResponseParser::chunkSizeLine()
{
    QByteArray line = std::exchange(m_line, QByteArray());
    const qsizetype extension = line.indexOf(';');
    if (extension >= 0)
        line.truncate(extension);
    line = line.trimmed();
    bool ok = !line.isEmpty() && line.size() <= 15;
    const qint64 size = ok ? line.toLongLong(&ok, 16) : 0;
    if (!ok || size < 0) {
        fail(QStringLiteral("a chunk size is not a hexadecimal number"));
        return;
    }
    if (size == 0) {
        m_phase = Phase::Trailers;
        return;
    }
    if (m_body.size() + size > m_maxBody) {
        m_oversized = true;
        fail(QStringLiteral("its body is larger than %1 bytes").arg(m_maxBody));
        return;
    }
    m_remaining = size;
    m_phase = Phase::ChunkData;
}

qsizetype HttpResponseParser::takeBody(const char *data, qsizetype size, qsizetype &used, qint64 want)
{
    const qsizetype n = qsizetype(std::min<qint64>(want, size - used));
    if (m_phase == Phase::CloseBody && m_body.size() + n > m_maxBody) {
        m_oversized = true;
        fail(QStringLiteral("its body is larger than %1 bytes").arg(m_maxBody));
        used = size;
        return 0;
    }
    if (m_phase == Phase::LengthBody) {
        std::memcpy(bodySpace().first, data + used, size_t(n));
        used += n;
        bodyWritten(n);
        return n;
    }
    m_body.append(data + used, n);
    used += n;
    if (m_phase == Phase::ChunkData) {
        m_remaining -= n;
        if (m_remaining == 0)
            m_phase = Phase::ChunkEnd;
    }
    return n;
}

std::pair<char *, qsizetype> HttpResponseParser::bodySpace()
{
    if (m_phase != Phase::LengthBody)
        return {nullptr, 0};
    return {m_body.data() + (m_body.size() - m_remaining), qsizetype(m_remaining)};
}

void HttpResponseParser::bodyWritten(qsizetype n)
{
    Q_ASSERT(m_phase == Phase::LengthBody && n <= m_remaining);
    m_remaining -= n;
    if (m_remaining == 0)
        m_phase = Phase::Done;
}

void HttpResponseParser::closed()
{
    if (m_phase == Phase::CloseBody) {
        m_phase = Phase::Done;
    } else if (m_phase != Phase::Done && m_phase != Phase::Failed) {
        m_cutShort = true;
        fail(m_phase == Phase::StatusLine && m_headBytes == 0
                 ? QStringLiteral("the server closed the connection without an answer")
                 : QStringLiteral("the server closed the connection before the response ended"));
    }
}

void HttpResponseParser::fail(const QString &why)
{
    m_phase = Phase::Failed;
    m_error = why;
    m_body.clear(); // a Content-Length body is sized before it is written: never hand out a part
    m_keepAlive = false;
}

} // namespace syncdesk

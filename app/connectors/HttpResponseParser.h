#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

#include <utility>

namespace syncdesk {

// One HTTP/1.1 response to a GET, read from bytes as they arrive (RFC 9112): the status line,
// the header fields, then the body framed by Transfer-Encoding: chunked, by Content-Length, or
// by the connection's close. Interim 1xx responses are skipped. It never holds more than
// `maxBodyBytes` of body nor more than MaxHeadBytes of status line and headers: past either,
// it fails (oversized() tells which).
class HttpResponseParser
{
public:
    explicit HttpResponseParser(qint64 maxBodyBytes);

    // Takes what it can of `data` and returns how much it took: everything, unless the
    // response ended (done()) or failed first.
    qsizetype feed(const char *data, qsizetype size);
    // Where the body's next bytes go while its length is known (Content-Length) and how many
    // are still to come, else {nullptr, 0}: a caller may read them straight there from its
    // socket, then say how many it wrote (bodyWritten), instead of feeding a copy.
    [[nodiscard]] std::pair<char *, qsizetype> bodySpace();
    void bodyWritten(qsizetype n);
    // The connection closed: the end of a body read until the close; any other response that
    // has not ended is cut short (failed()).
    void closed();

    [[nodiscard]] bool headersComplete() const { return m_headersComplete; }
    [[nodiscard]] bool done() const { return m_phase == Phase::Done; }
    [[nodiscard]] bool failed() const { return m_phase == Phase::Failed; }
    // Why it failed, for a message ("the chunk size 'zz' is not hexadecimal").
    [[nodiscard]] const QString &error() const { return m_error; }
    // Failed because the connection closed before the response ended.
    [[nodiscard]] bool cutShort() const { return m_cutShort; }
    // Failed because the body is larger than maxBodyBytes.
    [[nodiscard]] bool oversized() const { return m_oversized; }

    [[nodiscard]] int status() const { return m_status; }
    [[nodiscard]] const QByteArray &reason() const { return m_reason; }
    [[nodiscard]] const QList<QPair<QByteArray, QByteArray>> &headers() const { return m_headers; }
    [[nodiscard]] QByteArray takeBody() { return std::move(m_body); }
    // Whether the connection may carry another request once this response is done.
    [[nodiscard]] bool keepAlive() const { return m_keepAlive; }

    static constexpr qsizetype MaxHeadBytes = 64 * 1024;
    static constexpr qsizetype MaxChunkLineBytes = 1024;
    // Spare bytes kept after a body whose length is known: a JSON parser that reads past the
    // end (simdjson) then needs no copy of it.
    static constexpr qsizetype BodyPadding = 64;

private:
    enum class Phase { StatusLine, Headers, LengthBody, ChunkSize, ChunkData, ChunkEnd, Trailers, CloseBody, Done, Failed };

    // A line (without its CR LF) from data[used..size); false when it has not ended yet.
    bool takeLine(const char *data, qsizetype size, qsizetype &used);
    void statusLine();
    void headerLine();
    void headersEnded();
    void chunkSizeLine();
    // Appends up to `want` bytes of body from data[used..size).
    qsizetype takeBody(const char *data, qsizetype size, qsizetype &used, qint64 want);
    void fail(const QString &why);
    [[nodiscard]] QList<QByteArray> tokens(const QByteArray &header) const; // lowercased, comma-split

    qint64 m_maxBody;
    Phase m_phase = Phase::StatusLine;
    QByteArray m_line;
    qsizetype m_headBytes = 0;
    bool m_headersComplete = false;
    int m_minorVersion = 1;
    int m_status = 0;
    QByteArray m_reason;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    QByteArray m_body; // with a Content-Length, sized to it from the headers on
    qint64 m_remaining = 0; // of the body (LengthBody) or of the chunk (ChunkData)
    bool m_keepAlive = false;
    bool m_cutShort = false;
    bool m_oversized = false;
    QString m_error;
};

} // namespace syncdesk

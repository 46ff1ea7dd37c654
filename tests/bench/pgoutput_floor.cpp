// The floor of the live benchmark (live-bench.sh): a bare logical replication client that
// does nothing but receive pgoutput messages. For every committed transaction that changed a
// row it prints one line, the commit's time in seconds since the epoch (to the microsecond)
// and the first column of the last row it changed (the table's key, for the benchmark's
// table), and flushes, so the line is stamped on receipt exactly as `watch --events` lines
// are. The key pairs each of SyncDesk's event lines with its commit's exact time.
//
//   pgoutput_floor CONNINFO SLOT PUBLICATION [READ_CONNINFO READ_SQL]
//
// The slot (plugin pgoutput) and the publication are made by the caller. With READ_CONNINFO
// and READ_SQL (one parameter, $1: the key), each commit's line waits for that statement's
// answer from the other system, prepared once: the least a client must do before it can tell
// a record's status truthfully (one read of the other side), and so the floor of that read.
#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

uint32_t readBigEndian32(const char *p)
{
    return (uint32_t(uint8_t(p[0])) << 24) | (uint32_t(uint8_t(p[1])) << 16)
           | (uint32_t(uint8_t(p[2])) << 8) | uint32_t(uint8_t(p[3]));
}

// TupleData (int16 columns, then per column 'n', 'u' or 't' + int32 length + text): the first
// column's text when it has one, and where the tuple ends; nullptr when it runs past `end`.
const char *readTuple(const char *p, const char *end, std::string *first)
{
    if (end - p < 2)
        return nullptr;
    const int columns = (uint8_t(p[0]) << 8) | uint8_t(p[1]);
    p += 2;
    for (int c = 0; c < columns; ++c) {
        if (p >= end)
            return nullptr;
        const char kind = *p++;
        if (kind != 't' && kind != 'b')
            continue;
        if (end - p < 4)
            return nullptr;
        const uint32_t length = readBigEndian32(p);
        p += 4;
        if (uint32_t(end - p) < length)
            return nullptr;
        if (c == 0 && first)
            first->assign(p, length);
        p += length;
    }
    return p;
}

// The first column of the new row of an Insert ('I') or Update ('U') message.
std::string changedKey(const char *m, const char *end)
{
    std::string key;
    const char *p = m + 5; // type, relation id
    if (p < end && (*p == 'K' || *p == 'O'))
        p = readTuple(p + 1, end, nullptr); // the old key or row of an update
    if (p && p < end && *p == 'N')
        readTuple(p + 1, end, &key);
    return key;
}

uint64_t readBigEndian(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v = (v << 8) | uint8_t(p[i]);
    return v;
}

void writeBigEndian(char *p, uint64_t v)
{
    for (int i = 7; i >= 0; --i) {
        p[i] = char(v & 0xFF);
        v >>= 8;
    }
}

constexpr int64_t PgEpochMicros = 946684800LL * 1000000; // 2000-01-01 in Unix microseconds

int64_t nowPgMicros()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() - PgEpochMicros;
}

bool sendStatus(PGconn *conn, uint64_t lsn)
{
    char m[34];
    m[0] = 'r';
    writeBigEndian(m + 1, lsn);
    writeBigEndian(m + 9, lsn);
    writeBigEndian(m + 17, lsn);
    writeBigEndian(m + 25, uint64_t(nowPgMicros()));
    m[33] = 0;
    return PQputCopyData(conn, m, sizeof m) > 0 && PQflush(conn) >= 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 6) {
        std::fprintf(stderr, "usage: pgoutput_floor CONNINFO SLOT PUBLICATION [READ_CONNINFO READ_SQL]\n");
        return 2;
    }
    PGconn *reader = nullptr;
    if (argc == 6) {
        reader = PQconnectdb(argv[4]);
        PGresult *prepared =
            PQstatus(reader) == CONNECTION_OK ? PQprepare(reader, "read", argv[5], 1, nullptr) : nullptr;
        if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
            std::fprintf(stderr, "pgoutput_floor: read: %s", PQerrorMessage(reader));
            return 1;
        }
        PQclear(prepared);
    }
    const std::string conninfo = std::string(argv[1]) + " replication=database";
    PGconn *conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        std::fprintf(stderr, "pgoutput_floor: %s", PQerrorMessage(conn));
        return 1;
    }
    char *slot = PQescapeIdentifier(conn, argv[2], std::strlen(argv[2]));
    char *publication = PQescapeLiteral(conn, argv[3], std::strlen(argv[3]));
    const std::string start = std::string("START_REPLICATION SLOT ") + slot
                              + " LOGICAL 0/0 (proto_version '1', publication_names " + publication + ")";
    PQfreemem(slot);
    PQfreemem(publication);
    PGresult *r = PQexec(conn, start.c_str());
    if (PQresultStatus(r) != PGRES_COPY_BOTH) {
        std::fprintf(stderr, "pgoutput_floor: %s", PQerrorMessage(conn));
        return 1;
    }
    PQclear(r);
    PQsetnonblocking(conn, 1);
    uint64_t received = 0;
    bool rowsInTransaction = false;
    std::string key;
    auto lastStatus = std::chrono::steady_clock::now();
    for (;;) {
        pollfd fd{PQsocket(conn), POLLIN, 0};
        poll(&fd, 1, 1000);
        if (!PQconsumeInput(conn))
            break;
        for (;;) {
            char *buffer = nullptr;
            const int n = PQgetCopyData(conn, &buffer, 1);
            if (n == 0)
                break;
            if (n < 0) {
                std::fprintf(stderr, "pgoutput_floor: stream ended: %s", PQerrorMessage(conn));
                return 1;
            }
            if (buffer[0] == 'w' && n > 25) {
                const char *m = buffer + 25;
                received = std::max(received, readBigEndian(buffer + 9));
                if (m[0] == 'B') {
                    rowsInTransaction = false;
                } else if (m[0] == 'I' || m[0] == 'U' || m[0] == 'D') {
                    rowsInTransaction = true;
                    if (m[0] != 'D')
                        key = changedKey(m, buffer + n);
                } else if (m[0] == 'C' && n >= 25 + 26 && rowsInTransaction) {
                    // Commit: flags (1), commit LSN (8), end LSN (8), commit time (8).
                    const int64_t commit = int64_t(readBigEndian(m + 18)) + PgEpochMicros;
                    if (reader) {
                        const char *value = key.c_str();
                        PGresult *read = PQexecPrepared(reader, "read", 1, &value, nullptr, nullptr, 0);
                        if (PQresultStatus(read) != PGRES_TUPLES_OK) {
                            std::fprintf(stderr, "pgoutput_floor: read: %s", PQerrorMessage(reader));
                            return 1;
                        }
                        PQclear(read);
                    }
                    std::printf("%lld.%06lld %s\n", (long long)(commit / 1000000),
                                (long long)(commit % 1000000), key.c_str());
                    std::fflush(stdout);
                }
            } else if (buffer[0] == 'k' && n >= 18) {
                received = std::max(received, readBigEndian(buffer + 1));
                if (buffer[17] && !sendStatus(conn, received))
                    return 1;
            }
            PQfreemem(buffer);
        }
        if (std::chrono::steady_clock::now() - lastStatus > std::chrono::seconds(1)) {
            if (!sendStatus(conn, received))
                return 1;
            lastStatus = std::chrono::steady_clock::now();
        }
    }
    std::fprintf(stderr, "pgoutput_floor: %s", PQerrorMessage(conn));
    return 1;
}

#include "PgLogicalFeed.h"

#include "connectors/PgConnection.h"
#include "model/Canonical.h"
#include "model/SyncError.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QTimer>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

Q_LOGGING_CATEGORY(lcFeed, "syncdesk.feed", QtWarningMsg)

namespace syncdesk {

namespace {

quint64 readBigEndian(const char *p)
{
    quint64 v = 0;
    for (int i = 0; i < 8; ++i)
        v = (v << 8) | quint8(p[i]);
    return v;
}

void writeBigEndian(char *p, quint64 v)
{
    for (int i = 7; i >= 0; --i) {
        p[i] = char(v & 0xFF);
        v >>= 8;
    }
}

// Microseconds since 2000-01-01, the replication protocol's clock.
quint64 pgNowMicros()
{
    constexpr qint64 epochOffsetMs = 946684800000LL;
    return quint64((QDateTime::currentMSecsSinceEpoch() - epochOffsetMs) * 1000);
}

// wal2json's add-tables escapes its separators with a backslash.
QString wal2jsonName(const QString &name)
{
    QString out;
    for (const QChar c : name) {
        if (c == u' ' || c == u'\'' || c == u',' || c == u'.' || c == u'*' || c == u'\\')
            out += u'\\';
        out += c;
    }
    return out;
}

} // namespace

PgLogicalFeed::PgLogicalFeed(SystemSpec system, QString slot, QList<TableRef> tables,
                             QObject *parent)
    : ChangeFeed(std::move(system), parent), m_slot(std::move(slot)), m_tables(std::move(tables)),
      m_statusTimer(new QTimer(this))
{
    m_statusTimer->setInterval(1000);
    connect(m_statusTimer, &QTimer::timeout, this, [this] {
        // A paused or hung server keeps the socket open and its kernel keeps acknowledging:
        // only its silence tells. Every status asks for a reply, so a live one never is.
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (now - m_lastHeardMs > HungAfterMs) {
            fail(QStringLiteral("system '%1' (postgres) feed: no answer from the server for %2 s "
                                "(hung or unreachable)")
                     .arg(this->system().name)
                     .arg((now - m_lastHeardMs) / 1000));
            return;
        }
        // A status every second even when nothing moved: it also wakes a walsender that
        // missed a wakeup, which otherwise only looks again at its timeout (tens of seconds),
        // and the server's reply shows it is there. Well within any wal_sender_timeout.
        sendStatus(true);
        // libpq reads the socket on its own while it writes (to avoid deadlocks): what it
        // buffered then raises no socket notification, so drain it here too.
        onReadable();
    });
}

PgLogicalFeed::~PgLogicalFeed()
{
    if (m_conn)
        (void)writeStatus(); // tell the server how far we got before leaving
}

QString PgLogicalFeed::slotName(const QString &workspacePath, const QString &system)
{
    const QByteArray digest =
        QCryptographicHash::hash(workspacePath.toUtf8(), QCryptographicHash::Sha256).toHex().left(10);
    QString name = system.toLower();
    name.replace(QRegularExpression(QStringLiteral("[^a-z0-9_]")), QStringLiteral("_"));
    return (QStringLiteral("syncdesk_") + QString::fromLatin1(digest) + u'_' + name).left(63);
}

quint64 PgLogicalFeed::parseLsn(const QString &lsn)
{
    const QByteArray text = lsn.toLatin1();
    return PgConnection::parseLsn({text.constData(), size_t(text.size())});
}

QString PgLogicalFeed::formatLsn(quint64 lsn)
{
    // PostgreSQL's "%X/%X", once per wake-up that brought a commit: no QString::arg chain there.
    char text[24];
    char *end = std::to_chars(text, text + 8, quint32(lsn >> 32), 16).ptr;
    *end++ = '/';
    end = std::to_chars(end, end + 8, quint32(lsn), 16).ptr;
    for (char *c = text; c != end; ++c)
        *c = (*c >= 'a' && *c <= 'f') ? char(*c - 'a' + 'A') : *c;
    return QString::fromLatin1(text, end - text);
}

QString PgLogicalFeed::lastError() const
{
    return PgConnection::scrub(QString::fromUtf8(PQerrorMessage(m_conn.get())), PQpass(m_conn.get()));
}

void PgLogicalFeed::start()
{
    try {
        connectAndStream();
        setConnected();
    } catch (const SyncError &e) {
        fail(e.message());
    }
}

void PgLogicalFeed::fail(const QString &error)
{
    delete m_notifier;
    m_notifier = nullptr;
    m_statusTimer->stop();
    m_conn.reset();
    m_transaction.clear();
    m_committed.clear();
    m_inTransaction = false;
    setFailed(error);
}

void PgLogicalFeed::connectAndStream()
{
    const QString where = QStringLiteral("system '%1' (postgres) feed").arg(system().name);
    {
        // The slot is made on an ordinary connection, once; it then outlives us on purpose.
        PgConnection admin(system().conninfo, where);
        const PgResultPtr r = admin.exec(
            "feed", "SELECT plugin FROM pg_replication_slots WHERE slot_name = $1", {m_slot.toUtf8()});
        if (PQntuples(r.get()) == 0)
            admin.exec("feed", "SELECT pg_create_logical_replication_slot($1, 'wal2json')",
                       {m_slot.toUtf8()});
        else if (qstrcmp(PQgetvalue(r.get(), 0, 0), "wal2json") != 0)
            throw SyncError(QStringLiteral("%1: slot %2 exists with another output plugin")
                                .arg(where, m_slot));
    }
    const QByteArray info = system().conninfo.toUtf8();
    std::vector<const char *> keys;
    std::vector<const char *> values;
    QByteArray password;
    PgConnection::defaultKeywords(info, keys, values, password);
    keys.insert(keys.end(), {"replication", "fallback_application_name", nullptr});
    values.insert(values.end(), {"database", "syncdesk-feed", nullptr});
    m_conn.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    PgConnection::quietNotices(m_conn.get());
    if (PQstatus(m_conn.get()) != CONNECTION_OK)
        throw SyncError(QStringLiteral("%1: cannot open a replication connection: %2")
                            .arg(where, lastError()));
    // Row images stand in for reads of the same rows, so values must print as a read prints
    // them (PgConnection's session); if the session cannot be set (SQL on a replication
    // connection needs PostgreSQL 10), changes come without images and rows are read.
    // The stream is in the database's encoding; images are compared with UTF-8 reads.
    const PgResultPtr settings(PQexec(m_conn.get(), PgConnection::OutputSettings));
    m_images = PQresultStatus(settings.get()) == PGRES_COMMAND_OK
               && qstrcmp(PQparameterStatus(m_conn.get(), "server_encoding"), "UTF8") == 0;
    QStringList tables;
    for (const TableRef &t : m_tables)
        tables << (t.schema == u"*" ? t.schema : wal2jsonName(t.schema)) + u'.' + wal2jsonName(t.name);
    // The replication grammar takes plain '…' literals (quotes doubled, backslashes as is).
    QString filter = tables.join(u',');
    filter.replace(u'\'', QStringLiteral("''"));
    char *slot = PQescapeIdentifier(m_conn.get(), m_slot.toUtf8().constData(), size_t(m_slot.toUtf8().size()));
    const QByteArray command = QByteArray("START_REPLICATION SLOT ") + slot
                               + " LOGICAL 0/0 (\"format-version\" '2', \"include-timestamp\" "
                                 "'1', \"include-xids\" '1', \"include-types\" '0', \"add-tables\" "
                               + '\'' + filter.toUtf8() + "')";
    qCDebug(lcPg).noquote() << "feed" << command;
    const PgResultPtr r(PQexec(m_conn.get(), command.constData()));
    PQfreemem(slot);
    if (PQresultStatus(r.get()) != PGRES_COPY_BOTH)
        throw SyncError(QStringLiteral("%1: START_REPLICATION failed: %2").arg(where, lastError()));
    PQsetnonblocking(m_conn.get(), 1);
    m_notifier = new QSocketNotifier(PQsocket(m_conn.get()), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &PgLogicalFeed::onReadable);
    m_lastHeardMs = QDateTime::currentMSecsSinceEpoch();
    m_statusTimer->start();
    // Data may already sit in libpq's buffer, which the notifier would not announce.
    QTimer::singleShot(0, this, &PgLogicalFeed::onReadable);
}

void PgLogicalFeed::onReadable()
{
    if (!m_conn)
        return;
    const QString error = drain();
    // Every transaction this wake-up read goes over as one batch, before any failure is told:
    // they are committed, and the engine applies them with one read of the other side.
    if (!m_committed.isEmpty()) {
        const QList<ChangeEvent> committed = std::exchange(m_committed, {});
        emit changes(committed, formatLsn(m_emitted));
    }
    if (!error.isEmpty())
        fail(error);
}

QString PgLogicalFeed::drain()
{
    if (!PQconsumeInput(m_conn.get()))
        return QStringLiteral("system '%1' (postgres) feed: connection lost: %2").arg(system().name, lastError());
    // Drain everything libpq has, not just one message per wake-up.
    for (;;) {
        char *buffer = nullptr;
        const int n = PQgetCopyData(m_conn.get(), &buffer, 1);
        if (n == 0)
            return {};
        if (n < 0)
            return QStringLiteral("system '%1' (postgres) feed: stream ended: %2").arg(system().name, lastError());
        const std::unique_ptr<char, decltype(&PQfreemem)> owned(buffer, &PQfreemem);
        m_lastHeardMs = QDateTime::currentMSecsSinceEpoch();
        qCDebug(lcFeed).noquote() << system().name << "received" << QByteArray(buffer, 1)
                                  << (buffer[0] == 'w' && n > 25 ? QByteArray(buffer + 25, std::min(n - 25, 120))
                                                                 : QByteArray());
        if (buffer[0] == 'w' && n >= 25) {
            const quint64 walStart = readBigEndian(buffer + 1);
            m_received = std::max(m_received, readBigEndian(buffer + 9));
            handleData(buffer + 25, n - 25, walStart);
        } else if (buffer[0] == 'k' && n >= 18) {
            m_received = std::max(m_received, readBigEndian(buffer + 1));
            // The server has sent everything before this position. With nothing of ours in
            // flight, all of it is done with: say so, or an idle slot holds WAL forever (other
            // databases' writes, checkpoints) and a server shutting down waits on us for good.
            if (!m_inTransaction && m_confirmed >= m_emitted)
                m_confirmed = std::max(m_confirmed, m_received);
            // A server shutting down asks for confirmations and waits for them; the engine
            // cannot give them while that server refuses its reads. Let go instead of holding
            // the shutdown forever: the slot replays what was not confirmed on reconnect.
            if (buffer[17] && m_confirmed < m_emitted
                && QDateTime::currentMSecsSinceEpoch() - m_outstandingSinceMs > OutstandingLimitMs)
                return QStringLiteral("system '%1' (postgres) feed: the server asks to confirm changes that "
                                      "cannot be applied yet (is it shutting down?); reconnecting")
                    .arg(system().name);
            if (buffer[17] && !writeStatus()) // the loop goes on draining whatever this made libpq read
                return QStringLiteral("system '%1' (postgres) feed: cannot send status: %2")
                    .arg(system().name, lastError());
        }
    }
}

void PgLogicalFeed::handleData(const char *data, int length, quint64 walStart)
{
    if (!Wal2JsonMessage::parse({data, size_t(length)}, m_message)) {
        // A change that cannot be read (a number past a double's range, text not in UTF-8):
        // which record it touched is unknown, so the flows on this system compare again.
        qCWarning(lcFeed).noquote() << system().name << "feed: a change could not be parsed; comparing again";
        emit rescanNeeded();
        return;
    }
    const Wal2JsonMessage &m = m_message;
    if (m.action == 'B') {
        m_transaction.clear();
        m_inTransaction = true;
        m_xid = m.xid;
        return;
    }
    if (m.action == 'C') {
        m_inTransaction = false;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        noteEvent(now);
        if (!m_transaction.isEmpty()) {
            for (ChangeEvent &e : m_transaction)
                e.commitLsn = walStart;
            if (m_confirmed >= m_emitted)
                m_outstandingSinceMs = now;
            m_emitted = walStart;
            m_committed.append(m_transaction); // handed over once the wake-up's reading is done
        } else if (m_confirmed >= m_emitted) {
            // Nothing of ours in it and nothing of ours outstanding: let the server move on.
            m_confirmed = std::max(m_confirmed, walStart);
        }
        m_transaction.clear();
        return;
    }
    if (m.action != 'I' && m.action != 'U' && m.action != 'D')
        return;
    // A transaction's changes mostly touch one table: its name is made once, then shared.
    if (m_lastSchema != m.schema || m_lastTableName != m.table) {
        m_lastSchema = m.schema;
        m_lastTableName = m.table;
        m_lastTable = {QString::fromStdString(m.schema), QString::fromStdString(m.table)};
    }
    const qint64 commitMs = canonical::instantMs(m.timestamp).value_or(0);
    // The old key (identity) of updates and deletes, and the new row of inserts and updates:
    // an update that changes the key touches two records. The new row is an image of the
    // record; whatever followed the old key is gone from it (unless a later change says not).
    // Most updates keep their key: then the identity names the same record as the new row,
    // which is told once (checked on the message's own text, before anything is built).
    const auto keptKey = [&m] {
        for (const Wal2JsonMessage::Column &old : m.identity) {
            const auto same = std::find_if(m.columns.cbegin(), m.columns.cend(),
                                           [&old](const Wal2JsonMessage::Column &c) { return c.name == old.name; });
            if (same == m.columns.cend() ? old.value.has_value() : same->value != old.value)
                return false; // (a column the new row leaves out counts as null, as it always has)
        }
        return true;
    };
    const bool toldOnce = !m.identity.empty() && !m.columns.empty() && keptKey();
    for (const bool newRow : {false, true}) {
        const std::vector<Wal2JsonMessage::Column> &columns = newRow ? m.columns : m.identity;
        if (columns.empty() || (!newRow && toldOnce))
            continue;
        ChangeEvent &e = m_transaction.emplace_back();
        e.table = m_lastTable;
        e.commitMs = commitMs;
        e.xid = m.xid ? m.xid : m_xid;
        e.columns.reserve(qsizetype(columns.size()));
        for (size_t i = 0; i < columns.size(); ++i) {
            const Wal2JsonMessage::Column &c = columns[i];
            e.columns.appendUnique(columnName(i, c.name),
                                   c.value ? std::optional(QByteArray::fromStdString(*c.value)) : std::nullopt);
        }
        if (m_images)
            e.image = newRow ? RowImage::Row : RowImage::Absent;
    }
}

const QString &PgLogicalFeed::columnName(size_t at, const std::string &name)
{
    // The same table's rows name the same columns in the same order: their names are made
    // once and shared, not decoded again for every change.
    if (at >= m_columnNames.size())
        m_columnNames.resize(at + 1);
    auto &[raw, told] = m_columnNames[at];
    if (raw != name || told.isNull()) {
        raw = name;
        told = QString::fromStdString(name);
    }
    return told;
}

void PgLogicalFeed::confirm(const QString &position)
{
    const quint64 confirmed = parseLsn(position);
    if (confirmed > m_confirmed)
        m_outstandingSinceMs = QDateTime::currentMSecsSinceEpoch(); // the engine keeps up
    m_confirmed = std::max(m_confirmed, confirmed);
}

void PgLogicalFeed::sendStatus(bool force)
{
    if (!m_conn || (!force && m_reported == m_confirmed))
        return;
    if (!writeStatus())
        fail(QStringLiteral("system '%1' (postgres) feed: cannot send status: %2")
                 .arg(system().name, lastError()));
}

bool PgLogicalFeed::writeStatus()
{
    char message[34];
    message[0] = 'r';
    writeBigEndian(message + 1, std::max(m_received, m_confirmed)); // written
    writeBigEndian(message + 9, m_confirmed);                        // flushed: safe to forget
    writeBigEndian(message + 17, m_confirmed);                       // applied
    writeBigEndian(message + 25, pgNowMicros());
    message[33] = 1; // reply requested: the server's answer is how a hung one is noticed
    if (PQputCopyData(m_conn.get(), message, sizeof message) <= 0 || PQflush(m_conn.get()) < 0)
        return false;
    m_reported = m_confirmed;
    return true;
}

} // namespace syncdesk

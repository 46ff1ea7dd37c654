#include "WalCheckpointer.h"

#include "model/SyncError.h"

#include <QLoggingCategory>

#include <sqlite3.h>

namespace syncdesk {

Q_LOGGING_CATEGORY(lcCheckpoint, "syncdesk.state.checkpoint")

WalCheckpointer::WalCheckpointer(const QString &path) : m_path(path)
{
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &m_db, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK) {
        const QString why = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_close(m_db);
        throw SyncError(QStringLiteral("state store %1: %2").arg(path, why));
    }
    // Its own commits are none; the setting only decides the checkpoint's syncs (the log
    // before copying, the database after), as the writer's NORMAL would.
    sqlite3_exec(m_db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    m_thread = std::jthread([this](std::stop_token stop) { run(stop); });
}

WalCheckpointer::~WalCheckpointer()
{
    if (m_writer)
        sqlite3_wal_autocheckpoint(m_writer, ThresholdPages); // replaces the hook below
    m_thread.request_stop();
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
    sqlite3_close(m_db);
}

void WalCheckpointer::attach(sqlite3 *writer)
{
    m_writer = writer;
    sqlite3_wal_hook(writer, &WalCheckpointer::onCommit, this);
}

int WalCheckpointer::checkpoints() const
{
    const std::lock_guard lock(m_mutex);
    return m_checkpoints;
}

bool WalCheckpointer::caughtUp() const
{
    const std::lock_guard lock(m_mutex);
    return m_caughtUp;
}

int WalCheckpointer::onCommit(void *self, sqlite3 *db, const char *schema, int pages)
{
    // On the writer's thread, after its commit. Short of the writer's own limit: a flag and a
    // wake-up, nothing that waits.
    auto *checkpointer = static_cast<WalCheckpointer *>(self);
    if (pages >= WriterCheckpointPages) {
        // Held while it runs, so the thread starts none: this one copies everything that no
        // reader still needs, and the next commit starts the log over.
        std::unique_lock lock(checkpointer->m_mutex);
        checkpointer->m_idle.wait(lock, [checkpointer] { return !checkpointer->m_running; });
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= ThresholdPages) {
        {
            const std::lock_guard lock(checkpointer->m_mutex);
            checkpointer->m_due = true;
            checkpointer->m_caughtUp = false;
        }
        checkpointer->m_wake.notify_one();
    }
    return SQLITE_OK;
}

void WalCheckpointer::run(std::stop_token stop)
{
    while (true) {
        {
            std::unique_lock lock(m_mutex);
            if (!m_wake.wait(lock, stop, [this] { return m_due; }))
                return; // stopped
            m_due = false;
            m_running = true;
        }
        // Passive: copies what no reader still needs and never blocks the writer. The log
        // starts over at the writer's next commit only if all of it was copied, so what the
        // writer added meanwhile is copied too (a few pages, a pass or two).
        bool whole = false;
        for (int pass = 0; pass < 4 && !whole && !stop.stop_requested(); ++pass) {
            int logPages = 0;
            int copied = 0;
            const int rc = sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logPages, &copied);
            if (rc != SQLITE_OK) {
                if (rc != SQLITE_BUSY) // busy: another connection's checkpoint runs
                    qCWarning(lcCheckpoint).noquote() << "state store" << m_path << "checkpoint:" << sqlite3_errmsg(m_db);
                break;
            }
            qCDebug(lcCheckpoint) << "checkpoint copied" << copied << "of" << logPages << "pages";
            whole = copied >= logPages;
        }
        {
            const std::lock_guard lock(m_mutex);
            ++m_checkpoints;
            m_caughtUp = whole && !m_due;
            m_running = false;
        }
        m_idle.notify_all();
    }
}

} // namespace syncdesk

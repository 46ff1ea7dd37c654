#pragma once

#include <QString>

#include <condition_variable>
#include <mutex>
#include <thread>

struct sqlite3;

namespace syncdesk {

// Copies a SQLite file's write-ahead log back into the database on a thread and a connection
// of its own, so that the connection that writes never waits on a checkpoint. SQLite's own
// runs inside the commit that takes the log past 1,000 pages: 5 to 15 ms with its two fsyncs,
// which on the live engine's event loop holds up every change that arrives meanwhile.
class WalCheckpointer
{
public:
    // Opens its own connection to `path` (a database in WAL mode). Throws SyncError.
    explicit WalCheckpointer(const QString &path);
    // Gives the writer back SQLite's automatic checkpoint, then stops (a checkpoint under way
    // finishes first).
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer &) = delete;
    WalCheckpointer &operator=(const WalCheckpointer &) = delete;

    // From now on the writer's commits only tell this thread how long the log has grown
    // (sqlite3_wal_hook, which takes over from the automatic checkpoint). One writer at most.
    void attach(sqlite3 *writer);
    // Checkpoints run so far by this thread.
    [[nodiscard]] int checkpoints() const;
    // The last checkpoint copied the whole log: the writer's next commit starts it over.
    [[nodiscard]] bool caughtUp() const;

    // The log's length, in pages, past which a checkpoint is asked for: SQLite's own default.
    static constexpr int ThresholdPages = 1000;
    // The log starts over only from a commit that finds it wholly copied. A writer that never
    // pauses long enough for that checkpoints by itself past this length, as SQLite would
    // (after the thread's checkpoint under way, if any: only one runs at a time).
    static constexpr int WriterCheckpointPages = 8 * ThresholdPages;

private:
    static int onCommit(void *self, sqlite3 *db, const char *schema, int pages);
    void run(std::stop_token stop);

    QString m_path;
    sqlite3 *m_db = nullptr;
    sqlite3 *m_writer = nullptr;
    mutable std::mutex m_mutex;
    std::condition_variable_any m_wake;
    std::condition_variable m_idle; // the thread's checkpoint is over
    bool m_due = false;
    bool m_running = false;
    bool m_caughtUp = true;
    int m_checkpoints = 0;
    std::jthread m_thread; // last: stopped and joined before the members above go
};

} // namespace syncdesk

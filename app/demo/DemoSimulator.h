#pragma once

#include "DemoWorld.h"

#include <QObject>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include <QRandomGenerator>

class QTimer;

namespace syncdesk {

// The demo's story, told live against its systems (SQLite files or PostgreSQL databases). Every second the warehouse sells,
// regrades and reprices devices. Every batch period a "cron" copies what the warehouse changed
// to the sales tool and the portal, so pending records and their lag build up between runs
// and clear when it runs; now and then a salesperson edits a listing's price by hand (the
// batch leaves hand edits alone: conflicts and target drift), and now and then the batch
// fails silently for a cycle (late records).
class DemoSimulator : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        int batchSeconds = 60;
        int failEvery = 3; // every 3rd batch fails silently (0: never)
        quint32 seed = 7;
    };
    DemoSimulator(DemoPlace place, Options options, QObject *parent = nullptr);
    ~DemoSimulator() override;

    void start();
    void stop();

signals:
    // One line per thing that happened, for the CLI's output and the console's status bar.
    void happened(const QString &what);

private:
    void tick();
    void batch();
    [[nodiscard]] QSqlDatabase db(const QString &which) const;

    DemoPlace m_place;
    Options m_options;
    QRandomGenerator m_rng;
    QTimer *m_tick;
    QTimer *m_batch;
    QString m_lastBatch; // warehouse updated_at copied up to
    int m_batches = 0;
    int m_ticks = 0;
    QStringList m_unsynced; // warehouse devices changed since the last batch that ran
    QString m_prefix;
};

} // namespace syncdesk

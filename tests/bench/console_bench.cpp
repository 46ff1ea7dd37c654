// Benchmark (not a test): the console's records view under load, offscreen. Loads N records
// (default 1,000,000) into the records model behind a lag-sorted table view, then feeds 1,000
// status changes a second for S seconds (default 60) through the same queued path the engine
// uses, while a 5 ms probe timer measures how late the window's event loop runs. Prints the
// longest and p99 stall, the time of a key filter, and the memory per record.
#include "models/RecordsModel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <malloc.h>

using namespace syncdesk;

namespace {

qint64 rssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return 0;
}

QByteArray key(int i)
{
    return "[\"SKU" + QByteArray::number(i).rightJustified(10, '0') + "\"]";
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    const int n = argc > 1 ? QByteArray(argv[1]).toInt() : 1'000'000;
    const int seconds = argc > 2 ? QByteArray(argv[2]).toInt() : 60;
    const int rate = 1000;

    ui::RecordsModel model;
    QTableView view;
    view.setModel(&model);
    view.setSortingEnabled(true);
    view.sortByColumn(ui::RecordsModel::LagColumn, Qt::DescendingOrder);
    view.resize(1200, 800);
    view.show();
    app.processEvents();
    malloc_trim(0);
    const qint64 before = rssKb();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    qint64 keyBytes = 0;
    QElapsedTimer load;
    load.start();
    {
        FlowRecords records;
        records.flow = QStringLiteral("devices");
        records.rows.reserve(n);
        for (int i = 0; i < n; ++i) {
            records.rows.append({key(i), i % 5 ? RecordStatus::Pending : RecordStatus::Conflict, now - i});
            keyBytes += records.rows.last().keyJson.size();
        }
        model.setFlowRecords(records);
    }
    const qint64 loadMs = load.elapsed();
    app.processEvents();
    malloc_trim(0); // hand back what the load's temporary list freed, so RSS shows what stays
    const qint64 after = rssKb();

    QElapsedTimer filter;
    filter.start();
    model.setKeyFilter(QStringLiteral("SKU0000765432"));
    const qint64 filterMs = filter.elapsed();
    model.setKeyFilter(QString());

    QElapsedTimer clock;
    // The load: 10 changes every 10 ms, to random records (some new, some back in sync).
    QRandomGenerator rng(7);
    QTimer feeder;
    qint64 sent = 0;
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        QList<StatusEvent> events;
        // As many as are due by now: a late timer sends more, so the rate holds.
        const qint64 due = clock.elapsed() * rate / 1000 - sent;
        for (qint64 i = 0; i < due; ++i) {
            const int k = int(rng.bounded(quint32(n + n / 10)));
            events.append({QDateTime::currentMSecsSinceEpoch(), QStringLiteral("devices"), key(k),
                           RecordStatus(rng.bounded(8)), qint64(rng.bounded(60000))});
        }
        sent += events.size();
        // Through a queued call, as the engine's signal arrives from its thread.
        QMetaObject::invokeMethod(&model, [&model, events] { model.addEvents(events); }, Qt::QueuedConnection);
    });
    // The probe: how late does a 5 ms timer fire? That lateness is how long the window stalled.
    std::vector<qint64> stalls;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    qint64 last = 0;
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 t = clock.nsecsElapsed() / 1000;
        if (last)
            stalls.push_back(std::max<qint64>(0, t - last - 5000));
        last = t;
    });
    clock.start();
    feeder.start(10);
    probe.start(5);
    QTimer::singleShot(seconds * 1000, &app, &QApplication::quit);
    QApplication::exec();

    std::sort(stalls.begin(), stalls.end());
    const double perRecord = double(after - before) * 1024.0 / n - double(keyBytes) / n;
    std::printf("records view, %d records: loaded in %lld ms; %lld changes in %d s (%lld/s)\n", n,
                static_cast<long long>(loadMs), static_cast<long long>(sent), seconds,
                static_cast<long long>(sent / std::max(1, seconds)));
    std::printf("event-loop stall: max %.1f ms, p99 %.1f ms (target: never over 50 ms)\n",
                stalls.empty() ? 0.0 : stalls.back() / 1000.0,
                stalls.empty() ? 0.0 : stalls[stalls.size() * 99 / 100] / 1000.0);
    std::printf("key filter over %d rows: %lld ms (target < 200 ms)\n", n, static_cast<long long>(filterMs));
    std::printf("memory: %.0f bytes per record beyond its %.0f key bytes (target <= 100)\n", perRecord,
                double(keyBytes) / n);
    return 0;
}

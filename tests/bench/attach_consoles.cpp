// N consoles attached to a team's desk, headless (AttachedDesk, what the console's window
// binds to), for attach-bench.sh: each on a thread and connections of its own, as on its own
// machine. Prints "attached" once every desk has its lists, then, after SECONDS, the statuses
// each received and the time from the agent telling a status to a desk having it.
//   attach_consoles WORKSPACE N SECONDS
#include "model/WorkspaceLoader.h"
#include "session/AttachedDesk.h"
#include "session/EngineHost.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

using namespace syncdesk;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 4) {
        std::fprintf(stderr, "usage: attach_consoles WORKSPACE N SECONDS\n");
        return 2;
    }
    registerSessionTypes();
    const Workspace ws = WorkspaceLoader::load(QString::fromLocal8Bit(argv[1]));
    const int n = std::atoi(argv[2]);
    const int seconds = std::atoi(argv[3]);

    std::mutex lock;
    std::vector<qint64> latencies; // ms, every status at every desk
    std::vector<qint64> received(size_t(n), 0);
    std::atomic<int> attached{0};
    std::atomic<bool> measuring{false};
    std::vector<std::unique_ptr<QThread>> threads;
    std::vector<AttachedDesk *> desks;
    for (int i = 0; i < n; ++i) {
        auto thread = std::make_unique<QThread>();
        auto *desk = new AttachedDesk(ws);
        desk->moveToThread(thread.get());
        QObject::connect(thread.get(), &QThread::finished, desk, &QObject::deleteLater);
        auto listed = std::make_shared<bool>(false);
        QObject::connect(desk, &AttachedDesk::flowRecords, desk, [&attached, listed] {
            if (!std::exchange(*listed, true))
                ++attached;
        });
        QObject::connect(desk, &AttachedDesk::statusEvents, desk,
                         [&, i](const QList<StatusEvent> &events) {
                             if (!measuring)
                                 return;
                             const qint64 now = QDateTime::currentMSecsSinceEpoch();
                             std::lock_guard guard(lock);
                             for (const StatusEvent &e : events)
                                 latencies.push_back(now - e.tsMs);
                             received[size_t(i)] += events.size();
                         });
        QObject::connect(thread.get(), &QThread::started, desk, &AttachedDesk::start);
        thread->start();
        threads.push_back(std::move(thread));
        desks.push_back(desk);
    }
    QTimer poll;
    poll.setInterval(50);
    QObject::connect(&poll, &QTimer::timeout, [&] {
        if (measuring || attached < n)
            return;
        measuring = true;
        std::printf("attached %d\n", n);
        std::fflush(stdout);
        QTimer::singleShot(seconds * 1000, &app, &QCoreApplication::quit);
    });
    poll.start();
    app.exec();
    measuring = false;
    for (auto &t : threads) {
        t->quit();
        t->wait();
    }
    std::lock_guard guard(lock);
    std::sort(latencies.begin(), latencies.end());
    const auto at = [&](double q) {
        return latencies.empty() ? qint64(-1) : latencies[std::min(latencies.size() - 1, size_t(q * double(latencies.size())))];
    };
    const qint64 least = received.empty() ? 0 : *std::min_element(received.begin(), received.end());
    std::printf("statuses %zu (each desk at least %lld) p50_ms %lld p99_ms %lld max_ms %lld\n", latencies.size(),
                least, at(0.50), at(0.99), latencies.empty() ? qint64(-1) : latencies.back());
    return 0;
}

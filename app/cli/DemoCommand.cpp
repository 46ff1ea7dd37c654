#include "DemoCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "SignalWatcher.h"
#include "demo/DemoCluster.h"
#include "demo/DemoPortalApi.h"
#include "demo/DemoSimulator.h"
#include "demo/DemoWorld.h"
#include "model/SyncError.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QTimer>

namespace syncdesk::cli {

int DemoCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("demo"),
                   QStringLiteral(
                       "Creates the demo in DIR: a warehouse, a sales tool and a client portal "
                       "(SQLite files, or databases with --on postgres;\nthe portal served as an HTTP API on "
                       "127.0.0.1) and demo.json, then plays the story: the warehouse sells, "
                       "regrades and reprices devices every second; a batch\nsync copies its "
                       "changes every --batch-seconds; salespeople edit prices by hand; some "
                       "batches\nfail silently. Watch it with `syncdesk DIR/demo.json` or "
                       "`syncdesk-cli watch --workspace DIR/demo.json`.\nRuns for --seconds "
                       "(0: until interrupted)."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("out"), QStringLiteral("Folder for the demo (created; its demo files are replaced)."),
                 QStringLiteral("dir")});
    p.addOption({QStringLiteral("seconds"), QStringLiteral("How long to play (default 0: until interrupted)."),
                 QStringLiteral("n"), QStringLiteral("0")});
    p.addOption({QStringLiteral("batch-seconds"), QStringLiteral("Seconds between batch syncs (default 60)."),
                 QStringLiteral("n"), QStringLiteral("60")});
    p.addOption({QStringLiteral("on"),
                 QStringLiteral("Where the systems live: sqlite (files in DIR, the default) or postgres (a "
                                "throwaway cluster with logical decoding, stopped and removed at the end; "
                                "its password in DIR/demo.pgpass)."),
                 QStringLiteral("kind"), QStringLiteral("sqlite")});
    p.addOption({QStringLiteral("fail-every"), QStringLiteral("Every Nth batch fails silently (default 3; 0: never)."),
                 QStringLiteral("n"), QStringLiteral("3")});
    if (const int code = cl.parse(arguments, {QStringLiteral("out")}); code >= 0)
        return code;
    bool ok1 = false, ok2 = false, ok3 = false;
    const int seconds = p.value(QStringLiteral("seconds")).toInt(&ok1);
    const int batch = p.value(QStringLiteral("batch-seconds")).toInt(&ok2);
    const int failEvery = p.value(QStringLiteral("fail-every")).toInt(&ok3);
    if (!ok1 || seconds < 0 || !ok2 || batch < 1 || !ok3 || failEvery < 0) {
        printError(QStringLiteral("demo: --seconds, --batch-seconds and --fail-every must be whole numbers "
                                  "(a batch period of at least 1)"));
        return ExitFailure;
    }
    const QString on = p.value(QStringLiteral("on"));
    if (on != QLatin1String("sqlite") && on != QLatin1String("postgres")) {
        printError(QStringLiteral("demo: --on must be sqlite or postgres, not '%1'").arg(on));
        return ExitFailure;
    }
    // SIGINT/SIGTERM become a quit from the start, so even a stop during initdb or the server's
    // start ends with the cluster stopped and removed (the watcher outlives the cluster).
    SignalWatcher signals_;
    QObject::connect(&signals_, &SignalWatcher::stopRequested, [] { QCoreApplication::exit(0); });
    DemoCluster cluster; // stopped and removed after the simulator
    DemoPortalApi portalApi; // stopped before the cluster it reads
    try {
        DemoPlace place{p.value(QStringLiteral("out"))};
        if (on == QLatin1String("postgres")) {
            cluster.start(place.dir);
            place.pgPort = cluster.port();
            printOut(QStringLiteral("demo PostgreSQL: 127.0.0.1:%1; its password is in %2/demo.pgpass, "
                                    "which the workspace names as its passfile\n")
                         .arg(place.pgPort).arg(place.dir).toUtf8());
        }
        place.portalApiPort = portalApi.start(place);
        const QString workspace = DemoWorld::create(place);
        printOut(QStringLiteral("demo portal API: http://127.0.0.1:%1/catalog\n").arg(place.portalApiPort).toUtf8());
        printOut(QStringLiteral("demo workspace: %1\n").arg(workspace).toUtf8());
        DemoSimulator::Options options;
        options.batchSeconds = batch;
        options.failEvery = failEvery;
        DemoSimulator simulator(place, options);
        QObject::connect(&simulator, &DemoSimulator::happened, [](const QString &what) {
            printOut(QStringLiteral("%1 %2\n")
                         .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate), what)
                         .toUtf8());
        });
        simulator.start();
        if (seconds > 0)
            QTimer::singleShot(seconds * 1000, [] { QCoreApplication::exit(0); });
        QCoreApplication::exec();
        simulator.stop();
    } catch (const SyncError &e) {
        printError(e.message());
        return ExitFailure;
    }
    return ExitOk;
}

} // namespace syncdesk::cli

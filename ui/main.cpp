// syncdesk: the operations console.
#include "MainWindow.h"
#include "demo/DemoCluster.h"
#include "demo/DemoPortalApi.h"
#include "demo/DemoSimulator.h"
#include "demo/DemoWorld.h"
#include "dialogs/WorkspaceEditor.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"

#include <QApplication>
#include <QIcon>
#include <QCommandLineParser>
#include <QFileDialog>
#include <QMessageBox>
#include <QPushButton>
#include <QScopeGuard>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <functional>
#include <memory>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("SyncDesk"));
    QApplication::setApplicationName(QStringLiteral("syncdesk"));
    QApplication::setApplicationVersion(QStringLiteral(SYNCDESK_VERSION));
    QApplication::setApplicationDisplayName(QStringLiteral("SyncDesk"));
    // The desktop entry's name, so Wayland compositors match the window to its icon and entry.
    QGuiApplication::setDesktopFileName(QStringLiteral("org.syncdesk.SyncDesk"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/syncdesk/org.syncdesk.SyncDesk.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "SyncDesk operations console: every record's sync status and lag, live; conflicts "
        "resolved with an audited choice; audit reports."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON) to open."));
    parser.addOption({QStringLiteral("screenshot"),
                      QStringLiteral("Write a PNG of the window once every flow is live, then quit "
                                     "(for documentation and support tickets)."),
                      QStringLiteral("file")});
    parser.addOption({QStringLiteral("screenshot-delay"),
                      QStringLiteral("Seconds to wait after every flow is live before the screenshot (default 3)."),
                      QStringLiteral("seconds"), QStringLiteral("3")});
    parser.addOption({QStringLiteral("demo"),
                      QStringLiteral("Open the embedded demo: a warehouse, a sales tool and a client portal "
                                     "(SQLite, in a temporary folder) with their story played live. "
                                     "--demo=postgres plays it on a throwaway PostgreSQL cluster with "
                                     "logical decoding instead.")});
    parser.addOption({QStringLiteral("demo-on"), QStringLiteral("Where the demo's systems live: sqlite or postgres."),
                      QStringLiteral("kind"), QStringLiteral("sqlite")});
    parser.addOption({QStringLiteral("engine"),
                      QStringLiteral("Run the live engine in this console even on a team's store, instead of "
                                     "attaching to the team's agent.")});
    parser.addOption({QStringLiteral("demo-dir"), QStringLiteral("Keep the demo in this folder instead."),
                      QStringLiteral("dir")});
    // --demo=postgres is --demo --demo-on postgres (QCommandLineParser has no optional values).
    QStringList arguments = QApplication::arguments();
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        if (arguments[i].startsWith(QLatin1String("--demo="))) {
            const QString kind = arguments[i].mid(7);
            arguments[i] = QStringLiteral("--demo");
            arguments.insert(++i, QStringLiteral("--demo-on=") + kind);
        }
    }
    parser.process(arguments);
    const QString demoOn = parser.value(QStringLiteral("demo-on"));
    if (demoOn != QLatin1String("sqlite") && demoOn != QLatin1String("postgres")) {
        std::fprintf(stderr, "syncdesk: the demo runs on sqlite or postgres, not '%s'\n", qPrintable(demoOn));
        return 2;
    }

    QSettings settings;
    QString path = parser.positionalArguments().value(0);
    bool demo = parser.isSet(QStringLiteral("demo")) || parser.isSet(QStringLiteral("demo-dir"))
                || parser.isSet(QStringLiteral("demo-on"));
    if (path.isEmpty() && !demo) {
        // First run, or no workspace named: say what can be done rather than open a bare dialog.
        QMessageBox first(QMessageBox::Question, QObject::tr("SyncDesk"),
                          QObject::tr("Open a workspace to watch its systems, start a new one, or see "
                                      "SyncDesk at work on its demo."));
        QPushButton *openDemo = first.addButton(QObject::tr("Open &demo"), QMessageBox::AcceptRole);
        QPushButton *create = first.addButton(QObject::tr("&New workspace…"), QMessageBox::ActionRole);
        QPushButton *openFile = first.addButton(QObject::tr("&Open…"), QMessageBox::ActionRole);
        first.addButton(QMessageBox::Cancel);
        first.exec();
        if (first.clickedButton() == openDemo) {
            demo = true;
        } else if (first.clickedButton() == openFile) {
            path = QFileDialog::getOpenFileName(nullptr, QObject::tr("Open workspace"),
                                                settings.value(QStringLiteral("recent")).toString(),
                                                QObject::tr("Workspaces (*.json)"));
        } else if (first.clickedButton() == create) {
            path = QFileDialog::getSaveFileName(nullptr, QObject::tr("New workspace"), QStringLiteral("workspace.json"),
                                                QObject::tr("Workspaces (*.json)"));
            if (!path.isEmpty()) {
                syncdesk::ui::WorkspaceEditor editor(syncdesk::Workspace{}, path);
                if (editor.exec() != QDialog::Accepted)
                    return 0;
            }
        }
        if (path.isEmpty() && !demo)
            return 0;
    }

    // The demo: its files in a folder of their own, its story played on a thread of its own.
    // Declared first, so the cluster stops after the simulator and the window are gone.
    syncdesk::DemoCluster cluster;
    syncdesk::DemoPortalApi portalApi; // stopped before the cluster it reads
    QTemporaryDir demoTemp;
    QThread demoThread;
    syncdesk::DemoSimulator *simulator = nullptr;
    const auto stopDemo = qScopeGuard([&] {
        if (simulator)
            QMetaObject::invokeMethod(simulator, [simulator] { delete simulator; }, Qt::BlockingQueuedConnection);
        demoThread.quit();
        demoThread.wait();
    });
    if (demo) {
        const QString dir = parser.isSet(QStringLiteral("demo-dir")) ? parser.value(QStringLiteral("demo-dir"))
                                                                      : demoTemp.path();
        syncdesk::DemoPlace place{dir};
        try {
            if (demoOn == QLatin1String("postgres")) {
                QApplication::setOverrideCursor(Qt::WaitCursor); // initdb and a server start
                cluster.start(dir);
                QApplication::restoreOverrideCursor();
                place.pgPort = cluster.port();
            }
            place.portalApiPort = portalApi.start(place);
            path = syncdesk::DemoWorld::create(place);
        } catch (const syncdesk::SyncError &e) {
            QApplication::restoreOverrideCursor();
            QMessageBox::critical(nullptr, QObject::tr("Cannot create the demo"),
                                  demoOn == QLatin1String("postgres")
                                      ? QObject::tr("%1\n\nThe SQLite demo (--demo) needs no server.").arg(e.message())
                                      : QObject::tr("%1\n\nChoose another folder with --demo-dir.").arg(e.message()));
            return 2;
        }
        demoThread.setObjectName(QStringLiteral("syncdesk-demo"));
        demoThread.start();
        simulator = new syncdesk::DemoSimulator(place, {});
        simulator->moveToThread(&demoThread);
        QMetaObject::invokeMethod(simulator, [simulator] {
            try {
                simulator->start();
            } catch (const syncdesk::SyncError &e) {
                emit simulator->happened(e.message()); // shown in the status bar; the console stays up
            }
        }, Qt::QueuedConnection);
    }
    // Opens the console on `file`; a saved edit of the workspace opens it afresh.
    std::unique_ptr<syncdesk::ui::MainWindow> window;
    std::function<bool(const QString &)> open = [&](const QString &file) {
        syncdesk::Workspace workspace;
        try {
            workspace = syncdesk::WorkspaceLoader::load(file);
        } catch (const syncdesk::SyncError &e) {
            QMessageBox::critical(nullptr, QObject::tr("Cannot open workspace"),
                                  QObject::tr("%1\n\nFix the file, or open another one.").arg(e.message()));
            return false;
        }
        settings.setValue(QStringLiteral("recent"), file);
        QStringList recent = settings.value(QStringLiteral("recentWorkspaces")).toStringList();
        const QString absolute = QFileInfo(file).absoluteFilePath();
        recent.removeAll(absolute);
        recent.prepend(absolute);
        settings.setValue(QStringLiteral("recentWorkspaces"), QStringList(recent.mid(0, 8)));
        window.reset(); // the old engine stops before the new one starts
        const syncdesk::EngineHost::Mode mode = parser.isSet(QStringLiteral("engine"))
                                                    ? syncdesk::EngineHost::Mode::Engine
                                                    : syncdesk::EngineHost::defaultMode(workspace);
        window = std::make_unique<syncdesk::ui::MainWindow>(std::move(workspace), file, mode);
        QObject::connect(window.get(), &syncdesk::ui::MainWindow::workspaceSaved, window.get(),
                         [&open](const QString &saved) { QTimer::singleShot(0, [&open, saved] { open(saved); }); });
        QObject::connect(window.get(), &syncdesk::ui::MainWindow::openRequested, window.get(),
                         [&open](const QString &other) { QTimer::singleShot(0, [&open, other] { open(other); }); });
        if (simulator)
            QObject::connect(simulator, &syncdesk::DemoSimulator::happened, window.get(),
                             [w = window.get()](const QString &what) { w->statusBar()->showMessage(what, 8000); });
        window->resize(1400, 860);
        window->show();
        window->start();
        return true;
    };
    if (!open(path))
        return 2;
    if (parser.isSet(QStringLiteral("screenshot"))) {
        const QString out = parser.value(QStringLiteral("screenshot"));
        const int delayMs = qRound(parser.value(QStringLiteral("screenshot-delay")).toDouble() * 1000);
        syncdesk::ui::MainWindow *w = window.get();
        QObject::connect(w, &syncdesk::ui::MainWindow::allFlowsLive, w, [w, out, delayMs] {
            // A moment for the views to take in the records and the chart its points.
            QTimer::singleShot(std::max(delayMs, 500), w, [w, out] {
                w->selectFirstRecord(); // so the detail pane shows one too, once it is read
                QTimer::singleShot(1500, w, [w, out] {
                    if (!w->grab().save(out))
                        qCritical("cannot write %s", qPrintable(out));
                    QApplication::exit(0);
                });
            });
        });
    }
    return QApplication::exec();
}

// syncdesk: the operations console.
#include "MainWindow.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileDialog>
#include <QMessageBox>
#include <QSettings>
#include <QTimer>

#include <functional>
#include <memory>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("SyncDesk"));
    QApplication::setApplicationName(QStringLiteral("syncdesk"));
    QApplication::setApplicationVersion(QStringLiteral(SYNCDESK_VERSION));
    QApplication::setApplicationDisplayName(QStringLiteral("SyncDesk"));

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
    parser.process(app);

    QSettings settings;
    QString path = parser.positionalArguments().value(0);
    if (path.isEmpty())
        path = QFileDialog::getOpenFileName(nullptr, QObject::tr("Open workspace"),
                                            settings.value(QStringLiteral("recent")).toString(),
                                            QObject::tr("Workspaces (*.json)"));
    if (path.isEmpty())
        return 0;
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
        window.reset(); // the old engine stops before the new one starts
        window = std::make_unique<syncdesk::ui::MainWindow>(std::move(workspace), file);
        QObject::connect(window.get(), &syncdesk::ui::MainWindow::workspaceSaved, window.get(),
                         [&open](const QString &saved) { QTimer::singleShot(0, [&open, saved] { open(saved); }); });
        window->resize(1400, 860);
        window->show();
        window->start();
        return true;
    };
    if (!open(path))
        return 2;
    if (parser.isSet(QStringLiteral("screenshot"))) {
        const QString out = parser.value(QStringLiteral("screenshot"));
        syncdesk::ui::MainWindow *w = window.get();
        QObject::connect(w, &syncdesk::ui::MainWindow::allFlowsLive, w, [w, out] {
            w->selectFirstRecord(); // so the detail pane shows one too
            // A moment for the views to take in the first records and the chart its points.
            QTimer::singleShot(2500, w, [w, out] {
                if (!w->grab().save(out))
                    qCritical("cannot write %s", qPrintable(out));
                QApplication::exit(0);
            });
        });
    }
    return QApplication::exec();
}

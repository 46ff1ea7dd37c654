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
    syncdesk::Workspace workspace;
    try {
        workspace = syncdesk::WorkspaceLoader::load(path);
    } catch (const syncdesk::SyncError &e) {
        QMessageBox::critical(nullptr, QObject::tr("Cannot open workspace"),
                              QObject::tr("%1\n\nFix the file, or open another one.").arg(e.message()));
        return 2;
    }
    settings.setValue(QStringLiteral("recent"), path);
    syncdesk::ui::MainWindow window(std::move(workspace), path);
    window.resize(1400, 860);
    window.show();
    if (parser.isSet(QStringLiteral("screenshot"))) {
        const QString out = parser.value(QStringLiteral("screenshot"));
        QObject::connect(&window, &syncdesk::ui::MainWindow::allFlowsLive, &window, [&window, out] {
            window.selectFirstRecord(); // so the detail pane shows one too
            // A moment for the views to take in the first records and the chart its points.
            QTimer::singleShot(2500, &window, [&window, out] {
                if (!window.grab().save(out))
                    qCritical("cannot write %s", qPrintable(out));
                QApplication::exit(0);
            });
        });
    }
    window.start();
    return QApplication::exec();
}

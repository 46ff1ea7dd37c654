#include "ActivityPanel.h"
#include "AuditView.h"
#include "LagChart.h"
#include "ConsoleSupport.h"
#include "MainWindow.h"
#include "HttpServers.h"
#include "TestSqlite.h"
#include "dialogs/BulkResolveDialog.h"
#include "dialogs/ResolveDialog.h"
#include "dialogs/SlaReportDialog.h"
#include "dialogs/WorkspaceEditor.h"
#include "model/WorkspaceLoader.h"
#include "models/FlowsModel.h"
#include "models/RecordsModel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QFileInfo>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTableView>
#include <QTableWidget>
#include <QTabWidget>
#include <QComboBox>
#include <QDateEdit>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QSpinBox>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>
#include <QTest>

#include <atomic>

using namespace syncdesk;
using syncdesk::ui::MainWindow;
using syncdesk::ui::RecordsModel;
using testsupport::rowOf;
using testsupport::startLive;
using syncdesk::ui::ResolveDialog;

// The console end to end on two SQLite systems, offscreen: live records, a conflict resolved by
// clicking through the resolve dialog, the refused path, and the audit view.
class TestConsole : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_src, m_dst;
    int m_case = 0;

    QString workspace()
    {
        ++m_case;
        m_src = m_dir.filePath(QStringLiteral("src%1.db").arg(m_case));
        m_dst = m_dir.filePath(QStringLiteral("dst%1.db").arg(m_case));
        const QString ddl = QStringLiteral("CREATE TABLE devices (sku text PRIMARY KEY, price numeric, grade text, updated_at text)");
        const QString rows = QStringLiteral("INSERT INTO devices VALUES ('A1', 10, 'A', '1'), ('B2', 20, 'B', '1'), ('C3', 30, 'C', '1')");
        QString error;
        if (!testsupport::sqliteExec(m_src, {ddl, rows}, &error) || !testsupport::sqliteExec(m_dst, {ddl, rows}, &error))
            qFatal("%s", qPrintable(error));
        const QByteArray json = QStringLiteral(R"({"version": 1, "systems": [
              {"name": "warehouse", "kind": "sqlite", "path": "%1"},
              {"name": "sales", "kind": "sqlite", "path": "%2"}],
            "flows": [{"name": "devices",
              "source": {"system": "warehouse", "table": "devices", "updated_at": "updated_at"},
              "target": {"system": "sales", "table": "devices", "updated_at": "updated_at"},
              "key": ["sku"], "fields": ["price", "grade"],
              "direction": "two-way", "sla_seconds": 300}]})").arg(m_src, m_dst).toUtf8();
        return testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("ws%1.json").arg(m_case), json);
    }

    static bool exec(const QString &path, const QString &sql)
    {
        QString error;
        return testsupport::sqliteExec(path, {sql}, &error);
    }



    static ResolveDialog *openDialog(MainWindow &w, int row)
    {
        w.recordsView()->setCurrentIndex(w.records()->index(row, 0));
        auto *d = qobject_cast<ResolveDialog *>(w.resolveCurrent());
        if (d && !QTest::qWaitForWindowExposed(d))
            return nullptr;
        return d;
    }

    static bool settle(ResolveDialog *d)
    {
        return QTest::qWaitFor([d] { return d->findChild<QPushButton *>(QStringLiteral("previewButton"))->isEnabled(); }, 20000);
    }

private slots:
    // Given a record both sides changed since they agreed, the console lists it as a conflict;
    // the operator picks the source's price and the target's grade, must give a reason, sees
    // the preview, applies, and the record leaves the list; the audit view shows the entries.
    void shouldResolveAConflictByClickingThroughTheDialog()
    {
        const QString path = workspace();
        MainWindow w(WorkspaceLoader::load(path), path);
        QAbstractItemModelTester tester(w.records(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        // Every model of the window, while live snapshots arrive.
        QAbstractItemModelTester flows(w.findChild<QTableView *>(QStringLiteral("flows"))->model(),
                                       QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester systems(w.findChild<QTableView *>(QStringLiteral("systems"))->model(),
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester audit(w.auditView()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy live(&w, &MainWindow::allFlowsLive);
        w.show();
        w.start();
        // Live first (the first comparison done, nothing out of sync), then both sides edit B2.
        QVERIFY(live.wait(30000));
        QCOMPARE(w.records()->rowCount(), 0);
        QCOMPARE(w.findChild<QTableView *>(QStringLiteral("flows"))->model()->index(0, ui::FlowsModel::StateColumn).data().toString(),
                 QStringLiteral("live"));
        QVERIFY(exec(m_src, QStringLiteral("UPDATE devices SET price = 25, updated_at = '2' WHERE sku = 'B2'")));
        // The target's edit once the source's is seen. (Both within one poll can lose the
        // conflict: the engine takes the target, already changed, for the agreed row. A known
        // race, in the closing note.)
        QVERIFY(QTest::qWaitFor([&] { return rowOf(*w.records(), "[\"B2\"]") >= 0; }, 15000));
        QVERIFY(exec(m_dst, QStringLiteral("UPDATE devices SET grade = 'A', updated_at = '2' WHERE sku = 'B2'")));
        QVERIFY2(QTest::qWaitFor([&] {
                     const int r = rowOf(*w.records(), "[\"B2\"]");
                     return r >= 0 && w.records()->statusAt(r) == RecordStatus::Conflict;
                 }, 15000),
                 qPrintable(QStringLiteral("B2 never showed as a conflict; it shows as %1 among %2 rows")
                                .arg(rowOf(*w.records(), "[\"B2\"]") < 0 ? QStringLiteral("nothing")
                                     : statusName(w.records()->statusAt(rowOf(*w.records(), "[\"B2\"]"))))
                                .arg(w.records()->rowCount())));

        // The rows on screen get their changed fields and each side's change time, read fresh.
        const auto cell = [&](int column) {
            return w.records()->data(w.records()->index(rowOf(*w.records(), "[\"B2\"]"), column)).toString();
        };
        QVERIFY2(QTest::qWaitFor([&] { return cell(RecordsModel::ChangedColumn) == QLatin1String("price (source), grade (target)"); }, 15000),
                 qPrintable(cell(RecordsModel::ChangedColumn)));
        QVERIFY2(QTest::qWaitFor([&] { return !cell(RecordsModel::TargetChangedColumn).isEmpty(); }, 15000),
                 qPrintable(cell(RecordsModel::TargetChangedColumn)));
        QVERIFY(!cell(RecordsModel::SourceChangedColumn).isEmpty());

        // The ledger: B2 in every flow that has it (this workspace has one).
        w.recordsView()->setCurrentIndex(w.records()->index(rowOf(*w.records(), "[\"B2\"]"), 0));
        auto *ledger = w.findChild<QListWidget *>(QStringLiteral("ledger"));
        QVERIFY(QTest::qWaitFor([&] { return ledger->count() == 1 && ledger->item(0)->text().contains(QLatin1String("Conflict")); }, 10000));

        ResolveDialog *d = openDialog(w, rowOf(*w.records(), "[\"B2\"]"));
        QVERIFY(d);
        QVERIFY(settle(d));
        auto *apply = d->findChild<QPushButton *>(QStringLiteral("applyButton"));
        QVERIFY(!apply->isEnabled()); // no preview, no reason
        // Per field: clicked on its label, where an operator clicks.
        auto *perField = d->findChild<QRadioButton *>(QStringLiteral("choice3"));
        QTest::mouseClick(perField, Qt::LeftButton, {}, QPoint(8, perField->height() / 2));
        QVERIFY(perField->isChecked());
        d->findChild<QComboBox *>(QStringLiteral("use_grade"))->setCurrentIndex(1); // grade from the target
        QTest::mouseClick(d->findChild<QPushButton *>(QStringLiteral("previewButton")), Qt::LeftButton);
        QVERIFY(settle(d));
        const QString preview = d->findChild<QPlainTextEdit *>(QStringLiteral("preview"))->toPlainText();
        QVERIFY2(preview.contains(QLatin1String("UPDATE \"main\".\"devices\"")), qPrintable(preview));
        QVERIFY(!apply->isEnabled()); // still no reason
        QTest::keyClicks(d->findChild<QLineEdit *>(QStringLiteral("reason")), QStringLiteral("price from the warehouse, grade from sales"));
        QVERIFY(apply->isEnabled());
        QSignalSpy resolved(d, &ResolveDialog::resolved);
        QTest::mouseClick(apply, Qt::LeftButton);
        QVERIFY(resolved.wait(20000));

        QVERIFY2(QTest::qWaitFor([&] { return rowOf(*w.records(), "[\"B2\"]") < 0; }, 15000),
                 "B2 stayed out of sync after the resolution");
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
        for (const QString &file : {m_src, m_dst}) {
            db.setDatabaseName(file);
            QVERIFY(db.open());
            QSqlQuery q(QStringLiteral("SELECT price, grade FROM devices WHERE sku = 'B2'"), db);
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 25);
            QCOMPARE(q.value(1).toString(), QStringLiteral("A"));
            db.close();
        }
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("check"));

        QSignalSpy loaded(w.auditView(), &ui::AuditView::loaded);
        w.auditView()->refresh();
        QVERIFY(loaded.wait(10000));
        QCOMPARE(w.auditView()->model()->rowCount(), 2);
        QVERIFY2(w.auditView()->chainText().contains(QLatin1String("verified")), qPrintable(w.auditView()->chainText()));
    }

    // Given the record changes after the operator previewed it, Apply is refused, nothing is
    // written, the dialog shows the fresh values and asks for a new decision.
    void shouldShowFreshValuesWhenRefused()
    {
        const QString path = workspace();
        QVERIFY(exec(m_dst, QStringLiteral("UPDATE devices SET price = 99, updated_at = '2' WHERE sku = 'C3'")));
        MainWindow w(WorkspaceLoader::load(path), path);
        w.show();
        w.start();
        QVERIFY(QTest::qWaitFor([&] { return rowOf(*w.records(), "[\"C3\"]") >= 0; }, 15000));
        ResolveDialog *d = openDialog(w, rowOf(*w.records(), "[\"C3\"]"));
        QVERIFY(settle(d));
        QTest::mouseClick(d->findChild<QPushButton *>(QStringLiteral("previewButton")), Qt::LeftButton);
        QVERIFY(settle(d));
        QTest::keyClicks(d->findChild<QLineEdit *>(QStringLiteral("reason")), QStringLiteral("warehouse is right"));
        // Meanwhile a salesperson edits the listing.
        QVERIFY(exec(m_dst, QStringLiteral("UPDATE devices SET price = 120, updated_at = '3' WHERE sku = 'C3'")));
        QTest::mouseClick(d->findChild<QPushButton *>(QStringLiteral("applyButton")), Qt::LeftButton);
        QVERIFY(QTest::qWaitFor([d] { return d->result().has_value(); }, 20000));
        QCOMPARE(d->result()->outcome, ResolveResult::Outcome::Refused);
        QVERIFY(settle(d));
        QVERIFY(d->isVisible());
        QVERIFY(d->findChild<QLabel *>(QStringLiteral("message"))->text().contains(QLatin1String("Refused")));
        const auto *fields = d->findChild<QTableWidget *>(QStringLiteral("fields"));
        QCOMPARE(fields->item(0, 3)->text(), QStringLiteral("120")); // the target's fresh price
        QVERIFY(!d->findChild<QPushButton *>(QStringLiteral("applyButton"))->isEnabled()); // preview again
    }

    // Given several records of one status, the bulk dialog counts them, previews a sample,
    // needs a reason, resolves them all, and the list empties.
    void shouldResolveAllMatchingRecords()
    {
        const QString path = workspace();
        QVERIFY(exec(m_dst, QStringLiteral("UPDATE devices SET price = price + 1, updated_at = '2'")));
        MainWindow w(WorkspaceLoader::load(path), path);
        w.show();
        w.start();
        QVERIFY(QTest::qWaitFor([&] { return w.records()->rowCount() == 3; }, 15000));

        // Two records selected: one decision for just those.
        {
            QItemSelectionModel *selection = w.recordsView()->selectionModel();
            selection->select(w.records()->index(rowOf(*w.records(), "[\"A1\"]"), 0),
                              QItemSelectionModel::Select | QItemSelectionModel::Rows);
            selection->select(w.records()->index(rowOf(*w.records(), "[\"C3\"]"), 0),
                              QItemSelectionModel::Select | QItemSelectionModel::Rows);
            auto *d = qobject_cast<ui::BulkResolveDialog *>(w.resolveCurrent());
            QVERIFY(d);
            QTest::mouseClick(d->findChild<QPushButton *>(QStringLiteral("previewAll")), Qt::LeftButton);
            auto *preview = d->findChild<QPlainTextEdit *>();
            QVERIFY(QTest::qWaitFor([&] { return preview->toPlainText().contains(QLatin1String("2 record(s) match")); }, 20000));
            QTest::keyClicks(d->findChild<QLineEdit *>(QStringLiteral("bulkReason")), QStringLiteral("checked these two"));
            QSignalSpy done(d, &ui::BulkResolveDialog::resolvedAll);
            QTest::mouseClick(d->findChild<QPushButton *>(QStringLiteral("applyAll")), Qt::LeftButton);
            QVERIFY(done.wait(30000));
            QVERIFY2(QTest::qWaitFor([&] { return w.records()->totalRecords() == 1; }, 15000), "the selection stayed out of sync");
            QCOMPARE(w.records()->keyAt(0), QByteArray("[\"B2\"]"));
            d->close();
        }

        auto *status = w.findChild<QComboBox *>(QStringLiteral("statusFilter"));
        status->setCurrentIndex(status->findData(int(RecordStatus::Different)));
        auto *d = qobject_cast<ui::BulkResolveDialog *>(w.resolveAllMatching());
        QVERIFY(d);
        auto *apply = d->findChild<QPushButton *>(QStringLiteral("applyAll"));
        QVERIFY(!apply->isEnabled());
        QTest::mouseClick(d->findChild<QPushButton *>(QStringLiteral("previewAll")), Qt::LeftButton);
        auto *preview = d->findChild<QPlainTextEdit *>();
        QVERIFY(QTest::qWaitFor([&] { return preview->toPlainText().contains(QLatin1String("1 record(s) match")); }, 20000));
        QVERIFY(!apply->isEnabled()); // no reason yet
        QTest::keyClicks(d->findChild<QLineEdit *>(QStringLiteral("bulkReason")), QStringLiteral("the warehouse prices are right"));
        QVERIFY(apply->isEnabled());
        QSignalSpy done(d, &ui::BulkResolveDialog::resolvedAll);
        QTest::mouseClick(apply, Qt::LeftButton);
        QVERIFY(done.wait(30000));
        QVERIFY2(QTest::qWaitFor([&] { return w.records()->totalRecords() == 0; }, 15000), "records stayed out of sync");
        QSignalSpy loaded(w.auditView(), &ui::AuditView::loaded);
        w.auditView()->refresh();
        QVERIFY(loaded.wait(10000));
        QCOMPARE(w.auditView()->model()->rowCount(), 6);

        // The report, written off the window's thread.
        QSignalSpy exported(w.auditView(), &ui::AuditView::exported);
        const QString pdf = m_dir.filePath(QStringLiteral("audit.pdf"));
        w.auditView()->exportTo(QStringLiteral("pdf"), pdf);
        QVERIFY(exported.wait(30000));
        QVERIFY2(exported.first().first().toBool(), qPrintable(exported.first().last().toString()));
        QVERIFY(QFileInfo(pdf).size() > 1000);
        auto *progress = w.auditView()->findChild<QProgressDialog *>(QStringLiteral("exportProgress"));
        QVERIFY(!progress || !progress->isVisible()); // gone once the report is written
    }

    // Given a live console, when each side changes records, then the activity tab counts them
    // per side and kind, for the last 24 hours and since counting began, and draws them in its
    // hourly chart; and the SLA report is asked for in a dialog (which refuses a period that
    // ends before it starts) and written off the window's thread.
    void shouldCountActivityAndWriteTheSlaReport()
    {
        const QString path = workspace();
        MainWindow w(WorkspaceLoader::load(path), path);
        QVERIFY(startLive(w));
        QVERIFY(exec(m_src, QStringLiteral("UPDATE devices SET price = 11, updated_at = '2' WHERE sku = 'A1'")));
        QVERIFY(exec(m_src, QStringLiteral("INSERT INTO devices VALUES ('D4', 40, 'D', '2')")));
        QVERIFY(exec(m_dst, QStringLiteral("DELETE FROM devices WHERE sku = 'C3'")));
        QVERIFY(QTest::qWaitFor([&] { return w.records()->rowCount() == 3; }, 15000));

        ui::ActivityPanel *panel = w.activityPanel();
        w.findChild<QTabWidget *>()->setCurrentWidget(panel);
        auto *table = panel->findChild<QTableWidget *>(QStringLiteral("activityTotals"));
        const auto counts = [&] {
            QStringList day;
            for (int r = 0; r < 6; ++r)
                day << table->item(r, 0)->text();
            return day.join(u' '); // source insert, update, delete, then the target's
        };
        // Counted with the engine's next batches: read again until they are in.
        QSignalSpy loaded(panel, &ui::ActivityPanel::loaded);
        QVERIFY2(QTest::qWaitFor([&] {
                     loaded.clear();
                     panel->refresh();
                     return loaded.wait(5000) && counts() == QLatin1String("1 1 0 0 0 1");
                 }, 20000),
                 qPrintable(counts()));
        QCOMPARE(table->item(1, 1)->text(), QStringLiteral("1")); // since counting began
        QCOMPARE(panel->chartTotal(0), 2); // source changes
        QCOMPARE(panel->chartTotal(1), 1); // target changes
        QCOMPARE(panel->chartTotal(3), 0); // resolutions

        ui::SlaReportDialog dialog(WorkspaceLoader::load(path), QStringLiteral("devices"));
        auto *from = dialog.findChild<QDateEdit *>(QStringLiteral("slaFrom"));
        auto *to = dialog.findChild<QDateEdit *>(QStringLiteral("slaTo"));
        to->setDate(from->date().addDays(-1));
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QVERIFY(!dialog.findChild<QLabel *>(QStringLiteral("message"))->text().isEmpty());
        to->setDate(QDateTime::currentDateTimeUtc().date());
        auto *file = dialog.findChild<QLineEdit *>(QStringLiteral("slaPath"));
        file->setText(m_dir.filePath(QStringLiteral("sla.pdf")));
        dialog.findChild<QComboBox *>(QStringLiteral("slaFormat"))->setCurrentIndex(2); // CSV
        QCOMPARE(dialog.path(), m_dir.filePath(QStringLiteral("sla.csv")));
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.request().flow, QStringLiteral("devices"));

        QSignalSpy exported(panel, &ui::ActivityPanel::exported);
        panel->exportSla(dialog.format(), dialog.request(), dialog.path());
        QVERIFY(exported.wait(30000));
        QVERIFY2(exported.first().first().toBool(), qPrintable(exported.first().last().toString()));
        QFile csv(dialog.path());
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QByteArray report = csv.readAll();
        QVERIFY2(report.contains("devices") && report.contains("period"), report.constData());
    }

    // Given a live console, when a system stops answering (its SQLite file held under an
    // exclusive lock by another program), then the systems panel and the banner say so while
    // the window keeps answering, and both clear by themselves once it answers again.
    void shouldShowAnUnavailableSystemAndItsReturn()
    {
        const QString path = workspace();
        MainWindow w(WorkspaceLoader::load(path), path);
        QVERIFY(startLive(w));
        const QAbstractItemModel *systems = w.findChild<QTableView *>(QStringLiteral("systems"))->model();
        const auto stateOf = [systems](const QString &name) {
            for (int r = 0; r < systems->rowCount(); ++r)
                if (systems->index(r, 0).data().toString() == name)
                    return systems->index(r, 1).data().toString();
            return QString();
        };
        QCOMPARE(stateOf(QStringLiteral("warehouse")), QStringLiteral("Connected"));

        // The event loop's longest pause while the system is away: the UI must not wait on it.
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0, longest = 0;
        QTimer beat;
        beat.setInterval(50);
        connect(&beat, &QTimer::timeout, [&] {
            longest = std::max(longest, clock.elapsed() - last);
            last = clock.elapsed();
        });
        beat.start();
        {
            QSqlDatabase lock = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("lock"));
            lock.setDatabaseName(m_src);
            QVERIFY(lock.open());
            QSqlQuery q(lock);
            QVERIFY(q.exec(QStringLiteral("BEGIN EXCLUSIVE")));
            QVERIFY2(QTest::qWaitFor([&] { return w.bannerText().contains(QLatin1String("warehouse")); }, 30000),
                     qPrintable(w.bannerText()));
            QVERIFY(stateOf(QStringLiteral("warehouse")).startsWith(QLatin1String("Retrying")));
            QVERIFY(q.exec(QStringLiteral("COMMIT")));
            q.finish();
            lock.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("lock"));
        QVERIFY2(QTest::qWaitFor([&] { return !w.bannerText().contains(QLatin1String("warehouse")); }, 30000),
                 qPrintable(w.bannerText()));
        QCOMPARE(stateOf(QStringLiteral("warehouse")), QStringLiteral("Connected"));
        QVERIFY2(longest < 1000, qPrintable(QStringLiteral("the window stopped answering for %1 ms").arg(longest)));
    }

    // Given an API that answers 429 with Retry-After, then the systems panel says the API is
    // throttled and for how long, with why and its limits in the tooltip; once it answers,
    // the panel shows its last response and the flow goes live.
    void shouldShowAnApisThrottlingAndLastResponse()
    {
        std::atomic<bool> throttle{true};
        testsupport::FaultServer api([&throttle](const testsupport::FaultServer::Request &r) {
            if (throttle)
                return testsupport::FaultServer::json(429, "{}", "Retry-After: 3\r\n");
            if (r.target.startsWith("/devices"))
                return testsupport::FaultServer::json(200, R"([{"sku": "A1", "price": 10, "grade": "A"},
                    {"sku": "B2", "price": 20, "grade": "B"}, {"sku": "C3", "price": 30, "grade": "C"}])");
            return testsupport::FaultServer::json(404, "{}");
        });
        workspace(); // the target's SQLite file
        const QByteArray json = QStringLiteral(R"({"version": 1, "systems": [
              {"name": "shop", "kind": "http", "base_url": "%1", "max_requests_per_second": 20},
              {"name": "sales", "kind": "sqlite", "path": "%2"}],
            "flows": [{"name": "devices",
              "source": {"system": "shop", "resource": "devices"},
              "target": {"system": "sales", "table": "devices"},
              "key": ["sku"], "fields": ["price", "grade"]}]})").arg(api.baseUrl(), m_dst).toUtf8();
        const QString path = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("api-ws%1.json").arg(m_case), json);
        MainWindow w(WorkspaceLoader::load(path), path);
        QSignalSpy live(&w, &MainWindow::allFlowsLive);
        w.show();
        w.start();
        const QAbstractItemModel *systems = w.findChild<QTableView *>(QStringLiteral("systems"))->model();
        const auto cell = [systems](const QString &name, int column, int role = Qt::DisplayRole) {
            for (int r = 0; r < systems->rowCount(); ++r)
                if (systems->index(r, 0).data().toString() == name)
                    return systems->index(r, column).data(role).toString();
            return QString();
        };
        QVERIFY2(QTest::qWaitFor([&] { return cell(QStringLiteral("shop"), 1).startsWith(QLatin1String("Throttled, waiting")); }, 15000),
                 qPrintable(cell(QStringLiteral("shop"), 1)));
        const QString tip = cell(QStringLiteral("shop"), 1, Qt::ToolTipRole);
        QVERIFY2(tip.contains(QLatin1String("HTTP 429")) && tip.contains(QLatin1String("Retry-After 3 s"))
                     && tip.contains(QLatin1String("at most 20 requests/s, 4 at once")),
                 qPrintable(tip));
        QVERIFY2(cell(QStringLiteral("shop"), 4).startsWith(QLatin1String("429 GET /devices")), qPrintable(cell(QStringLiteral("shop"), 4)));
        QCOMPARE(cell(QStringLiteral("sales"), 4), QString()); // a database has no HTTP responses

        throttle = false;
        QVERIFY(live.wait(30000));
        QVERIFY2(QTest::qWaitFor([&] { return cell(QStringLiteral("shop"), 4).startsWith(QLatin1String("200 GET /devices")); }, 10000),
                 qPrintable(cell(QStringLiteral("shop"), 4)));
        QVERIFY(!cell(QStringLiteral("shop"), 1).startsWith(QLatin1String("Throttled")));
    }

    // Given a flow with a tracer probe whose pipeline (a trigger) carries it, the flows table
    // tells the probe's trip and the lag chart draws it; when the pipeline stops while nothing
    // else moves, the banner and the flow's state say it is stalled, until it moves again.
    void shouldShowAStalledPipelineFromItsProbe()
    {
        const QString path = workspace();
        const QString ddl = QStringLiteral("(id text PRIMARY KEY, token text NOT NULL, sent_at_ms bigint NOT NULL)");
        QVERIFY(exec(m_src, QStringLiteral("CREATE TABLE probe ") + ddl));
        QVERIFY(exec(m_src, QStringLiteral("CREATE TABLE probe_copy ") + ddl));
        const QString pipe = QStringLiteral("CREATE TRIGGER pipe_%1 AFTER %1 ON probe BEGIN DELETE FROM probe_copy; "
                                            "INSERT INTO probe_copy VALUES (new.id, new.token, new.sent_at_ms); END");
        QVERIFY(exec(m_src, pipe.arg(QStringLiteral("INSERT"))));
        QVERIFY(exec(m_src, pipe.arg(QStringLiteral("UPDATE"))));
        // A second flow, from the warehouse file to itself under another system name: the probe
        // table and its copy both live there, and the trigger is the pipeline.
        Workspace ws = WorkspaceLoader::load(path);
        ws.systems.append(ws.systems.first());
        ws.systems.last().name = QStringLiteral("warehouse_copy");
        ws.flows.append(ws.flows.first());
        FlowSpec &probed = ws.flows.last();
        probed.name = QStringLiteral("probed");
        probed.target.system = QStringLiteral("warehouse_copy");
        probed.direction = Direction::OneWay;
        probed.probe = ProbeSpec{{QString(), QStringLiteral("probe")}, {QString(), QStringLiteral("probe_copy")},
                                 QStringLiteral("desk"), 1, 1};
        MainWindow w(ws, path);
        QVERIFY(startLive(w));
        const QAbstractItemModel *flows = w.findChild<QTableView *>(QStringLiteral("flows"))->model();
        const auto cell = [flows](int column, int role = Qt::DisplayRole) {
            for (int r = 0; r < flows->rowCount(); ++r)
                if (flows->index(r, 0).data().toString() == u"probed")
                    return flows->index(r, column).data(role).toString();
            return QString();
        };
        QVERIFY2(QTest::qWaitFor([&] { return cell(0, Qt::ToolTipRole).contains(QLatin1String("Tracer probe: source to target in")); }, 20000),
                 qPrintable(cell(0, Qt::ToolTipRole)));
        QCOMPARE(cell(ui::FlowsModel::StateColumn), QStringLiteral("live"));
        w.findChild<QTableView *>(QStringLiteral("flows"))->selectRow(1);
        auto *chart = w.findChild<ui::LagChart *>();
        QVERIFY(chart);
        QVERIFY2(QTest::qWaitFor([chart] {
                     for (QAbstractSeries *s : chart->chart()->series())
                         if (s->name().startsWith(QLatin1String("probe lag")) && s->isVisible()
                             && static_cast<QLineSeries *>(s)->count() > 0)
                             return true;
                     return false;
                 }, 10000),
                 "no probe lag line in the chart");

        QVERIFY(exec(m_src, QStringLiteral("DROP TRIGGER pipe_INSERT")));
        QVERIFY(exec(m_src, QStringLiteral("DROP TRIGGER pipe_UPDATE")));
        QVERIFY2(QTest::qWaitFor([&] { return w.bannerText().contains(QLatin1String("Flow probed: pipeline stalled")); }, 15000),
                 qPrintable(w.bannerText()));
        QCOMPARE(cell(ui::FlowsModel::StateColumn), QStringLiteral("pipeline stalled"));
        QVERIFY(exec(m_src, pipe.arg(QStringLiteral("INSERT"))));
        QVERIFY(exec(m_src, pipe.arg(QStringLiteral("UPDATE"))));
        QVERIFY2(QTest::qWaitFor([&] { return !w.bannerText().contains(QLatin1String("pipeline stalled")); }, 15000),
                 qPrintable(w.bannerText()));
        QCOMPARE(cell(ui::FlowsModel::StateColumn), QStringLiteral("live"));
    }

    // Given records out of sync at the first comparison, the flow's tooltip says they are read
    // again after the SLA (no lag measured yet), then which were in flight and which confirmed.
    void shouldTellTheFirstComparisonsDifferencesApart()
    {
        const QString path = workspace();
        QVERIFY(exec(m_dst, QStringLiteral("DELETE FROM devices WHERE sku IN ('B2', 'C3')")));
        Workspace ws = WorkspaceLoader::load(path);
        ws.flows.first().slaSeconds = 2;
        MainWindow w(ws, path);
        QVERIFY(startLive(w));
        const QAbstractItemModel *flows = w.findChild<QTableView *>(QStringLiteral("flows"))->model();
        const auto tip = [flows] { return flows->index(0, 0).data(Qt::ToolTipRole).toString(); };
        QVERIFY2(QTest::qWaitFor([&] { return tip().contains(QLatin1String("First comparison: 2 out of sync; read again in")); }, 10000),
                 qPrintable(tip()));
        QVERIFY(exec(m_dst, QStringLiteral("INSERT INTO devices VALUES ('B2', 20, 'B', '1')")));
        QVERIFY2(QTest::qWaitFor([&] { return tip().contains(QLatin1String("1 were in flight, 1 confirmed")); }, 15000),
                 qPrintable(tip()));
    }

    // Given an empty workspace, the editor adds two SQLite systems (Test connection lists their
    // tables), a flow with its key and fields picked from the source table's columns, and
    // writes a file that loads back as that workspace; a flow with no key is not saved.
    void shouldCreateAnHttpSystemInTheEditor()
    {
        // An API listing customers: the editor reaches it and lists a resource's members.
        testsupport::FaultServer api([](const testsupport::FaultServer::Request &r) {
            if (r.target.startsWith("/customers"))
                return testsupport::FaultServer::json(
                    200, R"([{"id": 1, "name": "Ana", "address": {"city": "Porto"}}, {"id": 2, "name": "Bo"}])");
            return testsupport::FaultServer::json(404, "{}");
        });
        workspace();
        const QString path = m_dir.filePath(QStringLiteral("edited-http.json"));
        ui::WorkspaceEditor editor(Workspace{}, path);
        editor.show();
        QVERIFY(QTest::qWaitForWindowExposed(&editor));
        QSignalSpy probed(&editor, &ui::WorkspaceEditor::probed);
        auto *name = editor.findChild<QLineEdit *>(QStringLiteral("systemName"));
        auto *target = editor.findChild<QLineEdit *>(QStringLiteral("systemTarget"));
        auto *kind = editor.findChild<QComboBox *>(QStringLiteral("systemKind"));
        QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("addSystem")), Qt::LeftButton);
        kind->setCurrentText(QStringLiteral("http"));
        name->setText(QStringLiteral("crm"));
        target->setText(api.baseUrl() + u'/');
        QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("testConnection")), Qt::LeftButton);
        QVERIFY(probed.wait(10000));
        QVERIFY2(editor.findChild<QLabel *>(QStringLiteral("testResult"))->text().contains(QLatin1String("the API answers")),
                 qPrintable(editor.findChild<QLabel *>(QStringLiteral("testResult"))->text()));
        QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("addSystem")), Qt::LeftButton);
        kind->setCurrentText(QStringLiteral("sqlite"));
        name->setText(QStringLiteral("sales"));
        target->setText(m_dst);
        QMetaObject::invokeMethod(target, "editingFinished");
        QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("addFlow")), Qt::LeftButton);
        editor.findChild<QComboBox *>(QStringLiteral("sourceSystem"))->setCurrentText(QStringLiteral("crm"));
        editor.findChild<QComboBox *>(QStringLiteral("targetSystem"))->setCurrentText(QStringLiteral("sales"));
        editor.findChild<QComboBox *>(QStringLiteral("targetTable"))->setCurrentText(QStringLiteral("devices"));
        editor.findChild<QComboBox *>(QStringLiteral("sourceTable"))->setCurrentText(QStringLiteral("customers"));
        auto *keys = editor.findChild<QListWidget *>(QStringLiteral("keys"));
        QVERIFY(QTest::qWaitFor([&] { return keys->count() == 3; }, 10000)); // address, id, name
        keys->findItems(QStringLiteral("id"), Qt::MatchExactly).first()->setCheckState(Qt::Checked);
        editor.findChild<QListWidget *>(QStringLiteral("fields"))
            ->findItems(QStringLiteral("name"), Qt::MatchExactly).first()->setCheckState(Qt::Checked);
        QVERIFY2(editor.save(), qPrintable(editor.findChild<QLabel *>(QStringLiteral("message"))->text()));

        // Saved as an HTTP system and side, never turned into SQLite.
        const Workspace saved = WorkspaceLoader::load(path);
        QCOMPARE(saved.systems[0].kind, SystemKind::Http);
        QCOMPARE(saved.systems[0].url, api.baseUrl());
        QVERIFY(saved.flows[0].source.table.http);
        QCOMPARE(saved.flows[0].source.table.http->resource, QStringLiteral("customers"));
        QCOMPARE(saved.flows[0].key.first().source, QStringLiteral("id"));
        QCOMPARE(saved.flows[0].fields.first().source, QStringLiteral("name"));
    }

    void shouldWriteAValidWorkspaceFromTheEditor()
    {
        workspace(); // the two SQLite files
        const QString path = m_dir.filePath(QStringLiteral("edited.json"));
        ui::WorkspaceEditor editor(Workspace{}, path);
        editor.show();
        QVERIFY(QTest::qWaitForWindowExposed(&editor));
        QSignalSpy probed(&editor, &ui::WorkspaceEditor::probed);
        auto *name = editor.findChild<QLineEdit *>(QStringLiteral("systemName"));
        auto *target = editor.findChild<QLineEdit *>(QStringLiteral("systemTarget"));
        auto *kind = editor.findChild<QComboBox *>(QStringLiteral("systemKind"));
        for (const auto &[system, file] : {std::pair{QStringLiteral("warehouse"), m_src},
                                           std::pair{QStringLiteral("sales"), m_dst}}) {
            QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("addSystem")), Qt::LeftButton);
            kind->setCurrentText(QStringLiteral("sqlite"));
            name->setText(system);
            target->setText(file);
            QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("testConnection")), Qt::LeftButton);
            QVERIFY(probed.wait(10000));
            QVERIFY2(editor.findChild<QLabel *>(QStringLiteral("testResult"))->text().contains(QLatin1String("devices")),
                     qPrintable(editor.findChild<QLabel *>(QStringLiteral("testResult"))->text()));
        }
        QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("addFlow")), Qt::LeftButton);
        auto *flowName = editor.findChild<QLineEdit *>(QStringLiteral("flowName"));
        flowName->setText(QStringLiteral("devices"));
        QMetaObject::invokeMethod(flowName, "editingFinished");
        editor.findChild<QComboBox *>(QStringLiteral("sourceSystem"))->setCurrentText(QStringLiteral("warehouse"));
        editor.findChild<QComboBox *>(QStringLiteral("targetSystem"))->setCurrentText(QStringLiteral("sales"));
        editor.findChild<QComboBox *>(QStringLiteral("targetTable"))->setCurrentText(QStringLiteral("devices"));
        probed.clear();
        editor.findChild<QComboBox *>(QStringLiteral("sourceTable"))->setCurrentText(QStringLiteral("devices"));
        auto *keys = editor.findChild<QListWidget *>(QStringLiteral("keys"));
        QVERIFY(QTest::qWaitFor([&] { return keys->count() == 4; }, 10000)); // sku, price, grade, updated_at
        QVERIFY(!editor.save()); // no key yet: refused, nothing written
        QVERIFY(!QFile::exists(path));
        QVERIFY2(editor.findChild<QLabel *>(QStringLiteral("message"))->text().contains(QLatin1String("key")),
                 qPrintable(editor.findChild<QLabel *>(QStringLiteral("message"))->text()));
        keys->item(0)->setCheckState(Qt::Checked);
        auto *fields = editor.findChild<QListWidget *>(QStringLiteral("fields"));
        fields->item(1)->setCheckState(Qt::Checked);
        fields->item(2)->setCheckState(Qt::Checked);
        QVERIFY2(editor.save(), qPrintable(editor.findChild<QLabel *>(QStringLiteral("message"))->text()));

        const Workspace saved = WorkspaceLoader::load(path);
        QCOMPARE(saved.systems.size(), 2);
        QCOMPARE(saved.systems[1].path, QFileInfo(m_dst).absoluteFilePath());
        QCOMPARE(saved.flows.size(), 1);
        QCOMPARE(saved.flows[0].key.first().source, QStringLiteral("sku"));
        QCOMPARE(saved.flows[0].fields.size(), 2);
        QCOMPARE(saved.flows[0].target.system, QStringLiteral("sales"));

        // Reopened with a field mapped to another target name: an edit keeps the mapping.
        Workspace mapped = saved;
        mapped.flows[0].fields[0].target = QStringLiteral("list_price");
        ui::WorkspaceEditor again(mapped, path);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        again.findChild<QListWidget *>(QStringLiteral("flows"))->setCurrentRow(0);
        auto *keys2 = again.findChild<QListWidget *>(QStringLiteral("keys"));
        QVERIFY(QTest::qWaitFor([&] { return keys2->count() == 4; }, 10000));
        again.findChild<QSpinBox *>()->setValue(600);
        // A tracer probe: its table at the source (the target's of the same name), every 10 s.
        again.findChild<QLineEdit *>(QStringLiteral("probeTable"))->setText(QStringLiteral("syncdesk_probe"));
        again.findChild<QSpinBox *>(QStringLiteral("probeInterval"))->setValue(10);
        QVERIFY2(again.save(), qPrintable(again.findChild<QLabel *>(QStringLiteral("message"))->text()));
        const Workspace resaved = WorkspaceLoader::load(path);
        QCOMPARE(resaved.flows[0].slaSeconds, 600);
        QCOMPARE(resaved.flows[0].fields[0].target, QStringLiteral("list_price"));
        QVERIFY(resaved.flows[0].probe);
        QCOMPARE(resaved.flows[0].probe->targetTable.name, QStringLiteral("syncdesk_probe"));
        QCOMPARE(resaved.flows[0].probe->intervalSeconds, 10);
        QCOMPARE(resaved.flows[0].probe->stallAfterSeconds, 10);
        QCOMPARE(resaved.flows[0].probe->id, resaved.flows[0].name);
    }
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"

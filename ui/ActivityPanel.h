#pragma once

#include "session/RecordService.h"

#include <QFutureWatcher>
#include <QWidget>

class QBarSet;
class QCategoryAxis;
class QChartView;
class QComboBox;
class QLabel;
class QTableWidget;
class QTimer;
class QValueAxis;

namespace syncdesk::ui {

// A flow's sync accounting as the state store keeps it: an hourly chart of the last 24 hours
// (changes by side, conflicts detected, resolutions) and a table of the counters, for the last
// 24 hours and since counting began; and the consistency-window report (`report sla`).
class ActivityPanel : public QWidget
{
    Q_OBJECT

public:
    ActivityPanel(const RecordService &service, QWidget *parent = nullptr);

    void showFlow(const QString &flow);
    void refresh();
    // Writes the SLA report without asking (the "SLA report…" button asks, then calls this).
    void exportSla(const QString &format, const SlaRequest &request, const QString &path);
    void exportSlaInteractively();

    [[nodiscard]] QString flow() const;
    // The chart's bar of `set` (0 source changes, 1 target changes, 2 conflicts, 3 resolutions)
    // summed over the hours shown: what the chart draws, for tests.
    [[nodiscard]] qint64 chartTotal(int set) const;

    static constexpr int Hours = 24;

signals:
    void loaded();
    void exported(bool ok, const QString &message);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void display(const RecordService::Activity &activity);

    const RecordService &m_service;
    QComboBox *m_flow;
    QLabel *m_message;
    QChartView *m_chartView;
    QList<QBarSet *> m_sets;
    QCategoryAxis *m_hours;
    QValueAxis *m_counts;
    QTableWidget *m_table;
    QTimer *m_refresh;
    qint64 m_fromMs = 0;
    QString m_requested; // the flow being read
    QFutureWatcher<Fallible<RecordService::Activity>> m_watcher;
    QFutureWatcher<Fallible<bool>> m_exportWatcher;
    QString m_exportPath;
};

} // namespace syncdesk::ui

#pragma once

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

class QTableView;
class QTimer;

namespace syncdesk {
class RecordService;
}

namespace syncdesk::ui {

class RecordsModel;

// Fills the records view's changed-fields and change-time columns for the rows on screen:
// after a scroll, a filter or a live batch settles, it reads the rows that lack them (one read
// per flow and side, on the thread pool) and hands the result to the model. Rows on screen are
// read again every `refreshMs`, so an edit that keeps a record's status still shows.
class RecordSummaryLoader : public QObject
{
    Q_OBJECT

public:
    RecordSummaryLoader(QTableView *view, RecordsModel *model, const RecordService &service,
                        int refreshMs = 10000);

    // Reads what the rows on screen lack, now (after the settle delay).
    void schedule();

signals:
    // A flow's rows were read (or the read failed: `error` names why).
    void loaded(const QString &flow, const QString &error);

private:
    void load();

    QTableView *m_view;
    RecordsModel *m_model;
    const RecordService &m_service;
    QTimer *m_settle;
    QTimer *m_refresh;
    QSet<QString> m_inFlight; // one read per flow at a time
    QHash<QString, qint64> m_failedAt; // a flow whose read failed waits a refresh period
};

} // namespace syncdesk::ui

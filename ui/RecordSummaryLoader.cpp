#include "RecordSummaryLoader.h"

#include "models/RecordsModel.h"
#include "session/RecordService.h"

#include <QDateTime>
#include <QFutureWatcher>
#include <QScrollBar>
#include <QTableView>
#include <QTimer>

namespace syncdesk::ui {

namespace {
// A screenful at most per read; a taller window reads in several rounds.
constexpr int MaxKeysPerRead = 200;
}

RecordSummaryLoader::RecordSummaryLoader(QTableView *view, RecordsModel *model, const RecordService &service,
                                         int refreshMs)
    : QObject(view), m_view(view), m_model(model), m_service(service), m_settle(new QTimer(this)),
      m_refresh(new QTimer(this))
{
    // Waits for scrolling and live batches to settle: one read for where the view stops.
    m_settle->setSingleShot(true);
    m_settle->setInterval(150);
    connect(m_settle, &QTimer::timeout, this, &RecordSummaryLoader::load);
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, &RecordSummaryLoader::schedule);
    connect(m_model, &QAbstractItemModel::layoutChanged, this, &RecordSummaryLoader::schedule);
    connect(m_model, &QAbstractItemModel::modelReset, this, &RecordSummaryLoader::schedule);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &RecordSummaryLoader::schedule);
    m_refresh->setInterval(refreshMs);
    connect(m_refresh, &QTimer::timeout, this, [this] {
        m_model->expireSummaries();
        schedule();
    });
    m_refresh->start();
}

void RecordSummaryLoader::schedule()
{
    if (!m_settle->isActive())
        m_settle->start();
}

void RecordSummaryLoader::load()
{
    const int rows = m_model->rowCount();
    if (rows == 0 || !m_view->isVisible())
        return;
    const int first = std::max(0, m_view->rowAt(0));
    int last = m_view->rowAt(m_view->viewport()->height() - 1);
    if (last < 0)
        last = rows - 1;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const auto waiting = [&](const QString &flow) {
        return m_inFlight.contains(flow) || now - m_failedAt.value(flow, now - m_refresh->interval()) < m_refresh->interval();
    };
    QHash<QString, QList<QByteArray>> byFlow;
    for (const RecordsModel::RecordRef &r : m_model->rowsWithoutSummary(first, last))
        if (!waiting(r.flow) && byFlow[r.flow].size() < MaxKeysPerRead)
            byFlow[r.flow].append(r.keyJson);

    for (auto it = byFlow.cbegin(); it != byFlow.cend(); ++it) {
        const QString flow = it.key();
        m_inFlight.insert(flow);
        auto *watcher = new QFutureWatcher<Fallible<QList<RecordDetail>>>(this);
        connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, flow] {
            watcher->deleteLater();
            m_inFlight.remove(flow);
            const Fallible<QList<RecordDetail>> result = watcher->result();
            if (result.value) {
                m_failedAt.remove(flow);
                m_model->setSummaries(flow, *result.value);
                schedule(); // the view may have moved on meanwhile
            } else {
                // A system down: the rows keep "…", the systems panel says why, and the read
                // is tried again a refresh period later rather than at every live batch.
                m_failedAt.insert(flow, QDateTime::currentMSecsSinceEpoch());
            }
            emit loaded(flow, result.error);
        });
        watcher->setFuture(m_service.details(flow, it.value()));
    }
}

} // namespace syncdesk::ui

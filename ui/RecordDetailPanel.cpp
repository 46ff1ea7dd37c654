#include "RecordDetailPanel.h"

#include "StatusStyle.h"
#include "engine/LiveFlow.h"

#include <QDateTime>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace syncdesk::ui {

namespace {

QString timeText(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QStringLiteral("—");
}

} // namespace

RecordDetailPanel::RecordDetailPanel(const RecordService &service, QWidget *parent)
    : QWidget(parent), m_service(service), m_title(new QLabel(tr("Select a record"), this)),
      m_claim(new QLabel(this)),
      m_fields(new QTableWidget(0, 5, this)), m_history(new QListWidget(this)), m_ledger(new QListWidget(this))
{
    m_title->setWordWrap(true);
    m_title->setTextFormat(Qt::RichText);
    m_fields->setHorizontalHeaderLabels({tr("Field"), tr("Source"), tr("Baseline"), tr("Target"), tr("Change")});
    m_fields->horizontalHeader()->setStretchLastSection(true);
    m_fields->verticalHeader()->hide();
    m_fields->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    m_claim->setObjectName(QStringLiteral("claim"));
    m_claim->hide();
    layout->addWidget(m_claim);
    layout->addWidget(m_fields, 2);
    layout->addWidget(new QLabel(tr("This key in every flow (ledger)"), this));
    layout->addWidget(m_ledger, 1);
    m_ledger->setObjectName(QStringLiteral("ledger"));
    layout->addWidget(new QLabel(tr("Audit history of this record"), this));
    layout->addWidget(m_history, 1);

    connect(&m_readWatcher, &QFutureWatcherBase::finished, this, [this] {
        const auto r = m_readWatcher.result();
        if (!r.value) {
            m_title->setText(tr("Cannot read %1: %2").arg(QString::fromUtf8(m_key).toHtmlEscaped(), r.error.toHtmlEscaped()));
            m_fields->setRowCount(0);
            emit loaded();
            return;
        }
        const RecordDetail &d = r.value->seen;
        m_title->setText(tr("<b>%1</b> in <b>%2</b>: %3<br>source changed %4 · target changed %5 · lag %6")
                             .arg(QString::fromUtf8(d.keyJson).toHtmlEscaped(), d.flow.toHtmlEscaped(),
                                  StatusStyle::text(d.status), timeText(d.state.sourceChangedAtMs),
                                  timeText(d.state.targetChangedAtMs), durationText(d.lagMs)));
        m_fields->setRowCount(int(d.fields.size()));
        for (int row = 0; row < int(d.fields.size()); ++row) {
            const FieldDetail &f = d.fields[row];
            const QStringList cells{f.name, d.state.source ? fieldText(f.source) : tr("(no row)"),
                                    f.baseline ? fieldText(*f.baseline) : tr("(unknown)"),
                                    d.state.target ? fieldText(f.target) : tr("(no row)"), fieldChangeText(f.change)};
            for (int c = 0; c < cells.size(); ++c) {
                auto *item = new QTableWidgetItem(cells[c]);
                if (c == 4 && f.change != FieldChange::Unchanged)
                    item->setForeground(StatusStyle::colour(f.change == FieldChange::ChangedOnBoth ? RecordStatus::Conflict
                                                                                               : RecordStatus::Pending));
                m_fields->setItem(row, c, item);
            }
        }
        emit loaded();
    });
    connect(&m_historyWatcher, &QFutureWatcherBase::finished, this, [this] {
        m_history->clear();
        const auto r = m_historyWatcher.result();
        if (!r.value)
            return;
        for (const AuditEntry &a : *r.value) {
            const QJsonObject &e = a.entry;
            const QString type = e.value(u"type").toString();
            const QString at = e.value(u"at").toString();
            if (type == u"intent")
                m_history->addItem(tr("#%1 %2 %3 by %4: %5").arg(a.seq).arg(at, e.value(u"choice").toString(),
                                                                         e.value(u"operator").toString(),
                                                                         e.value(u"reason").toString()));
            else if (type == u"outcome")
                m_history->addItem(tr("#%1 %2 outcome %3 %4").arg(a.seq).arg(at, e.value(u"outcome").toString(),
                                                                          e.value(u"error").toString()));
            else if (type == u"claim")
                m_history->addItem(tr("#%1 %2 claim of %3 %4 by %5: %6")
                                       .arg(a.seq)
                                       .arg(at, e.value(u"claimed_by").toString(), e.value(u"event").toString(),
                                            e.value(u"operator").toString(), e.value(u"reason").toString()));
            else
                m_history->addItem(tr("#%1 %2 %3").arg(a.seq).arg(at, type));
        }
    });
}

void RecordDetailPanel::showRecord(const QString &flow, const QByteArray &keyJson)
{
    m_flow = flow;
    m_key = keyJson;
    m_title->setText(tr("Reading %1 from both systems…").arg(QString::fromUtf8(keyJson).toHtmlEscaped()));
    ResolveRequest r;
    r.flow = flow;
    r.key = LiveFlow::keyText(keyJson);
    m_readWatcher.setFuture(m_service.plan(r));
    m_historyWatcher.setFuture(m_service.recordHistory(flow, keyJson));
    readLedger();
}

void RecordDetailPanel::readLedger()
{
    // One row per flow whose key has as many columns (warehouse → sales, warehouse → portal,
    // …), each read fresh from its two systems.
    for (auto *w : std::as_const(m_ledgerWatchers)) {
        disconnect(w, nullptr, this, nullptr); // a late answer about the previous key is dropped
        w->deleteLater();
    }
    m_ledgerWatchers.clear();
    m_ledger->clear();
    const KeyText key = LiveFlow::keyText(m_key);
    for (const FlowSpec &f : m_service.workspace().flows) {
        if (f.key.size() != key.size())
            continue;
        auto *item = new QListWidgetItem(tr("%1: reading…").arg(f.name), m_ledger);
        auto *watcher = new QFutureWatcher<Fallible<ResolutionPlan>>(this);
        m_ledgerWatchers << watcher;
        connect(watcher, &QFutureWatcherBase::finished, this, [watcher, item, name = f.name] {
            const auto r = watcher->result();
            if (!r.value) {
                item->setText(QObject::tr("%1: %2").arg(name, r.error));
                return;
            }
            const RecordDetail &d = r.value->seen;
            const QString where = !d.state.source && !d.state.target ? QObject::tr("not in either system")
                                  : !d.state.target                  ? QObject::tr("only in the source")
                                  : !d.state.source                  ? QObject::tr("only in the target")
                                                                     : QString();
            item->setIcon(StatusStyle::icon(d.status));
            item->setText(QObject::tr("%1: %2%3").arg(name, StatusStyle::text(d.status),
                                                      where.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(where)));
        });
        ResolveRequest request;
        request.flow = f.name;
        request.key = key;
        watcher->setFuture(m_service.plan(request));
    }
}

void RecordDetailPanel::setClaim(const std::optional<Claim> &claim)
{
    m_claim->setVisible(claim.has_value());
    if (claim) {
        QString text = claim->text();
        text[0] = text[0].toUpper();
        m_claim->setText(tr("%1, on %2").arg(text, claim->host));
    }
}

} // namespace syncdesk::ui

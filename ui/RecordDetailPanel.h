#pragma once

#include "session/RecordService.h"

#include <QFutureWatcher>
#include <QWidget>

class QLabel;
class QListWidget;
class QTableWidget;

namespace syncdesk::ui {

// One record three ways: source, baseline and target values side by side, each field marked
// unchanged / changed at source / changed at target / conflict, and the record's audit history.
// Read fresh from the systems whenever a record is shown.
class RecordDetailPanel : public QWidget
{
    Q_OBJECT

public:
    explicit RecordDetailPanel(const RecordService &service, QWidget *parent = nullptr);

    void showRecord(const QString &flow, const QByteArray &keyJson);
    // Who holds the shown record, if anyone ("Claimed by Ana since 10:42").
    void setClaim(const std::optional<Claim> &claim);
    [[nodiscard]] QString flow() const { return m_flow; }
    [[nodiscard]] QByteArray keyJson() const { return m_key; }

signals:
    void loaded();

private:
    void readLedger();

    const RecordService &m_service;
    QString m_flow;
    QByteArray m_key;
    QLabel *m_title;
    QLabel *m_claim;
    QTableWidget *m_fields;
    QListWidget *m_history;
    QListWidget *m_ledger; // the same key in every flow that compares it
    QList<QFutureWatcher<Fallible<ResolutionPlan>> *> m_ledgerWatchers;
    QFutureWatcher<Fallible<ResolutionPlan>> m_readWatcher;
    QFutureWatcher<Fallible<QList<AuditEntry>>> m_historyWatcher;
};

} // namespace syncdesk::ui

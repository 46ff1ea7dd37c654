#pragma once

#include "Backoff.h"
#include "ChangeEvent.h"
#include "model/Workspace.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>

#include <optional>

class QTimer;

namespace syncdesk {

// The live change stream of one system. Feeds run on the engine's thread, driven by its event
// loop; a feed whose system goes away reports it, retries with backoff and resumes.
class ChangeFeed : public QObject
{
    Q_OBJECT

public:
    ChangeFeed(SystemSpec system, QObject *parent);

    virtual void start() = 0;
    // Everything up to `position` is persisted: the system may forget it.
    virtual void confirm(const QString &position) { Q_UNUSED(position) }
    // "logical (wal2json)", "polling", …: reported so operators know what they get.
    [[nodiscard]] virtual QString mode() const = 0;
    // The name this feed's position is kept under in the state store ("system/<kind>"); empty
    // when it keeps none. Positions come with changes() and are saved with the changes.
    [[nodiscard]] virtual QString positionKind() const { return {}; }
    // Where to go on from: the position the state store kept (called before start()).
    virtual void resume(const QString &position) { Q_UNUSED(position) }
    // True when one changes() carries everything a wake-up of the feed read: the engine may then
    // apply it at once, since it is already the batch a later pass of the event loop would form.
    [[nodiscard]] virtual bool deliversWholeWakeups() const { return false; }

    [[nodiscard]] const SystemSpec &system() const { return m_system; }
    [[nodiscard]] bool isConnected() const { return m_connected; }
    [[nodiscard]] QString lastError() const { return m_lastError; }
    [[nodiscard]] qint64 lastEventMs() const { return m_lastEventMs; }
    [[nodiscard]] qint64 nextRetryMs() const { return m_nextRetryMs; }

signals:
    void changes(const QList<syncdesk::ChangeEvent> &events, const QString &position);
    // Something changed that the feed cannot name row by row: compare the tables again.
    void rescanNeeded();
    void connectionChanged(bool connected, const QString &error);

protected:
    void setConnected();
    // Reports the failure and calls `retry` after the next backoff delay.
    void setFailed(const QString &error);
    void noteEvent(qint64 ms) { m_lastEventMs = ms; }
    // A table the system answers for but cannot read (renamed, a polled column gone) is not an
    // outage of the system: the feed goes on with its other tables and keeps its mark, and the
    // flows that use the table say why (their own schema check, prompted by a rescan when the
    // table goes and when it comes back). Returns whether this call changed anything.
    bool setTableReadable(const QString &table, bool readable);
    virtual void retry() = 0;

private:
    SystemSpec m_system;
    Backoff m_backoff;
    QTimer *m_retryTimer;
    bool m_connected = false;
    QString m_lastError;
    qint64 m_lastEventMs = 0;
    qint64 m_nextRetryMs = 0;
    QSet<QString> m_unreadable; // tables read at the last poll with a schema error
};

} // namespace syncdesk

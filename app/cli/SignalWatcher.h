#pragma once

#include <QObject>

class QSocketNotifier;

namespace syncdesk::cli {

// Turns SIGINT and SIGTERM into a Qt signal on the event loop (self-pipe), so a stop request
// is handled between batches, never inside one.
class SignalWatcher : public QObject
{
    Q_OBJECT

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

signals:
    void stopRequested(int signalNumber);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace syncdesk::cli

#pragma once

#include <QHash>
#include <QString>

class QSettings;

namespace syncdesk {

// How busy each flow usually is at this hour of the week, to tell when one went silent: a
// batch job that stopped fails quietly, and the only sign is the changes that do not come.
// Counts go into hourly buckets; a finished hour updates that hour-of-week's usual count
// (an exponential average, kept in settings across runs).
class FlowActivity
{
public:
    // `settings` keeps the usual counts (nullptr: this run only); `scope` separates workspaces.
    FlowActivity(QSettings *settings, QString scope);

    void record(const QString &flow, qint64 changes, qint64 nowMs);
    // The flow is silent when a quarter or more of the hour has passed, at least 20 changes
    // were usual by now, and fewer than a fifth of them came. `seen`/`usual`: for the message.
    [[nodiscard]] bool silent(const QString &flow, qint64 nowMs, qint64 *seen = nullptr,
                              qint64 *usual = nullptr) const;
    [[nodiscard]] double usualPerHour(const QString &flow, int hourOfWeek) const;

    static constexpr double Weight = 0.3; // of a new hour in the average

private:
    struct Current
    {
        qint64 hourStartMs = 0;
        qint64 count = 0;
    };
    [[nodiscard]] static int hourOfWeek(qint64 ms);
    [[nodiscard]] QString key(const QString &flow, int hourOfWeek) const;
    void roll(const QString &flow, qint64 nowMs);

    QSettings *m_settings;
    QString m_scope;
    QHash<QString, Current> m_current;
    QHash<QString, double> m_usual; // key() → average changes per hour
};

} // namespace syncdesk

#include "StatusTable.h"

#include <QDateTime>
#include <QLocale>

namespace syncdesk::cli {

namespace {

enum class Tone { Plain, Good, Warn, Bad, Dim, Bold };

QString paint(const QString &text, Tone tone, bool colour)
{
    if (!colour || tone == Tone::Plain || text.isEmpty())
        return text;
    const char *code = tone == Tone::Good ? "32" : tone == Tone::Warn ? "33"
                       : tone == Tone::Bad ? "1;31" : tone == Tone::Dim ? "2" : "1";
    return QStringLiteral("\x1b[%1m%2\x1b[0m").arg(QLatin1String(code), text);
}

QString number(qint64 n)
{
    static const QLocale english(QLocale::English, QLocale::UnitedStates);
    return english.toString(n); // 1,234,567: thousands apart at a glance
}

// One cell: its text (what widths are measured on) and how it is painted.
struct Cell
{
    QString text;
    Tone tone = Tone::Plain;
    bool right = false; // numbers align right
};

// Lays out rows of cells in columns as wide as their widest cell, two spaces apart; the last
// column may be shortened to fit `width` (it holds free text, never a name).
QStringList layout(const QList<QList<Cell>> &rows, int width, bool colour)
{
    QList<int> widths;
    for (const auto &row : rows) {
        for (qsizetype c = 0; c < row.size(); ++c) {
            if (c >= widths.size())
                widths.append(0);
            widths[c] = std::max(widths[c], int(row[c].text.size()));
        }
    }
    QStringList out;
    for (const auto &row : rows) {
        QString line;
        int used = 0;
        for (qsizetype c = 0; c < row.size(); ++c) {
            const bool last = c == row.size() - 1;
            QString text = row[c].text;
            if (last && !row[c].right && used + text.size() > width && width - used > 1)
                text = text.left(width - used - 1) + u'…';
            const QString padded = last && !row[c].right
                                       ? text
                                       : row[c].right ? text.rightJustified(widths[c])
                                                      : text.leftJustified(widths[c]);
            line += paint(padded, row[c].tone, colour);
            used += int(padded.size());
            if (!last) {
                line += QStringLiteral("  ");
                used += 2;
            }
        }
        out << line;
    }
    return out;
}

Cell count(qint64 n, Tone whenAny)
{
    return {number(n), n > 0 ? whenAny : Tone::Dim, true};
}

} // namespace

QString StatusTable::duration(qint64 ms)
{
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    const qint64 s = ms / 1000;
    if (s < 60)
        return QStringLiteral("%1 s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 m %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    if (s < 86400)
        return QStringLiteral("%1 h %2 m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 d %2 h").arg(s / 86400).arg((s % 86400) / 3600, 2, 10, QLatin1Char('0'));
}

QStringList StatusTable::render(const DeskStatus &desk, const Options &o)
{
    QStringList out;
    const QString when = QDateTime::fromMSecsSinceEpoch(desk.takenAtMs, Qt::UTC).toString(
        QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"));
    QString head = QStringLiteral("SyncDesk  %1  %2").arg(o.title, when);
    if (o.nowMs - desk.takenAtMs >= 5000)
        head += QStringLiteral("  (%1 old)").arg(duration(o.nowMs - desk.takenAtMs));
    if (!o.keys.isEmpty() && head.size() + 2 + o.keys.size() <= o.width)
        head += QString(o.width - head.size() - o.keys.size(), u' ') + o.keys;
    out << paint(head, Tone::Bold, o.colour) << QString();

    QList<QList<Cell>> flows;
    flows.append({{QStringLiteral("FLOW"), Tone::Bold}, {QStringLiteral("STATE"), Tone::Bold},
                  {QStringLiteral("IN SYNC"), Tone::Bold, true}, {QStringLiteral("PENDING"), Tone::Bold, true},
                  {QStringLiteral("LATE"), Tone::Bold, true}, {QStringLiteral("CONFLICT"), Tone::Bold, true},
                  {QStringLiteral("DRIFT"), Tone::Bold, true}, {QStringLiteral("MISSING/DIFF"), Tone::Bold, true},
                  {QStringLiteral("OLDEST PENDING"), Tone::Bold, true},
                  {QStringLiteral("P95 LAG / SLA"), Tone::Bold, true}});
    for (const DeskStatus::Flow &f : desk.flows) {
        if (!o.flowFilter.isEmpty() && f.name != o.flowFilter)
            continue;
        const qint64 missing = f.count(RecordStatus::MissingInTarget) + f.count(RecordStatus::MissingInSource)
                               + f.count(RecordStatus::Different);
        const bool breach = f.late();
        flows.append({{f.name, breach ? Tone::Bad : Tone::Plain},
                      {f.error.isEmpty() ? f.state : QStringLiteral("retrying"),
                       !f.error.isEmpty() ? Tone::Bad : f.state == u"live" ? Tone::Good : Tone::Warn},
                      {number(f.count(RecordStatus::InSync)), Tone::Plain, true},
                      count(f.count(RecordStatus::Pending), Tone::Warn),
                      count(f.count(RecordStatus::Late), Tone::Bad),
                      count(f.count(RecordStatus::Conflict), Tone::Bad),
                      count(f.count(RecordStatus::TargetDrift), Tone::Warn),
                      count(missing, Tone::Warn),
                      {f.oldestPendingMs > 0 ? duration(f.oldestPendingMs) : QStringLiteral("-"),
                       f.oldestPendingMs > f.slaMs ? Tone::Bad : Tone::Plain, true},
                      {QStringLiteral("%1 / %2").arg(duration(f.lagP95Ms), duration(f.slaMs)),
                       f.lagP95Ms > f.slaMs ? Tone::Bad : Tone::Plain, true}});
    }
    out << layout(flows, o.width, o.colour) << QString();

    QList<QList<Cell>> systems;
    systems.append({{QStringLiteral("SYSTEM"), Tone::Bold}, {QStringLiteral("STATE"), Tone::Bold},
                    {QStringLiteral("LAST CHANGE"), Tone::Bold}, {QStringLiteral("FEED"), Tone::Bold}});
    for (const DeskStatus::System &s : desk.systems) {
        QString state = s.connected ? QStringLiteral("connected") : QStringLiteral("retrying");
        if (!s.connected && s.nextRetryMs > o.nowMs)
            state += QStringLiteral(" (in %1)").arg(duration(s.nextRetryMs - o.nowMs));
        systems.append({{s.name}, {state, s.connected ? Tone::Good : Tone::Bad},
                        {s.lastChangeMs > 0 ? duration(std::max<qint64>(0, desk.takenAtMs - s.lastChangeMs))
                                                  + QStringLiteral(" ago")
                                            : QStringLiteral("-")},
                        {s.feed}});
    }
    out << layout(systems, o.width, o.colour) << QString();

    const QStringList alerts = desk.alerts();
    if (alerts.isEmpty()) {
        out << paint(QStringLiteral("No alerts."), Tone::Good, o.colour);
    } else {
        out << paint(QStringLiteral("ALERTS"), Tone::Bold, o.colour);
        for (const QString &a : alerts) {
            QString line = QStringLiteral("  ! ") + a;
            if (line.size() > o.width && o.width > 5)
                line = line.left(o.width - 1) + u'…';
            out << paint(line, Tone::Bad, o.colour);
        }
    }
    return out;
}

} // namespace syncdesk::cli

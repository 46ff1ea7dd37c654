#pragma once

#include "session/SessionTypes.h"

#include <QChartView>
#include <QHash>

#include <optional>

class QLineSeries;

namespace syncdesk::ui {

// p95 arrival lag and the oldest pending age over time for one flow, with its SLA as a line:
// the flow's consistency window at a glance; and, for a flow with a tracer probe, the probe's
// lag, which keeps moving while no business data does.
class LagChart : public QChartView
{
    Q_OBJECT

public:
    explicit LagChart(QWidget *parent = nullptr);

    void addSnapshot(const QList<FlowSnapshot> &flows, qint64 nowMs);
    void showFlow(const QString &flow);

private:
    struct Point
    {
        qint64 atMs;
        qint64 p95;
        qint64 oldest;
        qint64 sla;
        std::optional<qint64> probe;
    };
    void redraw();

    QHash<QString, QList<Point>> m_history; // the last hour per flow
    QString m_flow;
    QLineSeries *m_p95;
    QLineSeries *m_oldest;
    QLineSeries *m_sla;
    QLineSeries *m_probe;
};

} // namespace syncdesk::ui

#include "LagChart.h"

#include <QDateTimeAxis>
#include <QLineSeries>
#include <QValueAxis>

namespace syncdesk::ui {

// The chart is handed to the view at construction: setChart() would release the view's
// default chart to no owner.
LagChart::LagChart(QWidget *parent)
    : QChartView(new QChart, parent), m_p95(new QLineSeries), m_oldest(new QLineSeries), m_sla(new QLineSeries),
      m_probe(new QLineSeries)
{
    m_p95->setName(tr("p95 arrival lag (s)"));
    m_oldest->setName(tr("oldest pending (s)"));
    m_sla->setName(tr("SLA (s)"));
    m_probe->setName(tr("probe lag (s)"));
    QPen sla(Qt::DashLine);
    sla.setColor(QColor(0xd9, 0x30, 0x25));
    m_sla->setPen(sla);
    QChart *c = chart();
    c->addSeries(m_p95);
    c->addSeries(m_oldest);
    c->addSeries(m_sla);
    c->addSeries(m_probe);
    auto *x = new QDateTimeAxis;
    x->setFormat(QStringLiteral("HH:mm:ss"));
    auto *y = new QValueAxis;
    y->setLabelFormat(QStringLiteral("%.0f"));
    c->addAxis(x, Qt::AlignBottom);
    c->addAxis(y, Qt::AlignLeft);
    for (QLineSeries *s : {m_p95, m_oldest, m_sla, m_probe}) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
    c->legend()->setAlignment(Qt::AlignBottom);
    c->setMargins(QMargins(2, 2, 2, 2));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(160);
}

void LagChart::addSnapshot(const QList<FlowSnapshot> &flows, qint64 nowMs)
{
    for (const FlowSnapshot &f : flows) {
        QList<Point> &h = m_history[f.name];
        h.append({nowMs, f.lag5m.p95, f.oldestPendingMs, f.slaMs, f.probeLagMs});
        while (!h.isEmpty() && h.first().atMs < nowMs - 3600 * 1000)
            h.removeFirst();
    }
    redraw();
}

void LagChart::showFlow(const QString &flow)
{
    m_flow = flow;
    chart()->setTitle(flow.isEmpty() ? QString() : tr("Lag of %1").arg(flow));
    redraw();
}

void LagChart::redraw()
{
    QList<QPointF> p95, oldest, sla, probe;
    qreal top = 1;
    for (const Point &p : m_history.value(m_flow)) {
        if (p.probe) {
            probe << QPointF(p.atMs, *p.probe / 1000.0);
            top = std::max(top, *p.probe / 1000.0);
        }
        p95 << QPointF(p.atMs, p.p95 / 1000.0);
        oldest << QPointF(p.atMs, p.oldest / 1000.0);
        sla << QPointF(p.atMs, p.sla / 1000.0);
        top = std::max({top, p.p95 / 1000.0, p.oldest / 1000.0, p.sla / 1000.0});
    }
    m_p95->replace(p95);
    m_oldest->replace(oldest);
    m_sla->replace(sla);
    m_probe->replace(probe);
    // Only flows with a probe have the line, and only they show it in the legend.
    m_probe->setVisible(!probe.isEmpty());
    const auto axes = chart()->axes();
    for (QAbstractAxis *a : axes) {
        if (auto *x = qobject_cast<QDateTimeAxis *>(a); x && !p95.isEmpty())
            x->setRange(QDateTime::fromMSecsSinceEpoch(qint64(p95.first().x())),
                        QDateTime::fromMSecsSinceEpoch(qint64(p95.last().x()) + 1000));
        if (auto *y = qobject_cast<QValueAxis *>(a))
            y->setRange(0, top * 1.1);
    }
}

} // namespace syncdesk::ui

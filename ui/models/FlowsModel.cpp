#include "FlowsModel.h"

#include "StatusStyle.h"

#include <QDateTime>
#include <QFont>
#include <QLocale>
#include <QStyle>
#include <QApplication>

namespace syncdesk::ui {

int FlowsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_flows.size());
}

int FlowsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FlowsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const FlowSnapshot &f = m_flows[index.row()];
    auto count = [&](RecordStatus s) { return f.counts[size_t(s)]; };
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn: return f.name;
        case OutOfSyncColumn: return f.outOfSync();
        case PendingColumn: return count(RecordStatus::Pending);
        case LateColumn: return count(RecordStatus::Late);
        case ConflictColumn: return count(RecordStatus::Conflict);
        case DriftColumn: return count(RecordStatus::TargetDrift);
        case MissingColumn: return count(RecordStatus::MissingInTarget) + count(RecordStatus::MissingInSource)
                                   + count(RecordStatus::Different);
        case OldestColumn: return f.oldestPendingMs > 0 ? durationText(f.oldestPendingMs) : QStringLiteral("—");
        case LagColumn: return f.lag5m.count > 0 ? durationText(f.lag5m.p95) : QStringLiteral("—");
        case SlaColumn: return durationText(f.slaMs);
        case PolicyColumn: return policyText(f);
        case StateColumn:
            if (f.comparison.stopped)
                return tr("stopped");
            if (!f.error.isEmpty())
                return tr("retrying");
            if (f.comparison.running)
                return comparisonText(f.comparison);
            if (f.probeStalled)
                return tr("pipeline stalled");
            return f.ready ? tr("live") : tr("waiting");
        }
    }
    if (role == Qt::DecorationRole && index.column() == NameColumn) {
        if (!f.error.isEmpty() || !f.ready)
            return QApplication::style()->standardIcon(f.error.isEmpty() ? QStyle::SP_BrowserReload
                                                                         : QStyle::SP_MessageBoxCritical);
        return StatusStyle::icon(f.breached() ? RecordStatus::Late : RecordStatus::InSync);
    }
    if (role == Qt::FontRole && f.breached()) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
    if (role == Qt::ForegroundRole && f.breached()
        && (index.column() == NameColumn || index.column() == OldestColumn || index.column() == LagColumn))
        return StatusStyle::colour(RecordStatus::Late);
    if (index.column() == StateColumn && f.probeStalled && role == Qt::ForegroundRole)
        return StatusStyle::colour(RecordStatus::Conflict);
    if (index.column() == PolicyColumn && f.policyHalted) {
        if (role == Qt::ForegroundRole)
            return StatusStyle::colour(RecordStatus::Conflict);
        if (role == Qt::ToolTipRole)
            return tr("%1\nResume it with: syncdesk-cli policy resume --workspace … --flow %2")
                .arg(f.policyHaltReason, f.name);
    }
    if (role == Qt::ToolTipRole && index.column() == PolicyColumn && f.policy != Policy::Manual)
        return f.policyDryRun
                   ? tr("Dry run: the policy's decisions are shown (watch --events) and counted, "
                        "nothing is written; %1 so far").arg(f.policyWould)
                   : tr("Applied automatically through the audited resolution path: %1 this run; "
                        "%2 left to a person").arg(f.policyApplied).arg(f.policyLeft);
    if (role == Qt::ToolTipRole) {
        if (f.comparison.stopped)
            return tr("%1 → %2: %3; Flow ▸ Compare now starts it again").arg(f.source, f.target, f.error);
        if (!f.error.isEmpty())
            return tr("%1 → %2: %3 (retrying)").arg(f.source, f.target, f.error);
        if (!f.ready)
            return tr("%1 → %2: first comparison running").arg(f.source, f.target);
        QString probe;
        if (f.probeStalled)
            probe = tr("\nPipeline stalled: the tracer probe has not arrived for %1").arg(durationText(f.probeLagMs.value_or(0)));
        else if (f.probe && f.probeLagMs)
            probe = tr("\nTracer probe: source to target in %1").arg(durationText(*f.probeLagMs));
        else if (f.probe)
            probe = f.probeError.isEmpty() ? tr("\nTracer probe: none arrived yet") : tr("\nTracer probe: %1").arg(f.probeError);
        return tr("%1 → %2\np95 arrival lag over 5 min: %3 (%4 arrivals, %5% within the SLA of %6)%7%8%9")
            .arg(f.source, f.target, durationText(f.lag5m.p95)).arg(f.lag5m.count)
            .arg(qRound(f.lag5m.withinSla * 100)).arg(durationText(f.slaMs))
            .arg(f.breached() ? tr("\nPast its SLA") : QString(), probe, firstCheckText(f));
    }
    if (role == Qt::TextAlignmentRole && index.column() != NameColumn && index.column() != StateColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant FlowsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char *const names[] = {"Flow", "Out of sync", "Pending", "Late", "Conflicts",
                                        "Drift", "Missing/different", "Oldest pending",
                                        "p95 lag (5 min)", "SLA", "Policy", "State"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void FlowsModel::setSnapshot(const QList<FlowSnapshot> &flows)
{
    bool sameFlows = flows.size() == m_flows.size();
    for (qsizetype i = 0; sameFlows && i < flows.size(); ++i)
        sameFlows = flows[i].name == m_flows[i].name;
    if (!sameFlows) {
        beginResetModel();
        m_flows = flows;
        endResetModel();
        return;
    }
    m_flows = flows;
    if (!m_flows.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_flows.size()) - 1, ColumnCount - 1));
}

QString policyText(const FlowSnapshot &f)
{
    const QString name = policyName(f.policy);
    if (f.policy == Policy::Manual)
        return name;
    if (f.policyHalted)
        return FlowsModel::tr("%1: halted").arg(name);
    if (f.policyDryRun)
        return FlowsModel::tr("%1: dry run, %2 would be resolved").arg(name).arg(f.policyWould);
    return FlowsModel::tr("%1: %2 resolved").arg(name).arg(f.policyApplied);
}

QString firstCheckText(const FlowSnapshot &f)
{
    if (!f.firstCheck || f.firstCheck->outOfSync == 0)
        return {};
    const FirstComparisonCheck::State &c = *f.firstCheck;
    if (c.result)
        return FlowsModel::tr("\nFirst comparison: %1 out of sync; read again after %2 (%3): %4 were in flight, "
                              "%5 confirmed")
            .arg(c.outOfSync).arg(durationText(c.result->waitedMs), c.basis).arg(c.result->inFlight)
            .arg(c.result->confirmed);
    if (!c.error.isEmpty())
        return FlowsModel::tr("\nFirst comparison: %1 out of sync; could not be read again: %2").arg(c.outOfSync).arg(c.error);
    if (c.dueMs > 0)
        return FlowsModel::tr("\nFirst comparison: %1 out of sync; read again in %2 (%3) to tell those in flight")
            .arg(c.outOfSync)
            .arg(durationText(std::max<qint64>(0, c.dueMs - QDateTime::currentMSecsSinceEpoch())), c.basis);
    return FlowsModel::tr("\nFirst comparison: %1 out of sync").arg(c.outOfSync);
}

QString comparisonText(const LiveEngine::Comparison &c)
{
    const QString what = c.initial ? FlowsModel::tr("first comparison") : FlowsModel::tr("verifying");
    const QLocale locale;
    if (c.expected > 0)
        return FlowsModel::tr("%1 %2% (%3 of ~%4 records)")
            .arg(what).arg(std::min<qint64>(99, c.records * 100 / c.expected))
            .arg(locale.toString(c.records), locale.toString(c.expected));
    return FlowsModel::tr("%1 (%2 records so far)").arg(what, locale.toString(c.records));
}

const FlowSnapshot *FlowsModel::flowAt(int row) const
{
    return row >= 0 && row < m_flows.size() ? &m_flows[row] : nullptr;
}

} // namespace syncdesk::ui

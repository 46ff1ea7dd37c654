#include "RecordsModel.h"

#include "StatusStyle.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <algorithm>

namespace syncdesk::ui {

namespace {

// ["SKU-1"] → SKU-1; [7, "a"] → 7 · a: keys as an operator reads them.
// "09:43:16" today, "2026-11-21 17:02" before: short enough for a column of a busy table.
QString timeText(qint64 ms)
{
    if (ms <= 0)
        return {};
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms);
    return t.toString(t.date() == QDate::currentDate() ? QStringLiteral("HH:mm:ss") : QStringLiteral("yyyy-MM-dd HH:mm"));
}

// "price (conflict), qty (source)": which fields differ and who moved them.
QString changedFields(const RecordDetail &d)
{
    if (!d.state.source || !d.state.target)
        return d.state.source ? QObject::tr("(no target row)") : QObject::tr("(no source row)");
    QStringList out;
    for (const FieldDetail &f : d.fields) {
        switch (f.change) {
        case FieldChange::Unchanged: break;
        case FieldChange::ChangedAtSource: out << QObject::tr("%1 (source)").arg(f.name); break;
        case FieldChange::ChangedAtTarget: out << QObject::tr("%1 (target)").arg(f.name); break;
        case FieldChange::ChangedOnBoth: out << QObject::tr("%1 (conflict)").arg(f.name); break;
        case FieldChange::Differs: out << QObject::tr("%1 (differs)").arg(f.name); break;
        }
    }
    return out.isEmpty() ? QObject::tr("(none now)") : out.join(QStringLiteral(", "));
}

QString keyText(const QByteArray &json)
{
    const QJsonArray parts = QJsonDocument::fromJson(json).array();
    QStringList out;
    for (const QJsonValue &v : parts)
        out << (v.isString() ? v.toString() : v.isNull() ? QStringLiteral("NULL")
                                                         : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1));
    return out.join(QStringLiteral(" · "));
}

} // namespace

RecordsModel::RecordsModel(QObject *parent, int coalesceMs)
    : QAbstractTableModel(parent), m_coalesce(new QTimer(this)),
      m_now(QDateTime::currentMSecsSinceEpoch())
{
    m_coalesce->setSingleShot(true);
    m_coalesce->setInterval(coalesceMs);
    connect(m_coalesce, &QTimer::timeout, this, &RecordsModel::flushPending);
}

int RecordsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_visible.size());
}

int RecordsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RecordsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const quint32 rowNumber = m_visible[size_t(index.row())];
    const Row &r = rowAt(rowNumber);
    const auto status = RecordStatus(r.status);
    const std::string_view keyView = keyOf(rowNumber);
    const QByteArray key(keyView.data(), qsizetype(keyView.size()));
    switch (role) {
    case FlowRole:
        return m_flows.value(r.flow);
    case KeyJsonRole:
        return key;
    case StatusRole:
        return int(status);
    case Qt::DisplayRole:
        switch (index.column()) {
        case FlowColumn: return m_flows.value(r.flow);
        case KeyColumn: return keyText(key);
        case StatusColumn: return StatusStyle::text(status);
        case LagColumn: return r.sinceMs > 0 ? durationText(m_now - r.sinceMs) : QStringLiteral("—");
        case ChangedColumn:
        case SourceChangedColumn:
        case TargetChangedColumn: {
            const auto it = m_summaries.constFind(m_visible[size_t(index.row())]);
            if (it == m_summaries.cend())
                return QStringLiteral("…");
            if (index.column() == ChangedColumn)
                return it->summary.changedFields;
            return timeText(index.column() == SourceChangedColumn ? it->summary.sourceChangedAtMs
                                                                  : it->summary.targetChangedAtMs);
        }
        case SinceColumn: return timeText(r.sinceMs);
        case ClaimColumn: {
            const auto it = m_claims.constFind(rowNumber);
            return it == m_claims.cend() ? QString()
                                         : tr("%1 since %2").arg(it->operatorName,
                                                                 QDateTime::fromMSecsSinceEpoch(it->claimedAtMs)
                                                                     .toString(QStringLiteral("HH:mm")));
        }
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == StatusColumn)
            return StatusStyle::icon(status);
        break;
    case Qt::ForegroundRole:
        if (index.column() == StatusColumn)
            return StatusStyle::colour(status);
        break;
    case Qt::ToolTipRole:
        if (index.column() == LagColumn)
            return tr("Out of sync since this long; for a pending record, the sync lag so far");
        if (index.column() == ClaimColumn) {
            const auto it = m_claims.constFind(rowNumber);
            return it == m_claims.cend() ? tr("Nobody has claimed this record")
                                         : tr("%1, on %2 (%3)\nOnly they resolve it until they release it or it lapses")
                                               .arg(it->text(), it->host, it->osUser);
        }
        if (index.column() == ChangedColumn) {
            const auto it = m_summaries.constFind(m_visible[size_t(index.row())]);
            return tr("%1\nThe fields that differ now, and which side moved each (read when on screen)")
                .arg(it == m_summaries.cend() ? tr("Not read yet") : it->summary.changedFields);
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == LagColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    }
    return {};
}

QVariant RecordsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case FlowColumn: return tr("Flow");
    case KeyColumn: return tr("Key");
    case StatusColumn: return tr("Status");
    case LagColumn: return tr("Lag");
    case ChangedColumn: return tr("Changed fields");
    case SourceChangedColumn: return tr("Source changed");
    case TargetChangedColumn: return tr("Target changed");
    case SinceColumn: return tr("Out of sync since");
    case ClaimColumn: return tr("Claimed by");
    }
    return {};
}

quint16 RecordsModel::flowIndex(const QString &flow)
{
    qsizetype i = m_flows.indexOf(flow);
    if (i < 0) {
        m_flows << flow;
        i = m_flows.size() - 1;
        if (!m_flowShown.empty())
            m_flowShown.push_back(false);
    }
    return quint16(i);
}

bool RecordsModel::less(quint32 a, quint32 b) const
{
    const Row &x = rowAt(a);
    const Row &y = rowAt(b);
    bool lt = false, gt = false;
    switch (m_sortColumn) {
    case FlowColumn: lt = x.flow < y.flow; gt = y.flow < x.flow; break;
    case StatusColumn: lt = x.status < y.status; gt = y.status < x.status; break;
    // More lag first when ascending would be odd: "ascending lag" is "latest since first".
    case LagColumn: lt = x.sinceMs > y.sinceMs; gt = x.sinceMs < y.sinceMs; break;
    case SinceColumn: lt = x.sinceMs < y.sinceMs; gt = y.sinceMs < x.sinceMs; break;
    default: break;
    }
    if (m_sortOrder == Qt::DescendingOrder)
        std::swap(lt, gt);
    if (lt || gt)
        return lt;
    // Ties (and the key column) by key, then flow: a total order, so merges are stable.
    const int c = keyOf(a).compare(keyOf(b));
    if (c != 0)
        return (m_sortColumn == KeyColumn && m_sortOrder == Qt::DescendingOrder) ? c > 0 : c < 0;
    return x.flow < y.flow;
}

bool RecordsModel::visible(quint32 row) const
{
    const Row &r = rowAt(row);
    if (!m_flowShown.empty() && !m_flowShown[r.flow])
        return false;
    if (m_statusMask && !(m_statusMask & (1u << quint32(r.status))))
        return false;
    return m_keyFilter.empty() || keyOf(row).find(m_keyFilter) != std::string_view::npos;
}

quint32 RecordsModel::find(quint16 flow, std::string_view key) const
{
    m_probe.assign(reinterpret_cast<const char *>(&flow), 2);
    m_probe.append(key);
    const size_t row = m_rows.indexOf(m_probe);
    return row == KeyTable<Row>::npos ? npos : quint32(row);
}

quint32 RecordsModel::upsert(quint16 flow, const QByteArray &key, RecordStatus status, qint64 sinceMs)
{
    const std::string_view k(key.constData(), size_t(key.size()));
    quint32 row = find(flow, k);
    if (row == npos) {
        Row &fresh = m_rows.insert(m_probe); // find() left (flow, key) there
        fresh.sinceMs = sinceMs;
        fresh.flow = flow;
        fresh.status = quint8(RecordStatus::InSync);
        row = quint32(m_rows.size() - 1);
    }
    m_summaries.remove(row); // it changed: what was read of it is history
    Row &r = m_rows.valueAt(row);
    const bool was = r.status != quint8(RecordStatus::InSync);
    m_alive += int(status != RecordStatus::InSync) - int(was);
    // The lag clock starts when the record falls out of sync and runs until it is back.
    if (!was || sinceMs < r.sinceMs || r.sinceMs == 0)
        r.sinceMs = sinceMs;
    r.status = quint8(status);
    return row;
}

void RecordsModel::setFlowRecords(const FlowRecords &records)
{
    // Events queued before this list are older than it: applied first, then overridden.
    flushPending();
    const quint16 flow = flowIndex(records.flow);
    m_summaries.clear();
    // Whatever this flow had is replaced: mark it all in sync, then set what was sent.
    m_rows.forEach([&](std::string_view, Row &r) {
        if (r.flow == flow && r.status != quint8(RecordStatus::InSync)) {
            r.status = quint8(RecordStatus::InSync);
            --m_alive;
        }
    });
    // Room for an eighth more: otherwise the first live record that is new moves the whole
    // table (tens of MB at a million rows) while the window waits. Unused room is not resident.
    const size_t rows = size_t(records.rows.size());
    size_t keyBytes = 0;
    for (const RecordRow &r : records.rows)
        keyBytes += size_t(r.keyJson.size()) + 2;
    m_rows.reserve(size_t(m_rows.size()) + rows + rows / 8, m_rowKeyBytes + keyBytes + keyBytes / 8);
    m_rowKeyBytes += keyBytes;
    for (const RecordRow &r : records.rows)
        upsert(flow, r.keyJson, r.status, r.sinceMs);
    m_order.clear();
    for (quint32 i = 0; i < quint32(m_rows.size()); ++i)
        if (alive(i))
            m_order.push_back(i);
    std::sort(m_order.begin(), m_order.end(), [this](quint32 a, quint32 b) { return less(a, b); });
    refilter();
}

void RecordsModel::addEvents(const QList<StatusEvent> &events)
{
    m_pending += events;
    if (!m_coalesce->isActive())
        m_coalesce->start();
}

void RecordsModel::flushPending()
{
    m_coalesce->stop();
    if (m_pending.isEmpty())
        return;
    std::vector<quint32> touched;
    touched.reserve(size_t(m_pending.size()));
    for (const StatusEvent &e : std::as_const(m_pending)) {
        const quint16 flow = flowIndex(e.flow);
        const quint32 found = find(flow, std::string_view(e.keyJson.constData(), size_t(e.keyJson.size())));
        const bool before = found != npos && alive(found);
        const quint32 row = upsert(flow, e.keyJson, e.status, e.tsMs - e.lagMs);
        if (before) // it sits in m_order now: taken out below and merged back if still alive
            touched.push_back(row);
        else if (alive(row))
            touched.push_back(row);
    }
    m_pending.clear();
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());

    // Out with every touched row (its position may have changed), in with those still alive.
    // The scratch vectors are members: a million-row buffer allocated per batch would be
    // mapped and unmapped each time, and its page faults alone stall the window.
    m_isTouched.assign(size_t(m_rows.size()), false);
    for (quint32 t : touched)
        m_isTouched[t] = true;
    std::vector<quint32> &kept = m_kept;
    kept.clear();
    kept.reserve(m_order.size());
    for (quint32 r : m_order)
        if (!m_isTouched[r])
            kept.push_back(r);
    std::vector<quint32> back;
    for (quint32 t : touched)
        if (alive(t))
            back.push_back(t);
    const auto cmp = [this](quint32 a, quint32 b) { return less(a, b); };
    std::sort(back.begin(), back.end(), cmp);
    m_order.clear();
    m_order.reserve(kept.size() + back.size());
    std::merge(kept.begin(), kept.end(), back.begin(), back.end(), std::back_inserter(m_order), cmp);
    refilter();
}

void RecordsModel::compactRows(std::vector<quint32> &rowsOf)
{
    // Rows back in sync stay in the table (a record that falls out again keeps its number),
    // until they are most of it: a desk open for weeks sees every record pass through once.
    const size_t total = size_t(m_rows.size());
    const size_t dead = total - size_t(m_alive);
    if (dead < CompactAfterDeadRows || dead < size_t(m_alive))
        return;
    std::vector<quint32> renumbered(total, npos);
    KeyTable<Row> kept;
    size_t keyBytes = 0;
    for (quint32 i = 0; i < quint32(total); ++i)
        if (alive(i))
            keyBytes += m_rows.keyAt(i).size();
    kept.reserve(size_t(m_alive) + size_t(m_alive) / 8, keyBytes + keyBytes / 8);
    for (quint32 i = 0; i < quint32(total); ++i) {
        if (!alive(i))
            continue;
        kept.appendUnindexed(m_rows.keyAt(i)) = m_rows.valueAt(i);
        renumbered[i] = quint32(kept.size() - 1);
    }
    kept.reindex();
    m_rows = std::move(kept);
    m_rowKeyBytes = keyBytes;
    for (quint32 &r : m_order)
        r = renumbered[r];
    for (quint32 &r : rowsOf)
        r = r == quint32(-1) ? r : renumbered[r];
    QHash<quint32, Cached> summaries;
    for (auto it = m_summaries.cbegin(); it != m_summaries.cend(); ++it)
        if (renumbered[it.key()] != npos)
            summaries.insert(renumbered[it.key()], it.value());
    m_summaries = std::move(summaries);
    QHash<quint32, Claim> claims;
    for (auto it = m_claims.cbegin(); it != m_claims.cend(); ++it)
        if (renumbered[it.key()] != npos)
            claims.insert(renumbered[it.key()], it.value());
    m_claims = std::move(claims);
    std::vector<quint32>().swap(m_kept);
    std::vector<bool>().swap(m_isTouched);
}

void RecordsModel::refilter()
{
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList persistent = persistentIndexList();
    std::vector<quint32> rowsOf;
    rowsOf.reserve(size_t(persistent.size()));
    for (const QModelIndex &i : persistent)
        rowsOf.push_back(i.row() < int(m_visible.size()) ? m_visible[size_t(i.row())] : quint32(-1));
    compactRows(rowsOf);

    if (m_flowShown.empty() && !m_statusMask && m_keyFilter.empty()) {
        m_visible = m_order; // no filter: a copy, not a million checks
    } else {
        m_visible.clear();
        for (quint32 r : m_order)
            if (visible(r))
                m_visible.push_back(r);
    }

    if (!persistent.isEmpty()) {
        QHash<quint32, int> where;
        for (quint32 r : rowsOf)
            where.insert(r, -1);
        for (size_t i = 0; i < m_visible.size(); ++i)
            if (auto it = where.find(m_visible[i]); it != where.end())
                *it = int(i);
        QModelIndexList to;
        to.reserve(persistent.size());
        for (qsizetype i = 0; i < persistent.size(); ++i) {
            const int row = where.value(rowsOf[size_t(i)], -1);
            to << (row < 0 ? QModelIndex() : index(row, persistent[i].column()));
        }
        changePersistentIndexList(persistent, to);
    }
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void RecordsModel::sort(int column, Qt::SortOrder order)
{
    if (!sortable(column))
        return;
    m_sortColumn = column;
    m_sortOrder = order;
    resort();
}

void RecordsModel::resort()
{
    std::sort(m_order.begin(), m_order.end(), [this](quint32 a, quint32 b) { return less(a, b); });
    refilter();
}

void RecordsModel::setFlowFilter(const QStringList &flows)
{
    m_flowShown.clear();
    if (!flows.isEmpty()) {
        for (const QString &f : flows)
            (void)flowIndex(f);
        m_flowShown.assign(size_t(m_flows.size()), false);
        for (const QString &f : flows)
            m_flowShown[size_t(m_flows.indexOf(f))] = true;
    }
    refilter();
}

void RecordsModel::setStatusFilter(const QList<RecordStatus> &statuses)
{
    m_statusMask = 0;
    for (RecordStatus s : statuses)
        m_statusMask |= 1u << quint32(s);
    refilter();
}

void RecordsModel::setKeyFilter(const QString &text)
{
    m_keyFilter = text.toStdString();
    refilter();
}

void RecordsModel::setNow(qint64 nowMs)
{
    m_now = nowMs;
    if (!m_visible.empty())
        emit dataChanged(index(0, LagColumn), index(int(m_visible.size()) - 1, LagColumn),
                         {Qt::DisplayRole});
}

QString RecordsModel::flowAt(int row) const
{
    return row >= 0 && row < int(m_visible.size()) ? m_flows.value(rowAt(m_visible[size_t(row)]).flow) : QString();
}

QByteArray RecordsModel::keyAt(int row) const
{
    if (row < 0 || row >= int(m_visible.size()))
        return {};
    const std::string_view k = keyOf(m_visible[size_t(row)]);
    return QByteArray(k.data(), qsizetype(k.size()));
}

QList<RecordsModel::RecordRef> RecordsModel::rowsWithoutSummary(int first, int last) const
{
    QList<RecordRef> out;
    first = std::max(first, 0);
    last = std::min(last, int(m_visible.size()) - 1);
    for (int i = first; i <= last; ++i) {
        const quint32 row = m_visible[size_t(i)];
        const auto it = m_summaries.constFind(row);
        if (it == m_summaries.cend() || !it->fresh) {
            const std::string_view k = keyOf(row);
            out.append({m_flows.value(rowAt(row).flow), QByteArray(k.data(), qsizetype(k.size()))});
        }
    }
    return out;
}

void RecordsModel::setSummaries(const QString &flow, const QList<RecordDetail> &details)
{
    // Only rows on screen are read, so a small bound holds them; past it, start over.
    constexpr qsizetype Bound = 20000;
    if (m_summaries.size() + details.size() > Bound)
        m_summaries.clear();
    const qsizetype f = m_flows.indexOf(flow);
    if (f < 0)
        return;
    for (const RecordDetail &d : details) {
        const quint32 row = find(quint16(f), std::string_view(d.keyJson.constData(), size_t(d.keyJson.size())));
        if (row != npos)
            m_summaries.insert(row, {{changedFields(d), d.state.sourceChangedAtMs, d.state.targetChangedAtMs}, true});
    }
    if (!m_visible.empty())
        emit dataChanged(index(0, ChangedColumn), index(int(m_visible.size()) - 1, TargetChangedColumn),
                         {Qt::DisplayRole});
}

void RecordsModel::expireSummaries()
{
    for (Cached &c : m_summaries)
        c.fresh = false;
}

RecordStatus RecordsModel::statusAt(int row) const
{
    return row >= 0 && row < int(m_visible.size()) ? statusOf(m_visible[size_t(row)]) : RecordStatus::InSync;
}

void RecordsModel::setClaims(const QList<Claim> &claims)
{
    QHash<quint32, Claim> byRow;
    for (const Claim &c : claims) {
        const qsizetype flow = m_flows.indexOf(c.flow);
        if (flow < 0)
            continue;
        // A claimed record in sync has no row: nothing to show.
        const quint32 row = find(quint16(flow), std::string_view(c.keyJson.constData(), size_t(c.keyJson.size())));
        if (row != npos)
            byRow.insert(row, c);
    }
    const auto same = [](const Claim &a, const Claim &b) {
        return a.operatorName == b.operatorName && a.claimedAtMs == b.claimedAtMs && a.expiresAtMs == b.expiresAtMs;
    };
    bool changed = byRow.size() != m_claims.size();
    for (auto it = byRow.cbegin(); !changed && it != byRow.cend(); ++it) {
        const auto old = m_claims.constFind(it.key());
        changed = old == m_claims.cend() || !same(*old, *it);
    }
    if (!changed)
        return;
    m_claims = std::move(byRow);
    if (!m_visible.empty())
        emit dataChanged(index(0, ClaimColumn), index(int(m_visible.size()) - 1, ClaimColumn));
}

std::optional<Claim> RecordsModel::claimAt(int row) const
{
    if (row < 0 || size_t(row) >= m_visible.size())
        return std::nullopt;
    const auto it = m_claims.constFind(m_visible[size_t(row)]);
    return it == m_claims.cend() ? std::nullopt : std::optional<Claim>(*it);
}

} // namespace syncdesk::ui

#include "DemoSimulator.h"

#include "DemoWorld.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>
#include <QUuid>
#include <QVariant>

namespace syncdesk {

namespace {

QString nowText()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

} // namespace

DemoSimulator::DemoSimulator(DemoPlace place, Options options, QObject *parent)
    : QObject(parent), m_place(std::move(place)), m_options(options), m_rng(options.seed),
      m_tick(new QTimer(this)), m_batch(new QTimer(this)),
      m_prefix(QStringLiteral("demo-sim-") + QUuid::createUuid().toString(QUuid::WithoutBraces))
{
    connect(m_tick, &QTimer::timeout, this, &DemoSimulator::tick);
    connect(m_batch, &QTimer::timeout, this, &DemoSimulator::batch);
}

DemoSimulator::~DemoSimulator()
{
    stop();
}

QSqlDatabase DemoSimulator::db(const QString &which) const
{
    return QSqlDatabase::database(m_prefix + which, false);
}

void DemoSimulator::start()
{
    for (const char *which : {"warehouse", "sales", "portal"})
        (void)DemoWorld::open(m_place, QLatin1String(which), m_prefix + QLatin1String(which));
    QSqlQuery q(QStringLiteral("SELECT max(updated_at) FROM devices"), db(QStringLiteral("warehouse")));
    m_lastBatch = q.next() ? q.value(0).toString() : QString();
    m_tick->start(1000);
    m_batch->start(m_options.batchSeconds * 1000);
}

void DemoSimulator::stop()
{
    m_tick->stop();
    m_batch->stop();
    for (const char *which : {"warehouse", "sales", "portal"}) {
        const QString name = m_prefix + QLatin1String(which);
        if (QSqlDatabase::contains(name)) {
            QSqlDatabase::database(name, false).close();
            QSqlDatabase::removeDatabase(name);
        }
    }
}

void DemoSimulator::tick()
{
    QSqlQuery q(db(QStringLiteral("warehouse")));
    const int changes = 1 + int(m_rng.bounded(3));
    for (int i = 0; i < changes; ++i) {
        const QString sku = QStringLiteral("SKU-%1").arg(100000 + int(m_rng.bounded(DemoWorld::Devices)));
        const int what = int(m_rng.bounded(10));
        // Plain SQL with the values bound, so the story reads the same on SQLite and PostgreSQL.
        if (what < 4) { // sold
            q.prepare(QStringLiteral("UPDATE devices SET status = 'sold', qty = CASE WHEN qty > 0 THEN qty - 1 ELSE 0 END, "
                                     "updated_at = ? WHERE sku = ?"));
        } else if (what < 7) { // regraded after inspection
            q.prepare(QStringLiteral("UPDATE devices SET grade = ?, updated_at = ? WHERE sku = ?"));
            q.addBindValue(QString(QChar(u'A' + int(m_rng.bounded(3)))));
        } else { // repriced
            q.prepare(QStringLiteral("UPDATE devices SET price_cents = price_cents + ?, updated_at = ? WHERE sku = ?"));
            q.addBindValue(int(m_rng.bounded(1500)) - 500);
        }
        q.addBindValue(nowText());
        q.addBindValue(sku);
        if (!q.exec())
            emit happened(tr("warehouse write failed: %1").arg(q.lastError().text()));
        m_unsynced << sku;
    }
    if (++m_ticks % 12 == 0) { // now and then a salesperson haggles and edits a price by hand
        // Every other time on a device the warehouse just changed too: a conflict for the desk.
        const QString sku = !m_unsynced.isEmpty() && (m_ticks / 12) % 2
                                ? m_unsynced.at(int(m_rng.bounded(quint32(m_unsynced.size()))))
                                : QStringLiteral("SKU-%1").arg(100000 + int(m_rng.bounded(DemoWorld::Devices)));
        QSqlQuery s(db(QStringLiteral("sales")));
        s.prepare(QStringLiteral("UPDATE listings SET list_price_cents = list_price_cents - 2000, hand_edited = 1, "
                                 "updated_at = ? WHERE sku = ?"));
        s.addBindValue(nowText());
        s.addBindValue(sku);
        if (s.exec())
            emit happened(tr("a salesperson cut the price of %1 by hand").arg(sku));
    }
}

void DemoSimulator::batch()
{
    ++m_batches;
    if (m_options.failEvery > 0 && m_batches % m_options.failEvery == 0) {
        emit happened(tr("batch %1 failed silently").arg(m_batches));
        return; // the next run catches up: nothing marks what this one missed
    }
    QSqlDatabase warehouse = db(QStringLiteral("warehouse"));
    QSqlQuery read(warehouse);
    read.prepare(QStringLiteral("SELECT sku, model, grade, status, price_cents, qty, updated_at FROM devices "
                                "WHERE updated_at > ? ORDER BY updated_at"));
    read.addBindValue(m_lastBatch);
    if (!read.exec()) {
        emit happened(tr("batch %1 could not read the warehouse: %2").arg(m_batches).arg(read.lastError().text()));
        return;
    }
    QSqlDatabase sales = db(QStringLiteral("sales")), portal = db(QStringLiteral("portal"));
    sales.transaction();
    // The portal's writers (this batch and its API) take its write lock before they stamp
    // updated_at, so stamps rise in commit order and a poll's updated_at_gte never skips one.
    QSqlQuery lock(portal);
    for (const QString &sql : m_place.postgres()
                                  ? QStringList{QStringLiteral("BEGIN"),
                                                QStringLiteral("LOCK TABLE catalog IN SHARE ROW EXCLUSIVE MODE")}
                                  : QStringList{QStringLiteral("BEGIN IMMEDIATE")})
        if (!lock.exec(sql)) {
            emit happened(tr("batch %1 could not lock the portal: %2").arg(m_batches).arg(lock.lastError().text()));
            sales.rollback();
            if (m_place.postgres())
                lock.exec(QStringLiteral("ROLLBACK"));
            return;
        }
    QSqlQuery toSales(sales), toPortal(portal);
    toSales.prepare(QStringLiteral("UPDATE listings SET title = ?, grade = ?, status = ?, list_price_cents = ?, stock = ?, "
                                   "updated_at = ? WHERE sku = ? AND hand_edited = 0"));
    toPortal.prepare(QStringLiteral("UPDATE catalog SET model = ?, grade = ?, price_cents = ?, updated_at = ? WHERE sku = ?"));
    int copied = 0, leftAlone = 0;
    const QString now = nowText();
    while (read.next()) {
        for (int c = 1; c <= 5; ++c)
            toSales.addBindValue(read.value(c));
        toSales.addBindValue(now);
        toSales.addBindValue(read.value(0));
        toSales.exec();
        leftAlone += toSales.numRowsAffected() == 0;
        for (int c : {1, 2, 4})
            toPortal.addBindValue(read.value(c));
        toPortal.addBindValue(now);
        toPortal.addBindValue(read.value(0));
        toPortal.exec();
        m_lastBatch = read.value(6).toString();
        ++copied;
    }
    sales.commit();
    lock.exec(QStringLiteral("COMMIT"));
    m_unsynced.clear();
    emit happened(tr("batch %1 copied %2 warehouse change(s); %3 hand-edited listing(s) left alone")
                      .arg(m_batches).arg(copied).arg(leftAlone));
}

} // namespace syncdesk

#include "DemoWorld.h"

#include "model/SyncError.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

namespace syncdesk {

namespace {

// Runs statements on a fresh SQLite file in one transaction.
void build(const QString &path, const QStringList &statements)
{
    QFile::remove(path);
    const QString name = QStringLiteral("demo-build-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (!db.open())
            throw SyncError(QStringLiteral("demo: cannot create %1: %2").arg(path, db.lastError().text()));
        QSqlQuery q(db);
        db.transaction();
        for (const QString &s : statements)
            if (!q.exec(s))
                throw SyncError(QStringLiteral("demo: %1: %2").arg(path, q.lastError().text()));
        db.commit();
        q.exec(QStringLiteral("PRAGMA journal_mode=WAL")); // the simulator and the console share them
    }
    QSqlDatabase::removeDatabase(name);
}

} // namespace

QString DemoWorld::warehouse(const QString &dir) { return QDir(dir).filePath(QStringLiteral("warehouse.db")); }
QString DemoWorld::sales(const QString &dir) { return QDir(dir).filePath(QStringLiteral("sales.db")); }
QString DemoWorld::portal(const QString &dir) { return QDir(dir).filePath(QStringLiteral("portal.db")); }

QString DemoWorld::create(const QString &dir)
{
    if (!QDir().mkpath(dir))
        throw SyncError(QStringLiteral("demo: cannot create the folder %1").arg(dir));
    static const char *const models[] = {"iPhone 13 128GB", "iPhone 14 256GB", "Galaxy S22", "Pixel 7",
                                         "iPad Air 5", "MacBook Air M1", "Galaxy Tab S8", "ThinkPad X1"};
    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    QRandomGenerator rng(2026);
    QStringList devices, listings, catalog;
    for (int i = 0; i < Devices; ++i) {
        const QString sku = QStringLiteral("SKU-%1").arg(100000 + i);
        const QString model = QLatin1String(models[rng.bounded(8)]);
        const QString grade = QString(QChar(u'A' + int(rng.bounded(3))));
        const int price = 15000 + int(rng.bounded(80000));
        const int qty = 1 + int(rng.bounded(9));
        devices << QStringLiteral("('%1', '%2', '%3', 'available', %4, %5, '%6')").arg(sku, model, grade).arg(price).arg(qty).arg(now);
        listings << QStringLiteral("('%1', '%2', '%3', 'available', %4, %5, '%6', 0)").arg(sku, model, grade).arg(price).arg(qty).arg(now);
        catalog << QStringLiteral("('%1', '%2', '%3', %4, '%5')").arg(sku, model, grade).arg(price).arg(now);
    }
    build(warehouse(dir), {QStringLiteral("CREATE TABLE devices (sku TEXT PRIMARY KEY, model TEXT, grade TEXT, status TEXT, "
                                          "price_cents INTEGER, qty INTEGER, updated_at TEXT)"),
                           QStringLiteral("INSERT INTO devices VALUES ") + devices.join(u',')});
    build(sales(dir), {QStringLiteral("CREATE TABLE listings (sku TEXT PRIMARY KEY, title TEXT, grade TEXT, status TEXT, "
                                      "list_price_cents INTEGER, stock INTEGER, updated_at TEXT, hand_edited INTEGER)"),
                       QStringLiteral("INSERT INTO listings VALUES ") + listings.join(u',')});
    build(portal(dir), {QStringLiteral("CREATE TABLE catalog (sku TEXT PRIMARY KEY, model TEXT, grade TEXT, "
                                       "price_cents INTEGER, updated_at TEXT)"),
                        QStringLiteral("INSERT INTO catalog VALUES ") + catalog.join(u',')});
    const QString path = QDir(dir).filePath(QStringLiteral("demo.json"));
    QFile::remove(QDir(dir).filePath(QStringLiteral("demo.state.db")));
    QFile ws(path);
    if (!ws.open(QIODevice::WriteOnly | QIODevice::Truncate))
        throw SyncError(QStringLiteral("demo: cannot write %1").arg(path));
    ws.write(R"({"version": 1,
 "systems": [
   {"name": "warehouse", "kind": "sqlite", "path": "warehouse.db"},
   {"name": "sales", "kind": "sqlite", "path": "sales.db"},
   {"name": "portal", "kind": "sqlite", "path": "portal.db"}],
 "flows": [
   {"name": "devices",
    "source": {"system": "warehouse", "table": "devices", "updated_at": "updated_at"},
    "target": {"system": "sales", "table": "listings", "updated_at": "updated_at"},
    "key": ["sku"],
    "fields": [{"source": "model", "target": "title"}, "grade", "status",
               {"source": "price_cents", "target": "list_price_cents"}, {"source": "qty", "target": "stock"}],
    "direction": "one-way", "sla_seconds": 45, "policy": "manual"},
   {"name": "portal",
    "source": {"system": "warehouse", "table": "devices", "updated_at": "updated_at"},
    "target": {"system": "portal", "table": "catalog", "updated_at": "updated_at"},
    "key": ["sku"],
    "fields": ["model", "grade", "price_cents"],
    "direction": "one-way", "sla_seconds": 90, "policy": "manual"}]}
)");
    return path;
}

} // namespace syncdesk

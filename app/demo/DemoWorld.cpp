#include "DemoWorld.h"

#include "model/SyncError.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

namespace syncdesk {

namespace {

// Creates one system's table with its rows, in one transaction (a cluster's databases are new).
void build(const DemoPlace &place, const QString &system, const QStringList &statements)
{
    if (!place.postgres())
        QFile::remove(QDir(place.dir).filePath(system + QStringLiteral(".db")));
    const QString name = QStringLiteral("demo-build-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase db = DemoWorld::open(place, system, name);
        QSqlQuery q(db);
        db.transaction();
        for (const QString &s : statements)
            if (!q.exec(s))
                throw SyncError(QStringLiteral("demo: %1: %2").arg(system, q.lastError().text()));
        db.commit();
        if (!place.postgres())
            q.exec(QStringLiteral("PRAGMA journal_mode=WAL")); // the simulator and the console share them
    }
    QSqlDatabase::removeDatabase(name);
}

} // namespace

QString DemoPlace::passfile() const
{
    return QDir(dir).absoluteFilePath(QStringLiteral("demo.pgpass"));
}

QString DemoPlace::passfileOption() const
{
    QString quoted = passfile();
    quoted.replace(u'\\', QStringLiteral("\\\\")).replace(u'\'', QStringLiteral("\\'"));
    return QStringLiteral("passfile='%1'").arg(quoted);
}

QSqlDatabase DemoWorld::open(const DemoPlace &place, const QString &system, const QString &connection)
{
    QSqlDatabase db;
    if (place.postgres()) {
        db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        db.setHostName(QStringLiteral("127.0.0.1"));
        db.setPort(place.pgPort);
        db.setUserName(QStringLiteral("syncdesk"));
        db.setDatabaseName(system);
        db.setConnectOptions(place.passfileOption()); // the password: the demo's own file
    } else {
        db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(QDir(place.dir).filePath(system + QStringLiteral(".db")));
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    }
    if (!db.open())
        throw SyncError(QStringLiteral("demo: cannot open the %1 system: %2").arg(system, db.lastError().text()));
    return db;
}

QString DemoWorld::create(const DemoPlace &place)
{
    const QString &dir = place.dir;
    if (place.portalApiPort == 0)
        throw SyncError(QStringLiteral("demo: the portal's API is not running"));
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
    build(place, QStringLiteral("warehouse"),
          {QStringLiteral("CREATE TABLE devices (sku TEXT PRIMARY KEY, model TEXT, grade TEXT, status TEXT, "
                          "price_cents INTEGER, qty INTEGER, updated_at TEXT)"),
           QStringLiteral("INSERT INTO devices VALUES ") + devices.join(u',')});
    build(place, QStringLiteral("sales"),
          {QStringLiteral("CREATE TABLE listings (sku TEXT PRIMARY KEY, title TEXT, grade TEXT, status TEXT, "
                          "list_price_cents INTEGER, stock INTEGER, updated_at TEXT, hand_edited INTEGER)"),
           QStringLiteral("INSERT INTO listings VALUES ") + listings.join(u',')});
    build(place, QStringLiteral("portal"),
          {QStringLiteral("CREATE TABLE catalog (sku TEXT PRIMARY KEY, model TEXT, grade TEXT, "
                          "price_cents INTEGER, updated_at TEXT)"),
           QStringLiteral("INSERT INTO catalog VALUES ") + catalog.join(u',')});
    const QString path = QDir(dir).filePath(QStringLiteral("demo.json"));
    QFile::remove(QDir(dir).filePath(QStringLiteral("demo.state.db")));
    QFile ws(path);
    if (!ws.open(QIODevice::WriteOnly | QIODevice::Truncate))
        throw SyncError(QStringLiteral("demo: cannot write %1").arg(path));
    // The systems: SQLite files beside the workspace, or the cluster's databases (no password
    // here: libpq reads it from the demo's pgpass file); the portal through its API.
    const auto system = [&](const char *name) {
        QJsonObject o{{QStringLiteral("name"), QLatin1String(name)}};
        if (place.postgres()) {
            o.insert(QStringLiteral("kind"), QStringLiteral("postgres"));
            o.insert(QStringLiteral("conninfo"), QStringLiteral("host=127.0.0.1 port=%1 user=syncdesk dbname=%2 %3")
                                                     .arg(place.pgPort).arg(QLatin1String(name), place.passfileOption()));
        } else {
            o.insert(QStringLiteral("kind"), QStringLiteral("sqlite"));
            o.insert(QStringLiteral("path"), QLatin1String(name) + QStringLiteral(".db"));
        }
        return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
    };
    const QString portal = QString::fromUtf8(
        QJsonDocument(QJsonObject{{QStringLiteral("name"), QStringLiteral("portal")},
                                  {QStringLiteral("kind"), QStringLiteral("http")},
                                  {QStringLiteral("base_url"), QStringLiteral("http://127.0.0.1:%1").arg(place.portalApiPort)},
                                  {QStringLiteral("max_requests_per_second"), 50}})
            .toJson(QJsonDocument::Compact));
    ws.write(QStringLiteral(R"({"version": 1,
 "systems": [
   %1,
   %2,
   %3],
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
    "target": {"system": "portal", "resource": "catalog?_limit=100",
               "updated_at": "updated_at", "updated_since_param": "updated_at_gte",
               "write": {"condition": "etag"}},
    "key": ["sku"],
    "fields": ["model", "grade", "price_cents"],
    "direction": "one-way", "sla_seconds": 90, "policy": "manual"}]}
)").arg(system("warehouse"), system("sales"), portal).toUtf8());
    return path;
}

} // namespace syncdesk

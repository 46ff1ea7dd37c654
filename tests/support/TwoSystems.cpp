#include "TwoSystems.h"

#include "TestPostgres.h"
#include "TestSqlite.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace testsupport {

bool TestSystem::exec(const QStringList &statements, QString *error) const
{
    if (backend == Backend::Postgres)
        return pgExec(conninfo, statements.join(QStringLiteral(";\n")), error);
    return sqliteExec(path, statements, error);
}

syncdesk::SystemSpec TestSystem::spec(const QString &name) const
{
    syncdesk::SystemSpec s;
    s.name = name;
    s.kind = backend == Backend::Postgres ? syncdesk::SystemKind::Postgres
                                          : syncdesk::SystemKind::Sqlite;
    s.conninfo = conninfo;
    s.path = path;
    return s;
}

QStringList pairingNames()
{
    return {QStringLiteral("pg->pg"), QStringLiteral("pg->sqlite"), QStringLiteral("sqlite->pg"),
            QStringLiteral("sqlite->sqlite")};
}

bool makePairing(const QString &pairing, const QString &tag, const QString &dir,
                 TestSystem *source, TestSystem *target, QString *error)
{
    // Databases and files are made once per test process; tests use fresh table names.
    static QSet<QString> made;
    const QStringList kinds = pairing.split(QStringLiteral("->"));
    TestSystem *sides[2] = {source, target};
    const char *suffix[2] = {"src", "dst"};
    for (int i = 0; i < 2; ++i) {
        const QString name = QStringLiteral("%1_%2").arg(tag, QLatin1String(suffix[i]));
        if (kinds.value(i) == u"pg") {
            sides[i]->backend = Backend::Postgres;
            sides[i]->conninfo = fixtureConninfo(error).replace(QStringLiteral("dbname=postgres"),
                                                                QStringLiteral("dbname=") + name);
            if (sides[i]->conninfo.isEmpty())
                return false;
            if (!made.contains(name) && !createDatabase(name, &sides[i]->conninfo, error))
                return false;
        } else {
            sides[i]->backend = Backend::Sqlite;
            sides[i]->path = QDir(dir).absoluteFilePath(name + QStringLiteral(".db"));
            if (!made.contains(name))
                QFile::remove(sides[i]->path);
        }
        made.insert(name);
    }
    return true;
}

syncdesk::Workspace makeWorkspace(const TestSystem &source, const TestSystem &target,
                                  const QString &table, const QStringList &key,
                                  const QStringList &fields)
{
    syncdesk::Workspace ws;
    ws.systems = {source.spec(QStringLiteral("src")), target.spec(QStringLiteral("dst"))};
    syncdesk::FlowSpec f;
    f.name = QStringLiteral("f");
    f.source = {QStringLiteral("src"), {QString(), table}, {}};
    f.target = {QStringLiteral("dst"), {QString(), table}, {}};
    for (const QString &k : key)
        f.key.append({k, k});
    for (const QString &c : fields)
        f.fields.append({c, c});
    ws.flows = {f};
    return ws;
}

QByteArray workspaceJson(const TestSystem &source, const TestSystem &target, const QString &table,
                         const QStringList &key, const QStringList &fields)
{
    auto system = [](const TestSystem &s, const QString &name) {
        QJsonObject o{{QStringLiteral("name"), name}};
        if (s.backend == Backend::Postgres) {
            o.insert(QStringLiteral("kind"), QStringLiteral("postgres"));
            o.insert(QStringLiteral("conninfo"), s.conninfo);
        } else {
            o.insert(QStringLiteral("kind"), QStringLiteral("sqlite"));
            o.insert(QStringLiteral("path"), s.path);
        }
        return o;
    };
    const QJsonObject flow{
        {QStringLiteral("name"), QStringLiteral("f")},
        {QStringLiteral("source"), QJsonObject{{QStringLiteral("system"), QStringLiteral("src")},
                                               {QStringLiteral("table"), table}}},
        {QStringLiteral("target"), QJsonObject{{QStringLiteral("system"), QStringLiteral("dst")},
                                               {QStringLiteral("table"), table}}},
        {QStringLiteral("key"), QJsonArray::fromStringList(key)},
        {QStringLiteral("fields"), QJsonArray::fromStringList(fields)},
        {QStringLiteral("direction"), QStringLiteral("one-way")},
        {QStringLiteral("sla_seconds"), 300},
        {QStringLiteral("policy"), QStringLiteral("manual")}};
    const QJsonObject root{{QStringLiteral("version"), 1},
                           {QStringLiteral("systems"),
                            QJsonArray{system(source, QStringLiteral("src")),
                                       system(target, QStringLiteral("dst"))}},
                           {QStringLiteral("flows"), QJsonArray{flow}}};
    return QJsonDocument(root).toJson();
}

} // namespace testsupport

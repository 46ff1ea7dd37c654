#include "SystemProbe.h"

#include "connectors/ConnectorFactory.h"
#include "connectors/HttpClient.h"
#include "connectors/HttpConnector.h"

#include <QtConcurrent/QtConcurrentRun>

namespace syncdesk {

namespace {

template<typename T, typename F>
QFuture<Fallible<T>> withConnector(const SystemSpec &system, F ask)
{
    return QtConcurrent::run([system, ask] {
        return fallible<T>([&] {
            const auto connector = makeConnector(system);
            connector->open();
            return ask(*connector);
        });
    });
}

} // namespace

QFuture<Fallible<QList<TableRef>>> SystemProbe::tables(const SystemSpec &system)
{
    return withConnector<QList<TableRef>>(system, [](Connector &c) { return c.tables(); });
}

QFuture<Fallible<QString>> SystemProbe::accepts(const SystemSpec &system, const std::optional<TableRef> &resource)
{
    return QtConcurrent::run([system, resource] {
        return fallible<QString>([&] {
            HttpConnector connector(system);
            if (resource) {
                const QStringList members = connector.columns(*resource);
                return QStringLiteral("GET %1 answered with records of %2 member(s)")
                    .arg(resource->http ? resource->http->resource : resource->display(), QString::number(members.size()));
            }
            const QUrl base = connector.client().resolve(QString());
            (void)connector.client().get(base);
            return QStringLiteral("GET %1 answered").arg(base.path().isEmpty() ? QStringLiteral("/") : base.path());
        });
    });
}

QFuture<Fallible<QStringList>> SystemProbe::columns(const SystemSpec &system, const TableRef &table)
{
    return withConnector<QStringList>(system, [table](Connector &c) { return c.columns(table); });
}

} // namespace syncdesk

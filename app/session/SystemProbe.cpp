#include "SystemProbe.h"

#include "connectors/ConnectorFactory.h"

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

QFuture<Fallible<QStringList>> SystemProbe::columns(const SystemSpec &system, const TableRef &table)
{
    return withConnector<QStringList>(system, [table](Connector &c) { return c.columns(table); });
}

} // namespace syncdesk

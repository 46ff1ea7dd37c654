#include "engine/DeskStatus.h"
#include "team/ConsoleSnapshot.h"
#include "team/FlowGroups.h"

#include <QTest>

using namespace syncdesk;

// How a team's desk divides among agents (FlowGroups), and how the rows their engines write
// are put back together for `status` and attached consoles (DeskStatus::merged,
// ConsoleSnapshot::merged).
class TestFlowGroups : public QObject
{
    Q_OBJECT

    static FlowSpec flow(const QString &name, const QString &source, const QString &target)
    {
        FlowSpec f;
        f.name = name;
        f.source.system = source;
        f.target.system = target;
        return f;
    }

    static Workspace workspace()
    {
        Workspace ws;
        for (const char *s : {"shop", "books", "crm", "billing", "portal", "ledger", "spare"}) {
            SystemSpec spec;
            spec.name = QString::fromLatin1(s);
            ws.systems.append(spec);
        }
        // orders and refunds share the shop; invoices joins books to billing, and so crm too.
        ws.flows = {flow(QStringLiteral("orders"), QStringLiteral("shop"), QStringLiteral("books")),
                    flow(QStringLiteral("contacts"), QStringLiteral("crm"), QStringLiteral("billing")),
                    flow(QStringLiteral("portal"), QStringLiteral("portal"), QStringLiteral("ledger")),
                    flow(QStringLiteral("refunds"), QStringLiteral("shop"), QStringLiteral("shop")),
                    flow(QStringLiteral("invoices"), QStringLiteral("billing"), QStringLiteral("books"))};
        return ws;
    }

private slots:
    // Given flows linked through shared systems, when grouped, then each group holds exactly the
    // flows that share a feed with one another, named after its first flow, in workspace order.
    void shouldGroupFlowsThatShareASystem()
    {
        const QList<FlowGroup> groups = FlowGroups::of(workspace());
        QCOMPARE(groups.size(), 2);
        QCOMPARE(groups[0].name, QStringLiteral("orders"));
        QCOMPARE(groups[0].flows, (QStringList{QStringLiteral("orders"), QStringLiteral("contacts"), QStringLiteral("refunds"), QStringLiteral("invoices")}));
        QCOMPARE(groups[1].name, QStringLiteral("portal"));
        QCOMPARE(groups[1].flows, QStringList{QStringLiteral("portal")});
        // A lease per flow: a group is its flows' rows, taken all at once.
        QCOMPARE(groups[1].leases(), QStringList{QStringLiteral("flow/portal")});
        QCOMPARE(FlowGroups::flowOf(QStringLiteral("flow/portal")), QStringLiteral("portal"));
        QCOMPARE(FlowGroups::flowOf(QStringLiteral("agent/x")), QString());

        Workspace apart = workspace();
        apart.flows.removeLast(); // without invoices, crm and billing stand alone
        const QList<FlowGroup> three = FlowGroups::of(apart);
        QCOMPARE(three.size(), 3);
        QCOMPARE(three[1].name, QStringLiteral("contacts"));
    }

    // Given an agent's leases, when its share is cut out, then its engine sees only those flows
    // and the systems they use (no feed on another agent's systems).
    void shouldCutTheWorkspaceToAShare()
    {
        const Workspace share = FlowGroups::subset(workspace(), {QStringLiteral("portal")});
        QCOMPARE(share.flows.size(), 1);
        QCOMPARE(share.flows[0].name, QStringLiteral("portal"));
        QStringList systems;
        for (const SystemSpec &s : share.systems)
            systems << s.name;
        QCOMPARE(systems, (QStringList{QStringLiteral("portal"), QStringLiteral("ledger")}));
    }

    // Given two agents' rows and a stale one from before a take-over, when merged, then each
    // flow is what the latest row holding it says, in the workspace's order, and the whole is as
    // old as the oldest row it used.
    void shouldMergeTheAgentsDeskStatuses()
    {
        const auto row = [](qint64 at, const QString &flowName, qint64 pending, const QString &system) {
            DeskStatus d;
            d.takenAtMs = at;
            DeskStatus::Flow f;
            f.name = flowName;
            f.state = QStringLiteral("live");
            f.counts[size_t(RecordStatus::Pending)] = pending;
            d.flows.append(f);
            DeskStatus::System s;
            s.name = system;
            s.connected = true;
            d.systems.append(s);
            return std::pair{at, d.toJson()};
        };
        const QList<std::pair<qint64, QByteArray>> rows{row(3000, QStringLiteral("orders"), 7, QStringLiteral("shop")),
                                                        row(2000, QStringLiteral("portal"), 1, QStringLiteral("portal")),
                                                        row(1000, QStringLiteral("orders"), 99, QStringLiteral("shop"))};
        const auto merged = DeskStatus::merged(rows, {QStringLiteral("portal"), QStringLiteral("orders")});
        QVERIFY(merged);
        QCOMPARE(merged->flows.size(), 2);
        QCOMPARE(merged->flows[0].name, QStringLiteral("portal"));
        QCOMPARE(merged->flows[1].count(RecordStatus::Pending), 7); // the latest row's word
        QCOMPARE(merged->systems.size(), 2);
        QCOMPARE(merged->takenAtMs, 2000); // the stale row was not used
        // A flow that is no longer in the workspace is not shown.
        QCOMPARE(DeskStatus::merged(rows, {QStringLiteral("orders")})->takenAtMs, 3000);
        QVERIFY(!DeskStatus::merged({}, {QStringLiteral("orders")}));
    }

    void shouldMergeTheAgentsConsoleSnapshots()
    {
        const auto row = [](qint64 at, const QString &flowName, const QString &error) {
            FlowSnapshot f;
            f.name = flowName;
            f.error = error;
            return std::pair{at, ConsoleSnapshot{{f}, {}}.toJson()};
        };
        const auto merged = ConsoleSnapshot::merged({row(3000, QStringLiteral("orders"), QString()),
                                                     row(2000, QStringLiteral("portal"), QString()),
                                                     row(1000, QStringLiteral("orders"), QStringLiteral("gone"))});
        QVERIFY(merged);
        QCOMPARE(merged->flows.size(), 2);
        QCOMPARE(merged->flows[0].error, QString()); // the latest row's word
        QCOMPARE(merged->flows[1].name, QStringLiteral("portal"));
        // The agent of portal went silent while the other writes: its flow says so.
        const auto later = ConsoleSnapshot::merged({row(30000, QStringLiteral("orders"), QString()),
                                                    row(2000, QStringLiteral("portal"), QString())},
                                                   30000 - 10000);
        QCOMPARE(later->flows[0].error, QString());
        QVERIFY2(later->flows[1].error.startsWith(QStringLiteral("no agent has written this flow since")),
                 qPrintable(later->flows[1].error));
    }
};

QTEST_GUILESS_MAIN(TestFlowGroups)
#include "tst_flowgroups.moc"

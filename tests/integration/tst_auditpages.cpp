#include "TestSqlite.h"
#include "audit/AuditExport.h"
#include "audit/AuditVerifier.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;

// A long-lived desk's audit log as the console reads it: a page at a time, newest first, and
// the chain checked only from where this console last verified it, yet never fooled by a log
// rewritten or cut behind that point.
class TestAuditPages : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;

    std::unique_ptr<StateStore> fresh(QString *path)
    {
        Workspace ws;
        ws.state = *path = m_dir.filePath(QStringLiteral("state%1.db").arg(++m_case));
        return StateStore::open(ws);
    }

    // Resolution n of flow `flow` by `who`: its intent and outcome.
    static QList<QJsonObject> resolution(int n, const QString &flow, const QString &who)
    {
        const QString id = QStringLiteral("r%1").arg(n);
        const QJsonArray key{QStringLiteral("K%1").arg(n)};
        return {QJsonObject{{QStringLiteral("type"), QStringLiteral("intent")}, {QStringLiteral("id"), id},
                            {QStringLiteral("flow"), flow}, {QStringLiteral("key"), key},
                            {QStringLiteral("operator"), who}},
                QJsonObject{{QStringLiteral("type"), QStringLiteral("outcome")}, {QStringLiteral("id"), id},
                            {QStringLiteral("flow"), flow}, {QStringLiteral("key"), key},
                            {QStringLiteral("outcome"), QStringLiteral("applied")}}};
    }

    static QList<qint64> seqs(const QList<AuditEntry> &entries)
    {
        QList<qint64> out;
        for (const AuditEntry &e : entries)
            out << e.seq;
        return out;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // Given 20 resolutions (40 entries) over two flows and two operators, pages of 6 come
    // newest first by flow, then older ones until the start; an operator's page holds their
    // intents and those intents' outcomes only.
    void shouldReadTheLogAPageAtATime()
    {
        QString path;
        const auto store = fresh(&path);
        for (int n = 1; n <= 20; ++n)
            store->appendAudits(resolution(n, n % 2 ? QStringLiteral("a") : QStringLiteral("b"),
                                           n <= 10 ? QStringLiteral("ana") : QStringLiteral("bob")));

        AuditFilter a;
        a.flow = QStringLiteral("a"); // odd resolutions: entries 1,2, 5,6, 9,10, …, 37,38
        AuditPage page = selectAuditPage(*store, a, 0, 6);
        QCOMPARE(seqs(page.entries), (QList<qint64>{29, 30, 33, 34, 37, 38}));
        QCOMPARE(page.olderFrom, 29);
        page = selectAuditPage(*store, a, page.olderFrom, 6);
        QCOMPARE(seqs(page.entries), (QList<qint64>{17, 18, 21, 22, 25, 26}));
        page = selectAuditPage(*store, a, page.olderFrom, 100);
        QCOMPARE(seqs(page.entries), (QList<qint64>{1, 2, 5, 6, 9, 10, 13, 14}));
        QCOMPARE(page.olderFrom, 0);

        AuditFilter ana;
        ana.operatorName = QStringLiteral("ana"); // resolutions 1..10: entries 1..20
        page = selectAuditPage(*store, ana, 0, 4);
        QCOMPARE(seqs(page.entries), (QList<qint64>{17, 18, 19, 20}));
        // The same entries a whole pass selects, page after page.
        QList<qint64> paged;
        for (qint64 before = 0;;) {
            const AuditPage p = selectAuditPage(*store, ana, before, 3);
            paged = seqs(p.entries) + paged;
            if (p.olderFrom == 0)
                break;
            before = p.olderFrom;
        }
        QCOMPARE(paged, seqs(selectAuditEntries(*store, ana)));
    }

    // Given a console that verified the chain once, a later check reads only the new entries
    // and stays intact; a log rewritten and chained again before that point, or cut short,
    // recomputes cleanly but is caught.
    void shouldVerifyOnlyWhatIsNewAndCatchARewrite()
    {
        QString path;
        const auto store = fresh(&path);
        for (int n = 1; n <= 5; ++n)
            store->appendAudits(resolution(n, QStringLiteral("a"), QStringLiteral("ana")));
        VerifiedChain verified;
        ChainCheck c = verified.check(*store);
        QVERIFY(c.intact && c.anchored);
        QCOMPARE(c.entries, 10);
        store->appendAudits(resolution(6, QStringLiteral("a"), QStringLiteral("ana")));
        c = verified.check(*store);
        QVERIFY(c.intact && c.anchored);
        QCOMPARE(c.entries, 12);
        QCOMPARE(c.headHash, store->auditHead().hash);

        // Entry 3 rewritten and every later one chained again: the chain recomputes...
        QString error;
        QByteArray prev = store->auditHashAt(2).hash;
        QStringList rewrite;
        for (const AuditRow &row : store->auditRows(3)) {
            QByteArray entry = row.entry;
            if (row.seq == 3)
                entry.replace("\"ana\"", "\"eve\"");
            const QByteArray hash = StateStore::chainHash(prev, entry);
            rewrite << QStringLiteral("UPDATE audit_log SET entry = '%1', prev_hash = '%2', hash = '%3' WHERE seq = %4")
                           .arg(QString::fromUtf8(entry), QString::fromLatin1(prev), QString::fromLatin1(hash))
                           .arg(row.seq);
            prev = hash;
        }
        QVERIFY2(testsupport::sqliteExec(path, rewrite, &error), qPrintable(error));
        QVERIFY(verifyStoredChain(*store).intact);
        // ...but not into what this console verified.
        c = verified.check(*store);
        QVERIFY(!c.anchored);
        QVERIFY2(c.anchorProblem.contains(u"entry 12 is not the entry verified earlier"), qPrintable(c.anchorProblem));

        // An entry edited without touching the hashes: only a full check recomputes it.
        VerifiedChain third;
        QVERIFY(third.check(*store).intact);
        QVERIFY2(testsupport::sqliteExec(path, {QStringLiteral("UPDATE audit_log SET entry = replace(entry, 'eve', 'mallory') "
                                                               "WHERE seq = 3")},
                                         &error),
                 qPrintable(error));
        QVERIFY(third.check(*store).intact); // what is new since: nothing
        c = third.check(*store, true);
        QVERIFY(!c.intact);
        QCOMPARE(c.badSeq, 3);

        // A fresh console, then the last entries deleted.
        QVERIFY2(testsupport::sqliteExec(path, {QStringLiteral("UPDATE audit_log SET entry = replace(entry, 'mallory', 'eve') "
                                                               "WHERE seq = 3")},
                                         &error),
                 qPrintable(error));
        VerifiedChain another;
        QVERIFY(another.check(*store).anchored);
        QVERIFY2(testsupport::sqliteExec(path, {QStringLiteral("DELETE FROM audit_log WHERE seq > 9")}, &error),
                 qPrintable(error));
        QVERIFY(verifyStoredChain(*store).intact);
        c = another.check(*store);
        QVERIFY(!c.anchored);
        QVERIFY2(c.anchorProblem.contains(u"entry 12, verified earlier by this console, is gone"),
                 qPrintable(c.anchorProblem));
    }
};

QTEST_GUILESS_MAIN(TestAuditPages)

#include "tst_auditpages.moc"

#include "engine/HashJoin.h"
#include "model/SyncError.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace syncdesk;

// HashJoin against a plain std::map: random keys on both sides in random orders, shared,
// changed and one-sided records, in memory and spilled, with and without unique keys.
class TestHashJoin : public QObject
{
    Q_OBJECT

    struct Row
    {
        std::string key;
        quint64 hash;
        quint64 field;
    };

    struct Seen
    {
        bool source = false;
        bool target = false;
        quint64 sourceHash = 0;
        quint64 targetHash = 0;
        std::string display;
        quint64 sourceField = 0;
        quint64 targetField = 0;
        int calls = 0;
    };

    static void toBatches(const std::vector<Row> &rows, std::vector<ScanBatch> &out)
    {
        out.clear();
        for (size_t i = 0; i < rows.size(); ++i) {
            if (i % 97 == 0)
                out.emplace_back();
            ScanBatch &b = out.back();
            b.keys += rows[i].key;
            b.keyEnds.push_back(quint32(b.keys.size()));
            b.rowHashes.push_back(rows[i].hash);
            b.fieldHashes.push_back(rows[i].field);
            b.displayKeys += "[\"" + rows[i].key + "\"]";
            b.displayEnds.push_back(quint32(b.displayKeys.size()));
        }
    }

private slots:
    void shouldPairExactlyLikeAMap_data()
    {
        QTest::addColumn<quint32>("seed");
        QTest::addColumn<qint64>("budget");
        QTest::addColumn<bool>("unique");
        for (const quint32 seed : {1u, 2u, 3u}) {
            QTest::newRow(qPrintable(QStringLiteral("seed %1 in memory").arg(seed))) << seed << qint64(1) << false;
            QTest::newRow(qPrintable(QStringLiteral("seed %1 in memory, unique").arg(seed))) << seed << qint64(1) << true;
            QTest::newRow(qPrintable(QStringLiteral("seed %1 spilled").arg(seed))) << seed << qint64(0) << false;
            QTest::newRow(qPrintable(QStringLiteral("seed %1 spilled, unique").arg(seed))) << seed << qint64(0) << true;
        }
    }

    void shouldPairExactlyLikeAMap()
    {
        QFETCH(quint32, seed);
        QFETCH(qint64, budget);
        QFETCH(bool, unique);
        QRandomGenerator rng(seed);
        std::map<std::string, Seen> truth;
        std::vector<Row> source, target;
        for (int i = 0; i < 20000; ++i) {
            // Keys of varied length, some differing only in a trailing byte or in case.
            std::string key = "k" + std::to_string(rng.bounded(1000000));
            if (rng.bounded(10) == 0)
                key += rng.bounded(2) ? " " : "\x01";
            if (truth.count(key))
                continue;
            const quint64 h = rng.generate64();
            Seen &s = truth[key];
            s.display = "[\"" + key + "\"]";
            const int kind = int(rng.bounded(10)); // 0: source only, 1: target only, 2: changed
            if (kind != 1) {
                source.push_back({key, h, h ^ 1});
                s.source = true;
                s.sourceHash = h;
                s.sourceField = h ^ 1;
            }
            if (kind != 0) {
                const quint64 t = kind == 2 ? h + 1 : h;
                target.push_back({key, t, t ^ 1});
                s.target = true;
                s.targetHash = t;
                s.targetField = t ^ 1;
            }
        }
        std::shuffle(source.begin(), source.end(), std::mt19937(seed));
        std::shuffle(target.begin(), target.end(), std::mt19937(seed + 100));

        HashJoin::Options o;
        o.fieldCount = 1;
        o.keepDisplayKeys = true;
        o.uniqueKeys = unique;
        o.memoryBudgetBytes = budget ? HashJoin::DefaultMemoryBudgetBytes : 64 * 1024;
        std::map<std::string, Seen> got;
        HashJoin join(o, [&](const HashJoin::Record *s, const HashJoin::Record *t) {
            const HashJoin::Record *any = s ? s : t;
            Seen &g = got[std::string(any->key)];
            ++g.calls;
            g.display = std::string(any->display);
            if (s) {
                g.source = true;
                g.sourceHash = s->rowHash;
                g.sourceField = s->fields ? s->fields[0] : 0;
            }
            if (t) {
                g.target = true;
                g.targetHash = t->rowHash;
                g.targetField = t->fields ? t->fields[0] : 0;
            }
        });
        std::vector<ScanBatch> a, b;
        toBatches(source, a);
        toBatches(target, b);
        // Both sides in turn, at uneven paces, as the reconciler feeds it.
        size_t i = 0, j = 0;
        while (i < a.size() || j < b.size()) {
            for (int n = int(rng.bounded(3)); n >= 0 && i < a.size(); --n)
                join.add(true, a[i++]);
            if (j < b.size())
                join.add(false, b[j++]);
        }
        join.finish();
        QCOMPARE(join.spilledPartitions() > 0, budget == 0);
        QCOMPARE(got.size(), truth.size());
        for (const auto &[key, want] : truth) {
            const auto it = got.find(key);
            QVERIFY2(it != got.end(), key.c_str());
            const Seen &g = it->second;
            QCOMPARE(g.calls, 1); // each record reported exactly once
            QCOMPARE(g.source, want.source);
            QCOMPARE(g.target, want.target);
            QCOMPARE(g.display, want.display);
            if (want.source) {
                QCOMPARE(g.sourceHash, want.sourceHash);
                QCOMPARE(g.sourceField, want.sourceField);
            }
            if (want.target) {
                QCOMPARE(g.targetHash, want.targetHash);
                QCOMPARE(g.targetField, want.targetField);
            }
        }
    }

    // A key twice on one side is an error, whether its first row is waiting, matched, or on disk.
    void shouldRefuseADuplicateKey_data()
    {
        QTest::addColumn<bool>("matchedFirst");
        QTest::addColumn<bool>("spilled");
        QTest::newRow("waiting") << false << false;
        QTest::newRow("matched") << true << false;
        QTest::newRow("matched, spilled") << true << true;
    }

    void shouldRefuseADuplicateKey()
    {
        QFETCH(bool, matchedFirst);
        QFETCH(bool, spilled);
        HashJoin::Options o;
        o.sourceLabel = QStringLiteral("source t");
        o.memoryBudgetBytes = spilled ? 1 : HashJoin::DefaultMemoryBudgetBytes;
        HashJoin join(o, [](const HashJoin::Record *, const HashJoin::Record *) {});
        std::vector<ScanBatch> one, dup, other;
        toBatches({{"dup", 1, 0}}, one);
        toBatches({{"dup", 2, 0}}, dup);
        toBatches({{"dup", 1, 0}}, other);
        try {
            join.add(true, one[0]);
            if (matchedFirst)
                join.add(false, other[0]);
            join.add(true, dup[0]);
            join.finish();
        } catch (const SyncError &e) {
            QVERIFY2(e.message().contains(QLatin1String("source t has more than one row with key 'dup'")),
                     qPrintable(e.message()));
            return;
        }
        QFAIL("a duplicate key was accepted");
    }
};

QTEST_GUILESS_MAIN(TestHashJoin)
#include "tst_hashjoin.moc"

// Unit tests for the record status (DESIGN.md, "Record status — one pure function"):
// classify(), pendingAgeMs() and classifyField(). The exhaustive tables compare the code with
// an oracle written here from the DESIGN table, rule by rule, in the table's order.

#include "model/Classify.h"
#include "model/RecordState.h"
#include "model/RecordStatus.h"
#include "model/Workspace.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QtTest>

#include <optional>

Q_DECLARE_METATYPE(syncdesk::RecordState)
Q_DECLARE_METATYPE(syncdesk::Direction)
Q_DECLARE_METATYPE(syncdesk::RecordStatus)
Q_DECLARE_METATYPE(syncdesk::FieldChange)
Q_DECLARE_METATYPE(syncdesk::FieldText)
Q_DECLARE_METATYPE(std::optional<syncdesk::FieldText>)

using namespace syncdesk;

namespace {

// ---- vocabulary -----------------------------------------------------------------------------

constexpr qint64 kNow = 1'700'000'000'000;
constexpr int kSlaSeconds = 300;
constexpr qint64 kSlaMs = qint64(kSlaSeconds) * 1000;

constexpr quint64 kHashA = 0xA1A1A1A1;
constexpr quint64 kHashB = 0xB2B2B2B2;
constexpr quint64 kHashC = 0xC3C3C3C3;

const RowHash kAbsent = std::nullopt;
const RowHash kA = kHashA;
const RowHash kB = kHashB;
const RowHash kC = kHashC;

// Baselines: unknown (first comparison), "absent" (agreed the record did not exist), a row.
const std::optional<RowHash> kNoBaseline = std::nullopt;
const std::optional<RowHash> kBaselineAbsent = std::optional<RowHash>(RowHash{});
const std::optional<RowHash> kBaselineA = std::optional<RowHash>(kA);

RecordState record(RowHash source, RowHash target, std::optional<RowHash> baseline,
                   qint64 sourceChangedAtMs = 0, qint64 targetChangedAtMs = 0)
{
    RecordState r;
    r.source = source;
    r.target = target;
    r.baseline = baseline;
    r.sourceChangedAtMs = sourceChangedAtMs;
    r.targetChangedAtMs = targetChangedAtMs;
    return r;
}

// A change time `agoMs` before kNow.
qint64 ago(qint64 agoMs)
{
    return kNow - agoMs;
}

QString fieldChangeName(FieldChange change)
{
    switch (change) {
    case FieldChange::Unchanged: return QStringLiteral("Unchanged");
    case FieldChange::ChangedAtSource: return QStringLiteral("ChangedAtSource");
    case FieldChange::ChangedAtTarget: return QStringLiteral("ChangedAtTarget");
    case FieldChange::ChangedOnBoth: return QStringLiteral("ChangedOnBoth");
    case FieldChange::Differs: return QStringLiteral("Differs");
    }
    return QStringLiteral("?");
}

// ---- the exhaustive grid ------------------------------------------------------------------

struct SideCase
{
    const char *name;
    RowHash hash;
};
const SideCase kSideCases[] = {{"absent", kAbsent}, {"A", kA}, {"B", kB}, {"C", kC}};

struct BaselineCase
{
    const char *name;
    std::optional<RowHash> baseline;
};
const BaselineCase kBaselineCases[] = {
    {"unknown", kNoBaseline}, {"absent", kBaselineAbsent}, {"A", kBaselineA}};

struct DirectionCase
{
    const char *name;
    Direction direction;
};
const DirectionCase kDirectionCases[] = {{"one-way", Direction::OneWay},
                                         {"two-way", Direction::TwoWay}};

struct TimeCase
{
    const char *name;
    qint64 changedAtMs;
};
// Change times of each side: well within the SLA, 1 ms past it, unknown (0).
const TimeCase kTimeCases[] = {
    {"within-sla", ago(kSlaMs / 3)}, {"past-sla", ago(kSlaMs + 1)}, {"unknown", 0}};

// ---- the oracle: DESIGN.md's table, one rule a line -----------------------------------------

struct Expectation
{
    QList<RecordStatus> matchingRules; // exactly one, or the DESIGN table is ambiguous here
    qint64 waitedMs = 0;               // what pendingAgeMs must say
};

Expectation expectFromDesign(const RecordState &r, qint64 nowMs, Direction direction,
                             int slaSeconds)
{
    const bool baselineKnown = r.baseline.has_value();
    const bool sourcePresent = r.source.has_value();
    const bool targetPresent = r.target.has_value();
    const bool hashesEqual = r.source == r.target;
    const bool sourceAtBaseline = baselineKnown && *r.baseline == r.source;
    const bool targetAtBaseline = baselineKnown && *r.baseline == r.target;
    const bool sourceChanged = baselineKnown && !sourceAtBaseline;
    const bool targetChanged = baselineKnown && !targetAtBaseline;
    const bool oneWay = direction == Direction::OneWay;

    // A change on its way: made on the source after the baseline (or new there) while the
    // target is still at the baseline (or absent, as the baseline says); in a two-way flow the
    // same holds the other way round. Its age is counted from the changing side's time.
    std::optional<qint64> changedAtMs;
    if (sourceChanged && targetAtBaseline)
        changedAtMs = r.sourceChangedAtMs;
    if (!oneWay && targetChanged && sourceAtBaseline)
        changedAtMs = r.targetChangedAtMs;
    const bool inFlight = changedAtMs.has_value();
    const bool timeKnown = inFlight && *changedAtMs != 0; // 0 = unknown: never late
    const bool pastSla = timeKnown && nowMs - *changedAtMs > qint64(slaSeconds) * 1000;

    struct Rule
    {
        RecordStatus status;
        bool applies;
    };
    const Rule rules[] = {
        // in_sync: both present, hashes equal (both gone is nothing left to carry either)
        {RecordStatus::InSync, hashesEqual},
        // pending: a change on its way, now − changedAt ≤ SLA (or unknown)
        {RecordStatus::Pending, inFlight && !pastSla},
        // late: as pending, but past the SLA
        {RecordStatus::Late, inFlight && pastSla},
        // conflict: source ≠ baseline, target ≠ baseline, source ≠ target
        {RecordStatus::Conflict, sourceChanged && targetChanged && !hashesEqual},
        // target_drift: one-way flow, target changed, source still at the baseline
        {RecordStatus::TargetDrift, oneWay && targetChanged && sourceAtBaseline},
        // missing_in_target / missing_in_source: one side only, no baseline
        {RecordStatus::MissingInTarget, !baselineKnown && sourcePresent && !targetPresent},
        {RecordStatus::MissingInSource, !baselineKnown && !sourcePresent && targetPresent},
        // different: both present, hashes differ, no baseline
        {RecordStatus::Different,
         !baselineKnown && sourcePresent && targetPresent && !hashesEqual},
    };

    Expectation e;
    for (const Rule &rule : rules) {
        if (rule.applies)
            e.matchingRules.append(rule.status);
    }
    if (inFlight && timeKnown)
        e.waitedMs = nowMs - *changedAtMs;
    return e;
}

QString describe(const QList<RecordStatus> &statuses)
{
    QStringList names;
    for (RecordStatus s : statuses)
        names.append(statusName(s));
    return names.join(QStringLiteral(", "));
}

// The three-way field view, stated as a reader would: with no baseline only equality counts;
// with one, equal values need nothing, and otherwise the side that left the baseline changed.
FieldChange expectFieldFromDesign(const FieldText &source, const FieldText &target,
                                  const std::optional<FieldText> &baseline)
{
    if (!baseline.has_value())
        return source == target ? FieldChange::Unchanged : FieldChange::Differs;
    if (source == target)
        return FieldChange::Unchanged;
    if (source == *baseline)
        return FieldChange::ChangedAtTarget;
    if (target == *baseline)
        return FieldChange::ChangedAtSource;
    return FieldChange::ChangedOnBoth;
}

struct FieldCase
{
    const char *name;
    FieldText text;
};
const FieldCase kFieldCases[] = {{"NULL", std::nullopt},
                                 {"empty", QByteArray("")},
                                 {"a", QByteArray("a")},
                                 {"b", QByteArray("b")}};

} // namespace

class TestClassify : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void shouldMatchTheDesignTableForEveryCombination_data();
    void shouldMatchTheDesignTableForEveryCombination();
    void shouldTellTheStoriesOfTheDesign_data();
    void shouldTellTheStoriesOfTheDesign();
    void shouldBeLateOnlyPastTheSla_data();
    void shouldBeLateOnlyPastTheSla();
    void shouldOnlySayFirstComparisonStatusesWithoutBaseline();

    void shouldMeasureHowLongAChangeHasWaited_data();
    void shouldMeasureHowLongAChangeHasWaited();

    void shouldClassifyFieldsAgainstTheBaseline_data();
    void shouldClassifyFieldsAgainstTheBaseline();
    void shouldClassifyEveryFieldCombination_data();
    void shouldClassifyEveryFieldCombination();
};

void TestClassify::initTestCase()
{
    // The test's own vocabulary: "baseline absent" is a known baseline holding no row.
    QVERIFY(kBaselineAbsent.has_value());
    QVERIFY(!kBaselineAbsent->has_value());
    QVERIFY(!kNoBaseline.has_value());
    QCOMPARE(**kBaselineA, kHashA);
}

// ---- classify(): every combination ---------------------------------------------------------

void TestClassify::shouldMatchTheDesignTableForEveryCombination_data()
{
    QTest::addColumn<RecordState>("state");
    QTest::addColumn<Direction>("direction");

    for (const SideCase &source : kSideCases) {
        for (const SideCase &target : kSideCases) {
            for (const BaselineCase &baseline : kBaselineCases) {
                for (const DirectionCase &direction : kDirectionCases) {
                    for (const TimeCase &sourceTime : kTimeCases) {
                        for (const TimeCase &targetTime : kTimeCases) {
                            const QByteArray name =
                                QByteArray("src=") + source.name + " tgt=" + target.name
                                + " base=" + baseline.name + ' ' + direction.name
                                + " src@" + sourceTime.name + " tgt@" + targetTime.name;
                            QTest::newRow(name.constData())
                                << record(source.hash, target.hash, baseline.baseline,
                                          sourceTime.changedAtMs, targetTime.changedAtMs)
                                << direction.direction;
                        }
                    }
                }
            }
        }
    }
}

void TestClassify::shouldMatchTheDesignTableForEveryCombination()
{
    QFETCH(RecordState, state);
    QFETCH(Direction, direction);

    // Given the DESIGN table's verdict for this record, exactly one rule applying
    const Expectation expected = expectFromDesign(state, kNow, direction, kSlaSeconds);
    QVERIFY2(expected.matchingRules.size() == 1,
             qPrintable(QStringLiteral("rules matching: ") + describe(expected.matchingRules)));

    // When the record is classified
    const RecordStatus actual = classify(state, kNow, direction, kSlaSeconds);

    // Then the status is the table's, and so is the waiting time
    QCOMPARE(statusName(actual), statusName(expected.matchingRules.first()));
    QCOMPARE(pendingAgeMs(state, kNow, direction), expected.waitedMs);
}

// ---- classify(): the stories ---------------------------------------------------------------

void TestClassify::shouldTellTheStoriesOfTheDesign_data()
{
    QTest::addColumn<RecordState>("state");
    QTest::addColumn<Direction>("direction");
    QTest::addColumn<RecordStatus>("expected");

    const auto oneWay = Direction::OneWay;
    const auto twoWay = Direction::TwoWay;
    const qint64 recently = ago(60'000);
    const qint64 longAgo = ago(kSlaMs * 10);

    QTest::newRow("update on source is pending")
        << record(kB, kA, kBaselineA, recently) << oneWay << RecordStatus::Pending;
    QTest::newRow("update on source, two-way, is pending")
        << record(kB, kA, kBaselineA, recently) << twoWay << RecordStatus::Pending;
    QTest::newRow("update on source, long ago, is late")
        << record(kB, kA, kBaselineA, longAgo) << oneWay << RecordStatus::Late;
    QTest::newRow("the same change arrives on target: in sync")
        << record(kB, kB, kBaselineA, longAgo, recently) << oneWay << RecordStatus::InSync;
    QTest::newRow("both changed to different values: conflict")
        << record(kB, kC, kBaselineA, recently, recently) << oneWay << RecordStatus::Conflict;
    QTest::newRow("both changed to different values, two-way: conflict")
        << record(kB, kC, kBaselineA, longAgo, longAgo) << twoWay << RecordStatus::Conflict;
    QTest::newRow("both changed to the same value: in sync")
        << record(kB, kB, kBaselineA, recently, recently) << twoWay << RecordStatus::InSync;
    QTest::newRow("one-way, target edited: target drift")
        << record(kA, kB, kBaselineA, longAgo, recently) << oneWay << RecordStatus::TargetDrift;
    QTest::newRow("one-way, target edited long ago: still drift, never late")
        << record(kA, kB, kBaselineA, longAgo, longAgo) << oneWay << RecordStatus::TargetDrift;
    QTest::newRow("two-way, target edited: pending")
        << record(kA, kB, kBaselineA, longAgo, recently) << twoWay << RecordStatus::Pending;
    QTest::newRow("two-way, target edited long ago: late")
        << record(kA, kB, kBaselineA, recently, longAgo) << twoWay << RecordStatus::Late;
    QTest::newRow("SLA exceeded by 1 ms: late")
        << record(kB, kA, kBaselineA, ago(kSlaMs + 1)) << oneWay << RecordStatus::Late;
    QTest::newRow("exactly at the SLA: pending")
        << record(kB, kA, kBaselineA, ago(kSlaMs)) << oneWay << RecordStatus::Pending;
    QTest::newRow("unknown change time: pending, never late")
        << record(kB, kA, kBaselineA, 0, longAgo) << oneWay << RecordStatus::Pending;
    QTest::newRow("new record on source, baseline absent: pending")
        << record(kA, kAbsent, kBaselineAbsent, recently) << oneWay << RecordStatus::Pending;
    QTest::newRow("new record on source, baseline absent, long ago: late")
        << record(kA, kAbsent, kBaselineAbsent, longAgo) << oneWay << RecordStatus::Late;
    QTest::newRow("record deleted on source: pending")
        << record(kAbsent, kA, kBaselineA, recently) << oneWay << RecordStatus::Pending;
    QTest::newRow("record deleted on source long ago: late")
        << record(kAbsent, kA, kBaselineA, longAgo) << oneWay << RecordStatus::Late;
    QTest::newRow("record deleted on both: in sync")
        << record(kAbsent, kAbsent, kBaselineA, recently, recently) << oneWay
        << RecordStatus::InSync;
    QTest::newRow("one-way, record new on target: target drift")
        << record(kAbsent, kA, kBaselineAbsent, 0, recently) << oneWay
        << RecordStatus::TargetDrift;
    QTest::newRow("two-way, record new on target: pending")
        << record(kAbsent, kA, kBaselineAbsent, 0, recently) << twoWay << RecordStatus::Pending;
    QTest::newRow("one-way, record deleted on target: target drift")
        << record(kA, kAbsent, kBaselineA, 0, recently) << oneWay << RecordStatus::TargetDrift;
    QTest::newRow("source changed, target deleted: conflict")
        << record(kB, kAbsent, kBaselineA, recently, recently) << oneWay
        << RecordStatus::Conflict;
    QTest::newRow("first comparison, equal: in sync")
        << record(kA, kA, kNoBaseline) << oneWay << RecordStatus::InSync;
    QTest::newRow("first comparison, hashes differ: different")
        << record(kA, kB, kNoBaseline, longAgo, longAgo) << oneWay << RecordStatus::Different;
    QTest::newRow("first comparison, source only: missing in target")
        << record(kA, kAbsent, kNoBaseline, longAgo) << oneWay << RecordStatus::MissingInTarget;
    QTest::newRow("first comparison, target only: missing in source")
        << record(kAbsent, kA, kNoBaseline, 0, longAgo) << twoWay
        << RecordStatus::MissingInSource;
}

void TestClassify::shouldTellTheStoriesOfTheDesign()
{
    QFETCH(RecordState, state);
    QFETCH(Direction, direction);
    QFETCH(RecordStatus, expected);

    // Given the record of the story, When it is classified
    const RecordStatus actual = classify(state, kNow, direction, kSlaSeconds);

    // Then the story's status comes out
    QCOMPARE(statusName(actual), statusName(expected));
}

// ---- classify(): the SLA boundary ----------------------------------------------------------

void TestClassify::shouldBeLateOnlyPastTheSla_data()
{
    QTest::addColumn<RecordState>("state");
    QTest::addColumn<Direction>("direction");
    QTest::addColumn<int>("slaSeconds");
    QTest::addColumn<RecordStatus>("expected");

    const auto oneWay = Direction::OneWay;
    const auto twoWay = Direction::TwoWay;
    const auto pending = RecordStatus::Pending;
    const auto late = RecordStatus::Late;

    QTest::newRow("changed just now") << record(kB, kA, kBaselineA, ago(0)) << oneWay << 300
                                      << pending;
    QTest::newRow("1 ms old") << record(kB, kA, kBaselineA, ago(1)) << oneWay << 300 << pending;
    QTest::newRow("1 ms before the SLA")
        << record(kB, kA, kBaselineA, ago(299'999)) << oneWay << 300 << pending;
    QTest::newRow("exactly at the SLA")
        << record(kB, kA, kBaselineA, ago(300'000)) << oneWay << 300 << pending;
    QTest::newRow("1 ms past the SLA")
        << record(kB, kA, kBaselineA, ago(300'001)) << oneWay << 300 << late;
    QTest::newRow("a day past the SLA")
        << record(kB, kA, kBaselineA, ago(86'400'000)) << oneWay << 300 << late;
    QTest::newRow("SLA 60 s, exactly at it")
        << record(kB, kA, kBaselineA, ago(60'000)) << oneWay << 60 << pending;
    QTest::newRow("SLA 60 s, 1 ms past it")
        << record(kB, kA, kBaselineA, ago(60'001)) << oneWay << 60 << late;
    QTest::newRow("SLA 0, changed just now")
        << record(kB, kA, kBaselineA, ago(0)) << oneWay << 0 << pending;
    QTest::newRow("SLA 0, 1 ms old") << record(kB, kA, kBaselineA, ago(1)) << oneWay << 0 << late;
    QTest::newRow("SLA 1 day, 1 ms past it")
        << record(kB, kA, kBaselineA, ago(86'400'001)) << oneWay << 86'400 << late;
    QTest::newRow("two-way target change, exactly at the SLA")
        << record(kA, kB, kBaselineA, ago(900'000), ago(300'000)) << twoWay << 300 << pending;
    QTest::newRow("two-way target change, 1 ms past the SLA")
        << record(kA, kB, kBaselineA, ago(1), ago(300'001)) << twoWay << 300 << late;
    QTest::newRow("new on source, exactly at the SLA")
        << record(kA, kAbsent, kBaselineAbsent, ago(300'000)) << oneWay << 300 << pending;
    QTest::newRow("new on source, 1 ms past the SLA")
        << record(kA, kAbsent, kBaselineAbsent, ago(300'001)) << oneWay << 300 << late;
    QTest::newRow("unknown change time, any SLA")
        << record(kB, kA, kBaselineA, 0) << oneWay << 0 << pending;
}

void TestClassify::shouldBeLateOnlyPastTheSla()
{
    QFETCH(RecordState, state);
    QFETCH(Direction, direction);
    QFETCH(int, slaSeconds);
    QFETCH(RecordStatus, expected);

    // Given a change waiting for a known time, When classified against the flow's SLA
    const RecordStatus actual = classify(state, kNow, direction, slaSeconds);

    // Then it is late only once now − changedAt exceeds the SLA
    QCOMPARE(statusName(actual), statusName(expected));
}

// ---- classify(): first comparison ----------------------------------------------------------

void TestClassify::shouldOnlySayFirstComparisonStatusesWithoutBaseline()
{
    const QList<RecordStatus> allowed = {RecordStatus::InSync, RecordStatus::Different,
                                         RecordStatus::MissingInTarget,
                                         RecordStatus::MissingInSource};
    int checked = 0;
    // Given no baseline, whatever the hashes, direction and change times
    for (const SideCase &source : kSideCases) {
        for (const SideCase &target : kSideCases) {
            for (const DirectionCase &direction : kDirectionCases) {
                for (const TimeCase &time : kTimeCases) {
                    const RecordState r = record(source.hash, target.hash, kNoBaseline,
                                                 time.changedAtMs, time.changedAtMs);
                    // When classified
                    const RecordStatus status = classify(r, kNow, direction.direction, 1);
                    // Then only a first-comparison status comes out, and nothing waits
                    QVERIFY2(allowed.contains(status),
                             qPrintable(QStringLiteral("src=%1 tgt=%2 %3: %4")
                                            .arg(QLatin1String(source.name),
                                                 QLatin1String(target.name),
                                                 QLatin1String(direction.name),
                                                 statusName(status))));
                    QCOMPARE(pendingAgeMs(r, kNow, direction.direction), qint64(0));
                    ++checked;
                }
            }
        }
    }
    QCOMPARE(checked, 4 * 4 * 2 * 3);
}

// ---- pendingAgeMs() ------------------------------------------------------------------------

void TestClassify::shouldMeasureHowLongAChangeHasWaited_data()
{
    QTest::addColumn<RecordState>("state");
    QTest::addColumn<Direction>("direction");
    QTest::addColumn<qint64>("expectedMs");

    const auto oneWay = Direction::OneWay;
    const auto twoWay = Direction::TwoWay;

    QTest::newRow("in sync: 0")
        << record(kB, kB, kBaselineA, ago(5'000), ago(7'000)) << oneWay << qint64(0);
    QTest::newRow("in sync, two-way: 0")
        << record(kB, kB, kBaselineA, ago(5'000), ago(7'000)) << twoWay << qint64(0);
    QTest::newRow("no baseline, hashes differ: 0")
        << record(kA, kB, kNoBaseline, ago(5'000), ago(7'000)) << twoWay << qint64(0);
    QTest::newRow("no baseline, missing in target: 0")
        << record(kA, kAbsent, kNoBaseline, ago(5'000)) << oneWay << qint64(0);
    QTest::newRow("one-way drift: 0")
        << record(kA, kB, kBaselineA, ago(5'000), ago(7'000)) << oneWay << qint64(0);
    QTest::newRow("conflict: 0")
        << record(kB, kC, kBaselineA, ago(5'000), ago(7'000)) << twoWay << qint64(0);
    QTest::newRow("pending on source: now - sourceChangedAt")
        << record(kB, kA, kBaselineA, ago(42'000), ago(7'000)) << oneWay << qint64(42'000);
    QTest::newRow("late on source: now - sourceChangedAt")
        << record(kB, kA, kBaselineA, ago(400'000), ago(7'000)) << oneWay << qint64(400'000);
    QTest::newRow("pending on source, two-way: now - sourceChangedAt")
        << record(kB, kA, kBaselineA, ago(42'000), ago(7'000)) << twoWay << qint64(42'000);
    QTest::newRow("two-way target change: now - targetChangedAt")
        << record(kA, kB, kBaselineA, ago(42'000), ago(7'000)) << twoWay << qint64(7'000);
    QTest::newRow("new on source: now - sourceChangedAt")
        << record(kA, kAbsent, kBaselineAbsent, ago(1'234)) << oneWay << qint64(1'234);
    QTest::newRow("deleted on source: now - sourceChangedAt")
        << record(kAbsent, kA, kBaselineA, ago(9'999)) << oneWay << qint64(9'999);
    QTest::newRow("unknown source change time: 0")
        << record(kB, kA, kBaselineA, 0, ago(7'000)) << oneWay << qint64(0);
    QTest::newRow("two-way, unknown target change time: 0")
        << record(kA, kB, kBaselineA, ago(42'000), 0) << twoWay << qint64(0);
    QTest::newRow("changed this very ms: 0")
        << record(kB, kA, kBaselineA, ago(0)) << oneWay << qint64(0);
    QTest::newRow("change time ahead of now (clock skew): 0, never negative")
        << record(kB, kA, kBaselineA, kNow + 5'000) << oneWay << qint64(0);
}

void TestClassify::shouldMeasureHowLongAChangeHasWaited()
{
    QFETCH(RecordState, state);
    QFETCH(Direction, direction);
    QFETCH(qint64, expectedMs);

    // Given a record, When asked how long its change has waited
    const qint64 actual = pendingAgeMs(state, kNow, direction);

    // Then it counts from the changing side's time, and only while pending or late
    QCOMPARE(actual, expectedMs);
}

// ---- classifyField() -----------------------------------------------------------------------

void TestClassify::shouldClassifyFieldsAgainstTheBaseline_data()
{
    QTest::addColumn<FieldText>("source");
    QTest::addColumn<FieldText>("target");
    QTest::addColumn<std::optional<FieldText>>("baseline");
    QTest::addColumn<FieldChange>("expected");

    const FieldText null = std::nullopt;
    const FieldText empty = QByteArray("");
    const FieldText a = QByteArray("a");
    const FieldText b = QByteArray("b");
    const FieldText c = QByteArray("c");
    const std::optional<FieldText> unknown = std::nullopt;
    const auto base = [](const FieldText &t) { return std::optional<FieldText>(t); };

    QTest::newRow("no baseline, equal") << a << a << unknown << FieldChange::Unchanged;
    QTest::newRow("no baseline, differ") << a << b << unknown << FieldChange::Differs;
    QTest::newRow("no baseline, both NULL") << null << null << unknown << FieldChange::Unchanged;
    QTest::newRow("no baseline, both empty") << empty << empty << unknown
                                             << FieldChange::Unchanged;
    QTest::newRow("no baseline, NULL vs empty") << null << empty << unknown
                                                << FieldChange::Differs;
    QTest::newRow("no baseline, empty vs NULL") << empty << null << unknown
                                                << FieldChange::Differs;
    QTest::newRow("baseline, nobody moved") << a << a << base(a) << FieldChange::Unchanged;
    QTest::newRow("baseline, source moved") << b << a << base(a)
                                            << FieldChange::ChangedAtSource;
    QTest::newRow("baseline, target moved") << a << b << base(a)
                                            << FieldChange::ChangedAtTarget;
    QTest::newRow("baseline, both moved apart") << b << c << base(a)
                                                << FieldChange::ChangedOnBoth;
    QTest::newRow("baseline, both moved to the same value")
        << b << b << base(a) << FieldChange::Unchanged;
    QTest::newRow("baseline NULL, source became empty")
        << empty << null << base(null) << FieldChange::ChangedAtSource;
    QTest::newRow("baseline NULL, target became empty")
        << null << empty << base(null) << FieldChange::ChangedAtTarget;
    QTest::newRow("baseline empty, source became NULL")
        << null << empty << base(empty) << FieldChange::ChangedAtSource;
    QTest::newRow("baseline empty, target became NULL")
        << empty << null << base(empty) << FieldChange::ChangedAtTarget;
    QTest::newRow("baseline empty, both became NULL")
        << null << null << base(empty) << FieldChange::Unchanged;
    QTest::newRow("baseline a, one NULL one empty")
        << null << empty << base(a) << FieldChange::ChangedOnBoth;
    QTest::newRow("known NULL baseline is not an unknown one")
        << null << a << base(null) << FieldChange::ChangedAtTarget;
}

void TestClassify::shouldClassifyFieldsAgainstTheBaseline()
{
    QFETCH(FieldText, source);
    QFETCH(FieldText, target);
    QFETCH(std::optional<FieldText>, baseline);
    QFETCH(FieldChange, expected);

    // Given a field's values on both sides and its baseline, When compared
    const FieldChange actual = classifyField(source, target, baseline);

    // Then the change is attributed to the side(s) that left the baseline
    QCOMPARE(fieldChangeName(actual), fieldChangeName(expected));
}

void TestClassify::shouldClassifyEveryFieldCombination_data()
{
    QTest::addColumn<FieldText>("source");
    QTest::addColumn<FieldText>("target");
    QTest::addColumn<std::optional<FieldText>>("baseline");

    for (const FieldCase &source : kFieldCases) {
        for (const FieldCase &target : kFieldCases) {
            const QByteArray sides =
                QByteArray("src=") + source.name + " tgt=" + target.name + " base=";
            QTest::newRow((sides + "unknown").constData())
                << source.text << target.text << std::optional<FieldText>();
            for (const FieldCase &baseline : kFieldCases) {
                QTest::newRow((sides + baseline.name).constData())
                    << source.text << target.text << std::optional<FieldText>(baseline.text);
            }
        }
    }
}

void TestClassify::shouldClassifyEveryFieldCombination()
{
    QFETCH(FieldText, source);
    QFETCH(FieldText, target);
    QFETCH(std::optional<FieldText>, baseline);

    // Given any values (NULL, empty, a, b) and any baseline, When compared
    const FieldChange actual = classifyField(source, target, baseline);

    // Then the verdict is the one the three-way view describes
    QCOMPARE(fieldChangeName(actual), fieldChangeName(expectFieldFromDesign(source, target,
                                                                            baseline)));
}

QTEST_GUILESS_MAIN(TestClassify)
#include "tst_classify.moc"

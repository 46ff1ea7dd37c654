#pragma once

#include <QHash>
#include <QString>
#include <QtGlobal>

#include <map>
#include <optional>

namespace syncdesk {

// Arrival lags counted in logarithmic buckets, eight per doubling, so that an hour of a busy
// flow is a few dozen numbers in the state store (activity_counts, `lag_bucket.<i>`) and a
// day's quantiles are read back within 9 % (a bucket's width): what `report sla` states.
// Bucket 0 holds lags under 1 ms; bucket i ≥ 1 holds [2^((i−1)/8), 2^(i/8)) ms.
class LagHistogram
{
public:
    static constexpr int BucketsPerDoubling = 8;

    [[nodiscard]] static int bucketOf(qint64 lagMs);
    // The smallest lag the bucket does not hold (its upper bound), in ms.
    [[nodiscard]] static qint64 upperBoundMs(int bucket);
    // "lag_bucket.17" and back.
    [[nodiscard]] static QString counterName(int bucket);
    [[nodiscard]] static std::optional<int> bucketFromCounter(const QString &name);

    void add(qint64 lagMs, qint64 count = 1);
    void addBucket(int bucket, qint64 count);
    [[nodiscard]] qint64 count() const { return m_count; }
    [[nodiscard]] const std::map<int, qint64> &buckets() const { return m_buckets; }
    // The q-quantile (0 < q ≤ 1) as the upper bound of the bucket it falls in: never lower
    // than the true value, at most one bucket higher. 0 when empty.
    [[nodiscard]] qint64 quantileMs(double q) const;

private:
    std::map<int, qint64> m_buckets;
    qint64 m_count = 0;
};

} // namespace syncdesk

#include "LagHistogram.h"

#include <cmath>

namespace syncdesk {

int LagHistogram::bucketOf(qint64 lagMs)
{
    if (lagMs < 1)
        return 0;
    int b = 1 + int(std::floor(std::log2(double(lagMs)) * BucketsPerDoubling));
    // log2 of an exact power of two may come out a hair low or high: settle on the bounds.
    while (b > 1 && lagMs < upperBoundMs(b - 1))
        --b;
    while (lagMs >= upperBoundMs(b))
        ++b;
    return b;
}

qint64 LagHistogram::upperBoundMs(int bucket)
{
    if (bucket <= 0)
        return 1;
    return qint64(std::ceil(std::exp2(double(bucket) / BucketsPerDoubling)));
}

QString LagHistogram::counterName(int bucket)
{
    return QStringLiteral("lag_bucket.%1").arg(bucket);
}

std::optional<int> LagHistogram::bucketFromCounter(const QString &name)
{
    static const QString prefix = QStringLiteral("lag_bucket.");
    if (!name.startsWith(prefix))
        return std::nullopt;
    bool ok = false;
    const int b = name.mid(prefix.size()).toInt(&ok);
    return ok && b >= 0 ? std::optional<int>(b) : std::nullopt;
}

void LagHistogram::add(qint64 lagMs, qint64 count)
{
    addBucket(bucketOf(lagMs), count);
}

void LagHistogram::addBucket(int bucket, qint64 count)
{
    m_buckets[bucket] += count;
    m_count += count;
}

qint64 LagHistogram::quantileMs(double q) const
{
    if (m_count == 0)
        return 0;
    const auto rank = qint64(std::ceil(q * double(m_count)));
    qint64 seen = 0;
    for (const auto &[bucket, n] : m_buckets) {
        seen += n;
        if (seen >= std::max<qint64>(rank, 1))
            return upperBoundMs(bucket);
    }
    return upperBoundMs(m_buckets.rbegin()->first);
}

} // namespace syncdesk

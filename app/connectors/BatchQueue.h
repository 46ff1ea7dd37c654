#pragma once

#include "model/ScanBatch.h"

#include <QString>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace syncdesk {

// The bounded pipe between one scanning thread and the merge. The bound is what keeps a diff's
// memory flat: a fast side waits for the merge instead of reading ahead into RAM.
class BatchQueue
{
public:
    explicit BatchQueue(size_t capacity = 4) : m_capacity(capacity) {}

    // Producer side.
    [[nodiscard]] std::unique_ptr<ScanBatch> emptyBatch();
    [[nodiscard]] bool push(std::unique_ptr<ScanBatch> batch); // false: the consumer gave up
    void finish();
    void fail(const QString &message);
    [[nodiscard]] bool cancelled() const;

    // Consumer side. pop() returns nullptr at the end and throws SyncError if the producer failed.
    [[nodiscard]] std::unique_ptr<ScanBatch> pop();
    void recycle(std::unique_ptr<ScanBatch> batch);
    void cancel();

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::unique_ptr<ScanBatch>> m_full;
    std::vector<std::unique_ptr<ScanBatch>> m_free;
    size_t m_capacity;
    bool m_finished = false;
    bool m_cancelled = false;
    QString m_error;
};

} // namespace syncdesk

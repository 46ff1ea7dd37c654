#include "BatchQueue.h"

#include "model/SyncError.h"

namespace syncdesk {

std::unique_ptr<ScanBatch> BatchQueue::emptyBatch()
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_free.empty()) {
            auto batch = std::move(m_free.back());
            m_free.pop_back();
            batch->clear();
            return batch;
        }
    }
    return std::make_unique<ScanBatch>();
}

bool BatchQueue::push(std::unique_ptr<ScanBatch> batch)
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return m_full.size() < m_capacity || m_cancelled; });
    if (m_cancelled)
        return false;
    m_full.push_back(std::move(batch));
    m_changed.notify_all();
    return true;
}

void BatchQueue::finish()
{
    std::lock_guard lock(m_mutex);
    m_finished = true;
    m_changed.notify_all();
}

void BatchQueue::fail(const QString &message)
{
    std::lock_guard lock(m_mutex);
    m_error = message;
    m_finished = true;
    m_changed.notify_all();
}

bool BatchQueue::cancelled() const
{
    std::lock_guard lock(m_mutex);
    return m_cancelled;
}

std::unique_ptr<ScanBatch> BatchQueue::pop()
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return !m_full.empty() || m_finished; });
    if (!m_error.isEmpty())
        throw SyncError(m_error);
    if (m_full.empty())
        return nullptr;
    auto batch = std::move(m_full.front());
    m_full.pop_front();
    m_changed.notify_all();
    return batch;
}

void BatchQueue::recycle(std::unique_ptr<ScanBatch> batch)
{
    std::lock_guard lock(m_mutex);
    m_free.push_back(std::move(batch));
}

void BatchQueue::cancel()
{
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
    m_changed.notify_all();
}

} // namespace syncdesk

#pragma once

#include "ChangeFeed.h"

class QTimer;

namespace syncdesk {

// The last resort for a system with no way to name its changes: ask for a comparison at a
// fixed interval, so statuses are at most that old.
class RescanFeed final : public ChangeFeed
{
    Q_OBJECT

public:
    RescanFeed(SystemSpec system, int intervalMs, QObject *parent);
    void start() override;
    [[nodiscard]] QString mode() const override;

protected:
    void retry() override { start(); }

private:
    QTimer *m_timer;
};

} // namespace syncdesk

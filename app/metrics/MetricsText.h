#pragma once

#include <QByteArray>

namespace syncdesk {

class LiveEngine;

// The engine's state in Prometheus text exposition format (version 0.0.4), named after
// Prometheus conventions: base units (seconds), _total for counters, one family per metric.
[[nodiscard]] QByteArray metricsText(const LiveEngine &engine, qint64 nowMs);

} // namespace syncdesk

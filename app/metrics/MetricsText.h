#pragma once

#include <QByteArray>

namespace syncdesk {

class LiveEngine;
class PolicyRunner;

// The engine's state in Prometheus text exposition format (version 0.0.4), named after
// Prometheus conventions: base units (seconds), _total for counters, one family per metric.
// With `policies` (whoever runs the engine applies them), their families too:
// syncdesk_policy_halted and syncdesk_policy_decisions_total.
[[nodiscard]] QByteArray metricsText(const LiveEngine &engine, qint64 nowMs,
                                     const PolicyRunner *policies = nullptr);

} // namespace syncdesk

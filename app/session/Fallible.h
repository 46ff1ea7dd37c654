#pragma once

#include "model/SyncError.h"

#include <QString>

#include <optional>

namespace syncdesk {

// A value or the one error that names why there is none.
template<typename T>
struct Fallible
{
    std::optional<T> value;
    QString error;
};

// Runs `work()` and turns a SyncError into the error, so pool work never throws across
// QFuture (which would surface as an unnamed QUnhandledException in the window).
template<typename T, typename F>
Fallible<T> fallible(F &&work)
{
    try {
        return {work(), {}};
    } catch (const SyncError &e) {
        return {std::nullopt, e.message()};
    }
}

} // namespace syncdesk

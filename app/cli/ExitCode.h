#pragma once

namespace syncdesk::cli {

// The Contract's exit codes (DESIGN.md).
enum ExitCode : int {
    ExitOk = 0,          // success / in sync
    ExitDifferences = 1, // differences found
    ExitFailure = 2,     // bad input or failure, one line on stderr
    ExitRefused = 3,     // resolve: refused because the record changed
    ExitChainBroken = 4, // audit verify: the chain is broken
    ExitNotAllowed = 5,  // claimed by another operator, or the state store's role forbids it
};

} // namespace syncdesk::cli

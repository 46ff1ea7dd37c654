#pragma once

#include <libpq-fe.h>

#include <memory>

namespace syncdesk {

// Move-only owners of libpq objects: every PGconn is finished and every PGresult cleared on
// every path, errors included.
struct PgConnDeleter
{
    void operator()(PGconn *c) const noexcept { PQfinish(c); }
};
struct PgResultDeleter
{
    void operator()(PGresult *r) const noexcept { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

} // namespace syncdesk

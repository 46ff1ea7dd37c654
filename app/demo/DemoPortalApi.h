#pragma once

#include "DemoWorld.h"

#include <QThread>

namespace syncdesk {

class DemoPortalHandler;

// The demo's client portal as the HTTP JSON API a real portal would offer, so the demo shows
// all three kinds of system. It serves the portal's catalog store (the demo's SQLite file or
// PostgreSQL database, which the simulator's batch keeps writing) on 127.0.0.1, in the shape
// of json-server, which the connector already reads:
//   GET    /catalog?_page=N&_limit=M&updated_at_gte=T   records in key order, RFC 8288 Link paging
//   GET    /catalog/{sku}                               one record, with a strong ETag
//   PATCH  /catalog/{sku}, PUT /catalog/{sku}, POST /catalog, DELETE /catalog/{sku}
// Writes honour If-Match (412 when the record changed since its ETag was read) and
// If-None-Match: * (412 on a PUT over a record that exists), and stamp updated_at as a real API
// would, so its polling clients see them. Runs on a thread of its own, so a busy console or
// simulator never holds a request up. Loopback only, without credentials: its data is the
// demo's throwaway catalog.
class DemoPortalApi
{
public:
    DemoPortalApi();
    ~DemoPortalApi(); // stops
    DemoPortalApi(const DemoPortalApi &) = delete;
    DemoPortalApi &operator=(const DemoPortalApi &) = delete;

    // Listens on a free loopback port and returns it. The store is opened at the first
    // request, so the demo's world may be created after this (it needs the port). Throws
    // SyncError.
    quint16 start(const DemoPlace &place);
    void stop();

private:
    QThread m_thread;
    DemoPortalHandler *m_handler = nullptr;
};

} // namespace syncdesk

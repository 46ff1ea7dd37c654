#pragma once

#include "MainWindow.h"
#include "models/RecordsModel.h"

#include <QSignalSpy>

// What the console's tests do to a window: start it live, find a record's row.
namespace testsupport {

// The row of `key` in the records view, or -1.
inline int rowOf(const syncdesk::ui::RecordsModel &m, const QByteArray &key)
{
    for (int r = 0; r < m.rowCount(); ++r)
        if (m.keyAt(r) == key)
            return r;
    return -1;
}

// Shows `w` and starts its engine; true once every flow is live.
inline bool startLive(syncdesk::ui::MainWindow &w)
{
    QSignalSpy live(&w, &syncdesk::ui::MainWindow::allFlowsLive);
    w.show();
    w.start();
    return live.wait(30000);
}

} // namespace testsupport

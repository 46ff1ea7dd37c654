#pragma once

#include <QObject>
#include <QStringList>

#include <termios.h>

class QSocketNotifier;

namespace syncdesk::cli {

// The terminal `watch` draws its live table on, as top does: the alternate screen while it
// runs, each frame written at once over the last (no clearing, so no flicker), keys read one
// at a time, and the terminal put back as it was at the end.
class TerminalScreen : public QObject
{
    Q_OBJECT

public:
    // Whether standard output is a terminal to draw on.
    [[nodiscard]] static bool isTerminal();
    // Colours unless NO_COLOR is set (https://no-color.org) or the terminal is dumb.
    [[nodiscard]] static bool wantsColour();

    explicit TerminalScreen(QObject *parent = nullptr);
    ~TerminalScreen() override;

    void draw(const QStringList &lines);
    // The terminal's size in characters (100 x 40 when it cannot tell).
    [[nodiscard]] static int width();
    [[nodiscard]] static int height();

signals:
    void keyPressed(char key);

private:
    void readKeys();

    QSocketNotifier *m_keys = nullptr;
    struct termios m_saved {};
    bool m_raw = false;
};

} // namespace syncdesk::cli

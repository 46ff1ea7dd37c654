#include "TerminalScreen.h"

#include <QSocketNotifier>

#include <cstdlib>
#include <cstring>
#include <sys/ioctl.h>
#include <unistd.h>

namespace syncdesk::cli {

namespace {

void writeAll(const QByteArray &bytes)
{
    const char *p = bytes.constData();
    qsizetype left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(STDOUT_FILENO, p, size_t(left));
        if (n <= 0)
            return; // the terminal went away: nothing to draw on
        p += n;
        left -= n;
    }
}

} // namespace

bool TerminalScreen::isTerminal()
{
    return ::isatty(STDOUT_FILENO) == 1;
}

bool TerminalScreen::wantsColour()
{
    const char *noColour = std::getenv("NO_COLOR");
    const char *term = std::getenv("TERM");
    return !(noColour && *noColour) && term && std::strcmp(term, "dumb") != 0;
}

TerminalScreen::TerminalScreen(QObject *parent) : QObject(parent)
{
    // Alternate screen, cursor hidden, no autowrap: a line wider than the terminal is cut at
    // its edge instead of wrapping and scrolling the frame away.
    writeAll("\x1b[?1049h\x1b[?25l\x1b[?7l");
    if (::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &m_saved) == 0) {
        struct termios raw = m_saved;
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO); // keys as they are typed, not echoed
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        m_raw = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        m_keys = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this);
        connect(m_keys, &QSocketNotifier::activated, this, &TerminalScreen::readKeys);
    }
}

TerminalScreen::~TerminalScreen()
{
    if (m_raw)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
    writeAll("\x1b[?7h\x1b[?25h\x1b[?1049l"); // wrap and cursor back, the screen as it was
}

void TerminalScreen::readKeys()
{
    char buffer[32];
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n <= 0) {
        m_keys->setEnabled(false); // end of input: no more keys
        return;
    }
    for (ssize_t i = 0; i < n; ++i)
        emit keyPressed(buffer[i]);
}

int TerminalScreen::width()
{
    struct winsize ws {};
    return ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 100;
}

int TerminalScreen::height()
{
    struct winsize ws {};
    return ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 ? ws.ws_row : 40;
}

void TerminalScreen::draw(const QStringList &lines)
{
    QByteArray frame = "\x1b[H"; // home; every line overwrites the last frame's, then clears the rest
    const int rows = height();
    for (qsizetype i = 0; i < lines.size() && i < rows; ++i)
        frame += lines[i].toUtf8() + "\x1b[K" + (i + 1 < std::min<qsizetype>(lines.size(), rows) ? "\r\n" : "");
    frame += "\x1b[J";
    writeAll(frame);
}

} // namespace syncdesk::cli

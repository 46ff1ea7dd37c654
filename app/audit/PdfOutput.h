#pragma once

#include "PrintedReport.h"

#include <QString>

#include <memory>

class QCoreApplication;

namespace syncdesk::PdfOutput {

// Writes `path` as a PDF. Returns false with `error` set if the file cannot be made, `content`
// stopped, or nothing here can paint a PDF.
using Writer = bool (*)(const QString &path, const PrintedReport::Options &options,
                        const PrintedReport::Content &content, QString *error);

// Paints with `writer` (PdfReport::write), linked into this program: the console, which is a
// GUI program anyway.
void use(Writer writer);

// Needs a QGuiApplication (fonts): guiApplication() in a program that is not one already.
// Without a writer from use(), the syncdesk_pdf module is loaded on first use: a program that
// never writes a PDF (syncdesk-cli, almost always) never loads Qt GUI and the X11, OpenGL and
// font libraries it brings, which were a fifth of its start-up.
[[nodiscard]] bool write(const QString &path, const PrintedReport::Options &options,
                         const PrintedReport::Content &content, QString *error);

// A QGuiApplication made by the module (for a console program that will write a PDF), or null
// with `error` set if the module cannot be loaded.
[[nodiscard]] std::unique_ptr<QCoreApplication> guiApplication(int &argc, char **argv, QString *error);

} // namespace syncdesk::PdfOutput

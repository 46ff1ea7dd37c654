// The entry points of the syncdesk_pdf module, which PdfOutput loads in a program that does
// not link Qt GUI itself (syncdesk-cli): PDF painting and the QGuiApplication it needs.
#include "PdfReport.h"

#include <QGuiApplication>

extern "C" {

Q_DECL_EXPORT bool syncdesk_pdf_write(const QString &path, const syncdesk::PrintedReport::Options &options,
                                      const syncdesk::PrintedReport::Content &content, QString *error)
{
    return syncdesk::PdfReport::write(path, options, content, error);
}

Q_DECL_EXPORT QCoreApplication *syncdesk_pdf_application(int &argc, char **argv)
{
    return new QGuiApplication(argc, argv);
}

} // extern "C"

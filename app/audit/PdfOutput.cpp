#include "PdfOutput.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLibrary>

#include <atomic>
#include <mutex>

namespace syncdesk::PdfOutput {

namespace {

using ApplicationFactory = QCoreApplication *(*)(int &argc, char **argv);

constexpr auto ModuleFile = "libsyncdesk_pdf.so";

std::atomic<Writer> linkedWriter{nullptr};

struct Module
{
    Writer write = nullptr;
    ApplicationFactory application = nullptr;
    QString error;
};

// Beside the program first (a build tree, where the tests run it), then where the package
// installs it relative to the program (/usr/bin → /usr/lib/syncdesk, whatever the prefix).
// /proc/self/exe: this may run before the QCoreApplication exists.
QStringList moduleDirs()
{
    const QString program = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath();
    if (program.isEmpty())
        return {};
    const QDir bin = QFileInfo(program).absoluteDir();
    return {bin.path(), QDir::cleanPath(bin.filePath(QStringLiteral(SYNCDESK_MODULE_FROM_BIN)))};
}

const Module &module()
{
    static Module m;
    static std::once_flag loaded;
    std::call_once(loaded, [] {
        QStringList tried;
        for (const QString &dir : moduleDirs()) {
            const QString path = QDir(dir).filePath(QLatin1String(ModuleFile));
            if (!QFileInfo::exists(path)) {
                tried << dir;
                continue;
            }
            auto *library = new QLibrary(path); // never unloaded: its code paints until exit
            m.write = reinterpret_cast<Writer>(library->resolve("syncdesk_pdf_write"));
            m.application = reinterpret_cast<ApplicationFactory>(library->resolve("syncdesk_pdf_application"));
            if (!m.write || !m.application) {
                m.write = nullptr;
                m.application = nullptr;
                m.error = QStringLiteral("PDF output: %1 cannot be used (%2)").arg(path, library->errorString());
            }
            return;
        }
        m.error = QStringLiteral("PDF output needs SyncDesk's PDF module (%1), which is not in %2; "
                                 "reinstall the package, or choose another format")
                      .arg(QLatin1String(ModuleFile), tried.join(QStringLiteral(" or ")));
    });
    return m;
}

} // namespace

void use(Writer writer)
{
    linkedWriter.store(writer);
}

bool write(const QString &path, const PrintedReport::Options &options,
           const PrintedReport::Content &content, QString *error)
{
    if (const Writer linked = linkedWriter.load())
        return linked(path, options, content, error);
    const Module &m = module();
    if (!m.write) {
        *error = m.error;
        return false;
    }
    return m.write(path, options, content, error);
}

std::unique_ptr<QCoreApplication> guiApplication(int &argc, char **argv, QString *error)
{
    const Module &m = module();
    if (!m.application) {
        *error = m.error;
        return nullptr;
    }
    return std::unique_ptr<QCoreApplication>(m.application(argc, argv));
}

} // namespace syncdesk::PdfOutput

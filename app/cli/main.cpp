#include "CommandLine.h"
#include "DemoCommand.h"
#include "DiffCommand.h"
#include "ExitCode.h"
#include "AuditCommand.h"
#include "BatchHeap.h"
#include "ReportCommand.h"
#include "PolicyCommand.h"
#include "ClaimCommand.h"
#include "TeamCommand.h"
#include "ResolveCommand.h"
#include "FeedCommand.h"
#include "ProbeCommand.h"
#include "ShowCommand.h"
#include "StatusCommand.h"
#include "SlotsCommand.h"
#include "WatchCommand.h"
#include "audit/PdfOutput.h"

#include <QCoreApplication>
#include <QFile>
#include <QTemporaryDir>

#include <memory>
#include <optional>

using namespace syncdesk;
using namespace syncdesk::cli;

namespace {

const char usage[] =
    "Usage: syncdesk-cli COMMAND [options]\n"
    "\n"
    "SyncDesk's headless command line: compares the systems a workspace connects.\n"
    "\n"
    "Commands:\n"
    "  diff      one full comparison of a flow (syncdesk-cli diff --help)\n"
    "  watch     live status and lag of every flow (syncdesk-cli watch --help)\n"
    "  status    the desk as the last watch saw it, for scripts and checks (syncdesk-cli status --help)\n"
    "  resolve   audited resolution: one record, an undo, or a bulk rule (syncdesk-cli resolve --help)\n"
    "  audit     verify or export the audit log (syncdesk-cli audit --help)\n"
    "  report    the consistency-window (SLA) report (syncdesk-cli report --help)\n"
    "  policy    the flows' conflict policies: status, resume after a halt (syncdesk-cli policy --help)\n"
    "  claim     claim a record so nobody else resolves it; release, break, list (syncdesk-cli claim --help)\n"
    "  team      set up a team's PostgreSQL state store and its roles (syncdesk-cli team --help)\n"
    "  show      one record, field by field, three ways (syncdesk-cli show --help)\n"
    "  feed      print the trigger SQL of the notify feed (syncdesk-cli feed --help)\n"
    "  probe     print the SQL of the flows' tracer probes (syncdesk-cli probe --help)\n"
    "  slots     list or drop the replication slots watch keeps (syncdesk-cli slots --help)\n"
    "  demo      create the demo systems and play their story (syncdesk-cli demo --help)\n"
    "\n"
    "Options:\n"
    "  -h, --help     this text\n"
    "  -v, --version  the version\n"
    "\n"
    "Exit status: 0 success / in sync, 1 differences found, 2 bad input or failure, 3 refused (the\n"
    "record changed), 4 audit chain broken, 5 not allowed (claimed by another, or the role forbids).\n"
    "Passwords never go in a workspace file: use ~/.pgpass, a service file or PGPASSWORD.\n";

} // namespace

int main(int argc, char *argv[])
{
    // Before any thread starts (Qt's own included).
    if (argc > 1 && qstrcmp(argv[1], "diff") == 0)
        BatchHeap::prepare();
    // A PDF report needs fonts, hence a GUI application, on the offscreen platform when no
    // display is given: the rest of the CLI stays a plain console program.
    bool pdf = false;
    for (int i = 1; i + 1 < argc; ++i)
        pdf = pdf || (qstrcmp(argv[i], "--format") == 0 && qstrcmp(argv[i + 1], "pdf") == 0);
    for (int i = 1; i < argc; ++i)
        pdf = pdf || qstrcmp(argv[i], "--format=pdf") == 0;
    if (pdf && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Without a session (a service, a script over ssh) Qt would warn about the runtime
    // directory; a private one for this run keeps stderr for real problems.
    // (Made only then: every other run would create and remove a folder for nothing.)
    std::optional<QTemporaryDir> runtime;
    if (pdf && qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR") && runtime.emplace().isValid())
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime->path()));
    // The GUI application comes from the PDF module: this program itself never links Qt GUI.
    QString moduleError;
    std::unique_ptr<QCoreApplication> application =
        pdf ? PdfOutput::guiApplication(argc, argv, &moduleError) : std::make_unique<QCoreApplication>(argc, argv);
    if (!application) {
        printError(moduleError);
        return ExitFailure;
    }
    QCoreApplication &app = *application;
    Q_UNUSED(app)
    QCoreApplication::setApplicationName(QStringLiteral("syncdesk-cli"));
    // Log lines (warnings, and what SYNCDESK logging rules switch on) read like every other
    // line of ours: prefixed, one per message.
    qSetMessagePattern(QStringLiteral("syncdesk-cli: %{if-category}%{category}: %{endif}%{message}"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SYNCDESK_VERSION));

    QStringList args = QCoreApplication::arguments();
    const QString command = args.value(1);
    if (command.isEmpty()) {
        printError(QStringLiteral("no command given (see syncdesk-cli --help)"));
        return ExitFailure;
    }
    if (command == u"-h" || command == u"--help" || command == u"help") {
        printOut(usage);
        return ExitOk;
    }
    if (command == u"-v" || command == u"--version") {
        printOut("syncdesk-cli " SYNCDESK_VERSION "\n");
        return ExitOk;
    }
    args.removeAt(1); // the subcommand's parser sees "program --options…"
    if (command == u"diff")
        return DiffCommand::run(args);
    if (command == u"demo")
        return DemoCommand::run(args);
    if (command == u"watch")
        return WatchCommand::run(args);
    if (command == u"show")
        return ShowCommand::run(args);
    if (command == u"status")
        return StatusCommand::run(args);
    if (command == u"resolve")
        return ResolveCommand::run(args);
    if (command == u"audit")
        return AuditCommand::run(args);
    if (command == u"report")
        return ReportCommand::run(args);
    if (command == u"policy")
        return PolicyCommand::run(args);
    if (command == u"claim")
        return ClaimCommand::run(args);
    if (command == u"team")
        return TeamCommand::run(args);
    if (command == u"feed")
        return FeedCommand::run(args);
    if (command == u"probe")
        return ProbeCommand::run(args);
    if (command == u"slots")
        return SlotsCommand::run(args);
    printError(QStringLiteral("unknown command '%1' (see syncdesk-cli --help)").arg(command));
    return ExitFailure;
}

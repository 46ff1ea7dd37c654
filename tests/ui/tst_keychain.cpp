#include "HttpServers.h"
#include "MainWindow.h"
#include "TestPostgres.h"
#include "TestSqlite.h"
#include "connectors/PgConnection.h"
#include "connectors/SecretCache.h"
#include "dialogs/WorkspaceEditor.h"
#include "model/WorkspaceLoader.h"
#include "session/KeychainSecrets.h"

#include <QApplication>
#include <QEventLoop>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QComboBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <qt6keychain/keychain.h>

using namespace syncdesk;

// An API's token kept in a real desktop keychain (gnome-keyring's Secret Service on a private
// D-Bus session: tests/support/with-keyring.sh), offscreen: the workspace editor stores it only
// once Test connection saw the API accept it and the workspace is saved, never in the file, and
// the console reads it back when it opens the workspace.
class TestKeychain : public QObject
{
    Q_OBJECT

    static constexpr const char *Token = "tok-3f9a77c1-keychain";

    QTemporaryDir m_dir;

    // What the keychain holds under `entry`: the value, or nullopt (with why, for messages).
    static std::optional<QString> stored(const QString &entry, QString *why = nullptr)
    {
        QKeychain::ReadPasswordJob job{QString::fromLatin1(KeychainSecrets::Service)};
        job.setAutoDelete(false);
        job.setKey(entry);
        QSignalSpy done(&job, &QKeychain::Job::finished);
        job.start();
        if (!done.wait(15000))
            return std::nullopt;
        if (why)
            *why = job.errorString();
        return job.error() == QKeychain::NoError ? std::optional<QString>(job.textData()) : std::nullopt;
    }

    // An API that answers only with the right token.
    static testsupport::FaultServer::Handler api()
    {
        return [](const testsupport::FaultServer::Request &r) {
            if (r.header("Authorization") != QByteArray("Bearer ") + Token)
                return testsupport::FaultServer::json(401, R"({"error":"unauthorized"})");
            return testsupport::FaultServer::json(200, R"([{"sku": "A1", "price": 10}, {"sku": "B2", "price": 20}])");
        };
    }

    // The editor with one HTTP system `name` at `url`, the token typed, tested; the test's answer.
    static QString typeAndTest(ui::WorkspaceEditor &editor, const QString &name, const QString &url, const QString &token)
    {
        auto *add = editor.findChild<QPushButton *>(QStringLiteral("addSystem"));
        if (editor.findChild<QLineEdit *>(QStringLiteral("systemName"))->text() != name) {
            QTest::mouseClick(add, Qt::LeftButton);
            editor.findChild<QComboBox *>(QStringLiteral("systemKind"))->setCurrentText(QStringLiteral("http"));
            editor.findChild<QLineEdit *>(QStringLiteral("systemName"))->setText(name);
            editor.findChild<QLineEdit *>(QStringLiteral("systemTarget"))->setText(url);
        }
        editor.findChild<QLineEdit *>(QStringLiteral("systemPassword"))->setText(token);
        QSignalSpy probed(&editor, &ui::WorkspaceEditor::probed);
        QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("testConnection")), Qt::LeftButton);
        if (!probed.wait(15000))
            return QStringLiteral("(no answer)");
        return editor.findChild<QLabel *>(QStringLiteral("testResult"))->text();
    }

private slots:
    // Given the editor, a wrong token is refused by the API and kept nowhere; the right one
    // is tested, still not stored until Save, then stored in the keychain under the entry the
    // workspace names, and the file holds no token.
    void shouldStoreATestedTokenOnlyWhenSaved()
    {
        testsupport::FaultServer server(api());
        const QString path = m_dir.filePath(QStringLiteral("crm.json"));
        ui::WorkspaceEditor editor(Workspace{}, path);
        editor.show();
        QVERIFY(QTest::qWaitForWindowExposed(&editor));

        QString answer = typeAndTest(editor, QStringLiteral("crm"), server.baseUrl(), QStringLiteral("wrong-token"));
        QVERIFY2(answer.contains(QLatin1String("HTTP 401")) && answer.contains(QLatin1String("not kept")), qPrintable(answer));

        answer = typeAndTest(editor, QStringLiteral("crm"), server.baseUrl(), QString::fromLatin1(Token));
        QVERIFY2(answer.contains(QLatin1String("accepted the token")) && answer.contains(QLatin1String("crm/Authorization")),
                 qPrintable(answer));
        QString why;
        QVERIFY2(!stored(QStringLiteral("crm/Authorization"), &why), "stored before the workspace was saved");
        QVERIFY2(!SecretCache::value(QStringLiteral("crm/Authorization")), "handed to this process before it was saved");
        QVERIFY2(editor.save(), qPrintable(editor.findChild<QLabel *>(QStringLiteral("message"))->text()));

        QCOMPARE(stored(QStringLiteral("crm/Authorization"), &why).value_or(why), QString::fromLatin1(Token));
        QCOMPARE(SecretCache::value(QStringLiteral("crm/Authorization")).value_or(QByteArray()), QByteArray(Token));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY2(!text.contains(Token) && text.contains("\"keychain\": \"crm/Authorization\""), text.constData());
        const Workspace saved = WorkspaceLoader::load(path);
        QCOMPARE(saved.systems[0].http.headers.size(), 1);
        QCOMPARE(saved.systems[0].http.headers[0].prefix, QStringLiteral("Bearer "));
    }

    // Given a workspace whose shop API lists devices only for the token (its home page answers
    // anyone) and whose header took the token from SHOP_TOKEN: a wrong token is refused by the
    // page the flow reads; the right one, tested but not saved, is stored nowhere; tested and
    // saved, the header names the keychain entry and keeps SHOP_TOKEN as the CLI's fallback.
    void shouldTestTheTokenOnTheFlowsResourceAndStoreOnlyWhenSaved()
    {
        testsupport::FaultServer server([](const testsupport::FaultServer::Request &r) {
            if (!r.target.startsWith("/devices"))
                return testsupport::FaultServer::json(200, R"({"welcome": "shop"})");
            if (r.header("Authorization") != QByteArray("Bearer ") + Token)
                return testsupport::FaultServer::json(401, R"({"error":"unauthorized"})");
            return testsupport::FaultServer::json(200, R"([{"sku": "A1", "price": 10}])");
        });
        const QString path = m_dir.filePath(QStringLiteral("shop.json"));
        const QByteArray json = QStringLiteral(R"({"version": 1, "systems": [
              {"name": "shop", "kind": "http", "base_url": "%1",
               "headers": {"Authorization": {"env": "SHOP_TOKEN", "prefix": "Bearer "}}},
              {"name": "sales", "kind": "sqlite", "path": "sales.db"}],
            "flows": [{"name": "devices", "source": {"system": "shop", "resource": "devices"},
              "target": {"system": "sales", "table": "devices"}, "key": ["sku"], "fields": ["price"]}]})")
                                   .arg(server.baseUrl()).toUtf8();
        const Workspace ws = WorkspaceLoader::parse(json, path);
        const auto edit = [&] {
            auto editor = std::make_unique<ui::WorkspaceEditor>(ws, path);
            editor->show();
            editor->findChild<QListWidget *>(QStringLiteral("systems"))->setCurrentRow(0);
            return editor;
        };
        {
            const auto editor = edit();
            QString answer = typeAndTest(*editor, QStringLiteral("shop"), server.baseUrl(), QStringLiteral("wrong"));
            QVERIFY2(answer.contains(QLatin1String("HTTP 401")) && answer.contains(QLatin1String("GET /devices")),
                     qPrintable(answer));
            answer = typeAndTest(*editor, QStringLiteral("shop"), server.baseUrl(), QString::fromLatin1(Token));
            QVERIFY2(answer.contains(QLatin1String("accepted the token")), qPrintable(answer));
            // an untested token is refused too
            editor->findChild<QLineEdit *>(QStringLiteral("systemPassword"))->setText(QStringLiteral("typed-not-tested"));
            QVERIFY(!editor->save());
            QVERIFY(!QFile::exists(path));
        } // closed without saving
        QVERIFY(!SecretCache::value(QStringLiteral("shop/Authorization")));
        QString why;
        QVERIFY(!stored(QStringLiteral("shop/Authorization"), &why));
        QVERIFY2(why.contains(QLatin1String("not found"), Qt::CaseInsensitive), qPrintable(why));

        const auto editor = edit();
        const QString answer = typeAndTest(*editor, QStringLiteral("shop"), server.baseUrl(), QString::fromLatin1(Token));
        QVERIFY2(answer.contains(QLatin1String("accepted the token")), qPrintable(answer));
        QVERIFY2(editor->save(), qPrintable(editor->findChild<QLabel *>(QStringLiteral("message"))->text()));
        QCOMPARE(stored(QStringLiteral("shop/Authorization"), &why).value_or(why), QString::fromLatin1(Token));
        const HttpHeader header = WorkspaceLoader::load(path).systems[0].http.headers.value(0);
        QCOMPARE(header.keychain, QStringLiteral("shop/Authorization"));
        QCOMPARE(header.env, QStringLiteral("SHOP_TOKEN"));
        QCOMPARE(header.prefix, QStringLiteral("Bearer "));
    }

    // Given a workspace whose API header names the keychain entry, when the console opens it,
    // then it reads the token from the keychain and the flow goes live against the API.
    void shouldReadTheTokenWhenTheConsoleOpens()
    {
        testsupport::FaultServer server(api());
        QVERIFY(KeychainSecrets::write(QStringLiteral("erp/Authorization"), Token).isEmpty());
        SecretCache::remove(QStringLiteral("erp/Authorization")); // as in a console just started
        const QString db = m_dir.filePath(QStringLiteral("sales.db"));
        QString error;
        QVERIFY2(testsupport::sqliteExec(db, {QStringLiteral("CREATE TABLE items (sku text PRIMARY KEY, price numeric)"),
                                              QStringLiteral("INSERT INTO items VALUES ('A1', 10), ('B2', 20)")},
                                         &error),
                 qPrintable(error));
        const QByteArray json = QStringLiteral(R"({"version": 1, "systems": [
              {"name": "erp", "kind": "http", "base_url": "%1",
               "headers": {"Authorization": {"keychain": "erp/Authorization", "prefix": "Bearer "}}},
              {"name": "sales", "kind": "sqlite", "path": "%2"}],
            "flows": [{"name": "items", "source": {"system": "erp", "resource": "items"},
              "target": {"system": "sales", "table": "items"}, "key": ["sku"], "fields": ["price"]}]})")
                                   .arg(server.baseUrl(), db).toUtf8();
        const QString path = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("erp.json"), json);
        ui::MainWindow w(WorkspaceLoader::load(path), path);
        QSignalSpy live(&w, &ui::MainWindow::allFlowsLive);
        w.show();
        w.start();
        QVERIFY2(live.wait(30000), qPrintable(w.bannerText()));
        QCOMPARE(SecretCache::value(QStringLiteral("erp/Authorization")).value_or(QByteArray()), QByteArray(Token));
        bool authorised = false;
        for (const auto &r : server.requests())
            authorised = authorised || r.header("Authorization") == QByteArray("Bearer ") + Token;
        QVERIFY(authorised);
    }

    // Given a PostgreSQL login that needs a password and no password file, a wrong password is
    // refused by the server and stored nowhere; the right one is tested and stored; a console
    // opened afterwards connects with it from the keychain alone.
    void shouldTestAPostgresPasswordAndConnectWithItFromTheKeychain()
    {
        QString error;
        const QString server = testsupport::fixtureConninfo(&error);
        QVERIFY2(!server.isEmpty(), qPrintable(error));
        PG_EXEC(server, QStringLiteral("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'syncdesk_pw') "
                                       "THEN CREATE ROLE syncdesk_pw LOGIN; END IF; END $$; "
                                       "ALTER ROLE syncdesk_pw PASSWORD 'right-pw-7'"));
        QString src;
        QVERIFY2(testsupport::createDatabase(QStringLiteral("keychain_src"), &src, &error), qPrintable(error));
        PG_EXEC(src, QStringLiteral("CREATE TABLE items (sku text PRIMARY KEY, price numeric); "
                                    "INSERT INTO items VALUES ('A1', 10); GRANT SELECT ON items TO syncdesk_pw"));
        qputenv("PGPASSFILE", m_dir.filePath(QStringLiteral("no-such-pgpass")).toUtf8());
        qunsetenv("PGPASSWORD");
        const QString port = QRegularExpression(QStringLiteral("port=(\\d+)")).match(server).captured(1);
        const QString conninfo = QStringLiteral("host=127.0.0.1 port=%1 user=syncdesk_pw dbname=keychain_src").arg(port);
        const QString db = m_dir.filePath(QStringLiteral("pw-sales.db"));
        QVERIFY2(testsupport::sqliteExec(db, {QStringLiteral("CREATE TABLE items (sku text PRIMARY KEY, price numeric)"),
                                              QStringLiteral("INSERT INTO items VALUES ('A1', 10)")},
                                         &error),
                 qPrintable(error));
        const QByteArray json = QStringLiteral(R"({"version": 1, "systems": [
              {"name": "warehouse", "kind": "postgres", "conninfo": "%1"},
              {"name": "sales", "kind": "sqlite", "path": "%2"}],
            "flows": [{"name": "items", "source": {"system": "warehouse", "table": "items"},
              "target": {"system": "sales", "table": "items"}, "key": ["sku"], "fields": ["price"]}]})")
                                   .arg(conninfo, db).toUtf8();
        const QString path = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("pw.json"), json);
        const QString entry = PgConnection::passwordEntry(conninfo);

        ui::MainWindow w(WorkspaceLoader::load(path), path);
        QSignalSpy told(&w, &ui::MainWindow::passwordStored);
        w.storePassword(QStringLiteral("warehouse"), "wrong-pw");
        QVERIFY(told.wait(15000));
        QCOMPARE(told.last().at(0).toBool(), false);
        QVERIFY2(told.last().at(1).toString().contains(u"password authentication failed"),
                 qPrintable(told.last().at(1).toString()));
        QVERIFY(!told.last().at(1).toString().contains(u"wrong-pw"));
        QVERIFY(!stored(entry));
        w.storePassword(QStringLiteral("warehouse"), "right-pw-7");
        QVERIFY(told.wait(15000));
        QVERIFY2(told.last().at(0).toBool(), qPrintable(told.last().at(1).toString()));
        QCOMPARE(stored(entry).value_or(QString()), QStringLiteral("right-pw-7"));

        SecretCache::remove(entry); // a console opened afresh reads it from the keychain
        ui::MainWindow fresh(WorkspaceLoader::load(path), path);
        QSignalSpy live(&fresh, &ui::MainWindow::allFlowsLive);
        fresh.show();
        fresh.start();
        QVERIFY2(live.wait(30000), qPrintable(fresh.bannerText()));
        // The workspace file holds no password.
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains("right-pw-7"));
    }
};

QTEST_MAIN(TestKeychain)
#include "tst_keychain.moc"

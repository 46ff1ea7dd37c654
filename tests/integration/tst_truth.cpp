#include "CliRun.h"
#include "PgSession.h"
#include "TestPostgres.h"
#include "TestSqlite.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

// The randomized differential test of `syncdesk-cli watch --events` (issue 11, deliverable 7).
//
// Rounds of random writes hit both systems of a one-way flow: one side, both sides at the same
// instant (two connections, sent together), both to the same value, copies source→target,
// deletes and inserts. The test keeps its own ground truth (each key's source row, target row
// and the baseline both sides last agreed on) and, after every round settles, compares the
// last status `watch --events` printed for each key with the status that history implies.
// Nothing here knows how the engine works: it drives the CLI as a monitoring agent would.
//
// Environment: SYNCDESK_TRUTH_OPS (operations per feed kind, default 600; five times that on
// the logical feed's run beside two busy loops),
// SYNCDESK_TRUTH_SEED (default: time-based; printed at start), SYNCDESK_TRUTH_KEYS (records
// in sync at the start, default 200), SYNCDESK_CLI (the syncdesk-cli to drive, default the
// build's), SYNCDESK_TRUTH_KEEP (a folder to keep each watch's transcript in), and
// SYNCDESK_PG_FIXTURE_DIR (another PostgreSQL fixture than the suite's).
// tests/bench/truth-bench.sh runs it ten times longer over several seeds.
class TestTruth : public QObject
{
    Q_OBJECT

    // ---- the ground truth ----------------------------------------------------------------

    struct Row
    {
        std::optional<QString> name; // NULL is a value too
        qint64 qty = 0;
        friend bool operator==(const Row &, const Row &) = default;
    };
    using Side = std::optional<Row>; // nullopt: no row with this key on that side

    struct Record
    {
        Side source;
        Side target;
        bool baselineKnown = false; // false: different at the first comparison, never agreed
        Side baseline;              // what both sides last agreed on (nullopt: agreed absent)
        bool quarantined = false;   // reported wrong once: not written or checked again
        QStringList history;
    };

    enum class Op {
        EditSource,
        EditTarget,
        EditBothDiff,
        EditBothSame,
        Copy,
        DeleteSource,
        DeleteTarget,
        DeleteBoth,
        NewSource,
        NewTarget,
        NewBothSame,
        NewBothDiff,
    };

    static QString opName(Op op)
    {
        static const char *names[] = {"edit_source",   "edit_target",   "edit_both_diff",
                                      "edit_both_same", "copy_to_target", "delete_source",
                                      "delete_target", "delete_both",   "new_on_source",
                                      "new_on_target", "new_both_same", "new_both_diff"};
        return QLatin1String(names[int(op)]);
    }

    // How often each operation is drawn: same-instant edits of both sides weigh as much as
    // one-side edits, and copies most, as they bring records back in sync for the next rounds.
    static int weight(Op op)
    {
        switch (op) {
        case Op::EditSource: return 3;
        case Op::EditTarget: return 2;
        case Op::EditBothDiff: return 3;
        case Op::EditBothSame: return 2;
        case Op::Copy: return 4;
        default: return 1;
        }
    }

    struct Planned
    {
        QString key;
        Op op;
        Side source; // after the operation
        Side target;
        bool writesSource = false;
        bool writesTarget = false;
        bool newKey = false; // a key never seen before: both sides agreed it was absent
    };

    // The status that follows from a record's history (DESIGN.md "Record status", Contract
    // "New keys"); one-way flow, SLA far away so nothing is late.
    static QString expectedStatus(const Record &r)
    {
        if (r.source == r.target)
            return QStringLiteral("in_sync");
        if (!r.baselineKnown) {
            if (!r.target)
                return QStringLiteral("missing_in_target");
            if (!r.source)
                return QStringLiteral("missing_in_source");
            return QStringLiteral("different");
        }
        const bool sourceMoved = r.source != r.baseline;
        const bool targetMoved = r.target != r.baseline;
        if (sourceMoved && targetMoved)
            return QStringLiteral("conflict");
        return sourceMoved ? QStringLiteral("pending") : QStringLiteral("target_drift");
    }

    static QString text(const Side &s)
    {
        if (!s)
            return QStringLiteral("absent");
        return QStringLiteral("(%1,%2)")
            .arg(s->name ? *s->name : QStringLiteral("NULL"))
            .arg(s->qty);
    }

    // ---- one system under test: a PostgreSQL database or an SQLite file -----------------

    struct System
    {
        bool postgres = true;
        QString conninfo; // postgres
        QString path;     // sqlite
        QString connection;
        testsupport::PgSession session;

        ~System()
        {
            if (!connection.isEmpty()) {
                QSqlDatabase::database(connection, false).close();
                QSqlDatabase::removeDatabase(connection);
            }
        }

        bool open(QString *error)
        {
            if (postgres)
                return session.open(conninfo, error);
            static int counter = 0;
            connection = QStringLiteral("truth-%1").arg(++counter);
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
            db.setDatabaseName(path);
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
            if (!db.open()) {
                *error = db.lastError().text();
                return false;
            }
            return true;
        }

        QString now() const
        {
            // Every write moves updated_at, as applications that allow polling do.
            return postgres ? QStringLiteral("clock_timestamp()")
                            : QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ','now')");
        }

        static QString literal(const std::optional<QString> &v)
        {
            return v ? u'\'' + QString(*v).replace(u'\'', QStringLiteral("''")) + u'\''
                     : QStringLiteral("NULL");
        }

        // The statement that turns `before` into `after` for `key`.
        QString write(const QString &key, const Side &before, const Side &after) const
        {
            if (!after)
                return QStringLiteral("DELETE FROM items WHERE k = %1").arg(literal(key));
            if (!before)
                return QStringLiteral("INSERT INTO items (k, name, qty, updated_at) "
                                      "VALUES (%1, %2, %3, %4)")
                    .arg(literal(key), literal(after->name))
                    .arg(after->qty)
                    .arg(now());
            return QStringLiteral("UPDATE items SET name = %1, qty = %2, updated_at = %3 "
                                  "WHERE k = %4")
                .arg(literal(after->name))
                .arg(after->qty)
                .arg(now(), literal(key));
        }

        bool sqliteRun(const QStringList &statements, QString *error)
        {
            QSqlQuery q(QSqlDatabase::database(connection, false));
            for (const QString &sql : statements) {
                if (!q.exec(sql)) {
                    *error = QStringLiteral("%1\n  in: %2").arg(q.lastError().text(), sql);
                    return false;
                }
            }
            return true;
        }

        // Every row, to check the ground truth against what the database really holds.
        std::optional<std::map<QString, Row>> rows(QString *error)
        {
            std::map<QString, Row> out;
            if (postgres) {
                const QString sql = QStringLiteral("SELECT k, name, qty FROM items");
                const syncdesk::PgConnPtr conn(PQconnectdb(conninfo.toUtf8().constData()));
                const syncdesk::PgResultPtr r(PQexec(conn.get(), sql.toUtf8().constData()));
                if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
                    *error = QString::fromUtf8(PQerrorMessage(conn.get()));
                    return std::nullopt;
                }
                for (int i = 0; i < PQntuples(r.get()); ++i)
                    out[QString::fromUtf8(PQgetvalue(r.get(), i, 0))] =
                        Row{PQgetisnull(r.get(), i, 1)
                                ? std::nullopt
                                : std::optional(QString::fromUtf8(PQgetvalue(r.get(), i, 1))),
                            QByteArray(PQgetvalue(r.get(), i, 2)).toLongLong()};
                return out;
            }
            QSqlQuery q(QSqlDatabase::database(connection, false));
            if (!q.exec(QStringLiteral("SELECT k, name, qty FROM items"))) {
                *error = q.lastError().text();
                return std::nullopt;
            }
            while (q.next())
                out[q.value(0).toString()] =
                    Row{q.value(1).isNull() ? std::nullopt : std::optional(q.value(1).toString()),
                        q.value(2).toLongLong()};
            return out;
        }
    };

    // Runs each system's statements, the two systems at the same instant: PostgreSQL through
    // two connections sent together, SQLite back to back (in a random order).
    static bool writeBoth(System &source, System &target, const QStringList &sourceSql,
                          const QStringList &targetSql, bool transaction, bool targetFirst,
                          QString *error)
    {
        auto script = [transaction](const QStringList &statements) {
            if (statements.isEmpty())
                return QString();
            const QString body = statements.join(QStringLiteral(";\n"));
            return transaction ? QStringLiteral("BEGIN;\n") + body + QStringLiteral(";\nCOMMIT")
                               : body;
        };
        if (source.postgres) {
            QList<std::pair<testsupport::PgSession *, QString>> scripts{
                {&source.session, script(sourceSql)}, {&target.session, script(targetSql)}};
            if (targetFirst)
                std::swap(scripts[0], scripts[1]);
            return testsupport::execConcurrently(scripts, error);
        }
        auto run = [&](System &s, const QStringList &statements) {
            if (statements.isEmpty())
                return true;
            if (!transaction)
                return s.sqliteRun(statements, error);
            return s.sqliteRun(QStringList{QStringLiteral("BEGIN")} + statements
                                   + QStringList{QStringLiteral("COMMIT")},
                               error);
        };
        return targetFirst ? run(target, targetSql) && run(source, sourceSql)
                           : run(source, sourceSql) && run(target, targetSql);
    }

    // ---- the watch under test, read line by line ----------------------------------------

    class Watch
    {
    public:
        ~Watch() { stop(); }
        void start(const QStringList &args)
        {
            m_process.start(cliPath(), args);
            m_process.waitForStarted();
            m_clock.start();
        }
        bool running() const { return m_process.state() == QProcess::Running; }
        // Reads what is there, waiting up to `waitMs` for something first.
        void pump(int waitMs)
        {
            if (!m_process.canReadLine() && waitMs > 0 && running())
                m_process.waitForReadyRead(waitMs);
            while (m_process.canReadLine()) {
                const QByteArray line = m_process.readLine();
                m_lines.append(line);
                const QJsonObject o = QJsonDocument::fromJson(line).object();
                if (o.value(u"event").toString() == u"ready")
                    m_ready = true;
                const QJsonArray key = o.value(u"key").toArray();
                const QString status = o.value(u"status").toString();
                if (key.size() != 1 || status.isEmpty())
                    continue;
                const QString k = key.first().toString();
                m_last.insert(k, status);
                m_events.append({k, status});
                m_perKey[k].append(QStringLiteral("%1@%2ms(lag %3)")
                                       .arg(status)
                                       .arg(m_clock.elapsed())
                                       .arg(o.value(u"lag_ms").toInteger()));
            }
            m_err += m_process.readAllStandardError();
        }
        bool waitReady(int timeoutMs)
        {
            QElapsedTimer t;
            t.start();
            while (!m_ready && running() && t.elapsed() < timeoutMs)
                pump(100);
            return m_ready;
        }
        // The status of the first event for `key` at position `from` or later that `accept`s
        // it, waiting up to `timeoutMs`; `last` gets the last status seen for `key` meanwhile.
        std::optional<QString> waitFor(const QString &key, qsizetype from, int timeoutMs,
                                       const std::function<bool(const QString &)> &accept,
                                       QString *last = nullptr)
        {
            QElapsedTimer t;
            t.start();
            while (true) {
                for (qsizetype i = from; i < m_events.size(); ++i) {
                    if (m_events[i].first != key)
                        continue;
                    if (last)
                        *last = m_events[i].second;
                    if (accept(m_events[i].second))
                        return m_events[i].second;
                }
                from = m_events.size();
                if (t.elapsed() > timeoutMs || !running())
                    return std::nullopt;
                pump(50);
            }
        }
        QString status(const QString &key) const
        {
            return m_last.value(key, QStringLiteral("in_sync")); // no event yet: in sync
        }
        QStringList events(const QString &key) const { return m_perKey.value(key); }
        qsizetype eventCount() const { return m_events.size(); }
        qint64 clockMs() const { return m_clock.elapsed(); }
        int stop() { return testsupport::stopGracefully(m_process); }
        // stderr and the last lines of stdout; with `all`, every line (QtTest shortens long
        // messages, so a harness failure also writes the whole of it to stderr).
        QString transcript(bool all = false)
        {
            pump(0);
            const qsizetype from = all ? 0 : std::max<qsizetype>(0, m_lines.size() - 12);
            return QString::fromUtf8("--- watch " + QByteArray(running() ? "running" : "exited")
                                     + ", stderr ---\n" + m_err + "--- stdout"
                                     + (from > 0 ? " (last lines)" : "") + " ---\n"
                                     + m_lines.mid(from).join());
        }
        // With SYNCDESK_TRUTH_KEEP=DIR, the whole transcript is kept as DIR/<kind>.watch.log (run
        // with QT_LOGGING_RULES="syncdesk.*.debug=true" to see what each feed and the engine did).
        void keep(const QString &kind)
        {
            const QString dir = qEnvironmentVariable("SYNCDESK_TRUTH_KEEP");
            if (dir.isEmpty())
                return;
            QDir().mkpath(dir);
            QFile file(QDir(dir).filePath(kind + QStringLiteral(".watch.log")));
            if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
                file.write(transcript(true).toUtf8());
        }
        QString failure(const QString &what)
        {
            fprintf(stderr, "%s\n%s\n", qPrintable(what), qPrintable(transcript(true)));
            return what + u'\n' + transcript();
        }

    private:
        QProcess m_process;
        QElapsedTimer m_clock;
        bool m_ready = false;
        QHash<QString, QString> m_last;
        QList<std::pair<QString, QString>> m_events;
        QHash<QString, QStringList> m_perKey;
        QByteArrayList m_lines;
        QByteArray m_err;
    };

    static QString cliPath()
    {
        return qEnvironmentVariableIsEmpty("SYNCDESK_CLI") ? QStringLiteral(SYNCDESK_CLI_PATH)
                                                           : qEnvironmentVariable("SYNCDESK_CLI");
    }

    static std::pair<int, QString> cli(const QStringList &args)
    {
        QProcess p;
        p.start(cliPath(), args);
        if (!p.waitForFinished(60000))
            return {-1, QStringLiteral("timed out")};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError())};
    }

    static int envInt(const char *name, int fallback)
    {
        bool ok = false;
        const int v = qEnvironmentVariableIntValue(name, &ok);
        return ok && v > 0 ? v : fallback;
    }

    // ---- one feed kind's run ------------------------------------------------------------

    // A record must show its true status within SettleMs of its round's writes. Waiting for a
    // round stops early when nothing arrives for QuietMs; a sentinel then shows the feeds are
    // through, and keys still not right are suspects, judged again later: right within
    // SettleMs after all, they were only slow; otherwise (or wrong again) they are wrong.
    static constexpr int SettleMs = 20000;
    static constexpr int QuietMs = 1000;
    static constexpr int SentinelMs = 20000;
    static constexpr int GraceMs = 500;     // after the sentinel, for stragglers
    static constexpr int FinalQuietMs = 3000;

    struct Wrong
    {
        int round;
        QString key;
        QString expected;
        QString got;
        QString lastOp;
        qint64 roundEndMs = 0;              // watch clock when the round's writes were done
        std::optional<qint64> rightAfterMs; // when the expected status was first seen
        bool missed = false; // a transient status (the sentinel's pending) never shown: wrong
    };

    struct Figures
    {
        QString kind;
        int ops = 0;
        int rounds = 0;
        int wrong = 0;
        int slow = 0; // right only after their round was judged, within SettleMs
        qint64 maxSettleMs = 0;
        qint64 elapsedMs = 0;
        QMap<QString, int> byCase; // "op: expected -> got"
    };

    QTemporaryDir m_dir;
    quint64 m_seed = 0;
    int m_ops = 600;
    int m_keys = 200;
    QList<Figures> m_figures;

    class Run
    {
    public:
        Run(std::mt19937_64 &rng, System &source, System &target, Watch &watch)
            : m_rng(rng), m_source(source), m_target(target), m_watch(watch)
        {
        }

        std::map<QString, Record> records;
        QStringList pool; // keys in creation order (for reproducible draws)
        Figures figures;
        QList<Wrong> wrongs;

        qint64 fresh() { return ++m_counter; }

        int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(m_rng); }

        Row freshRow()
        {
            const qint64 n = fresh();
            return Row{QStringLiteral("v%1").arg(n), n};
        }

        // A new value for a side: a fresh row where there is none, else one or both fields move.
        Row edited(const Side &old)
        {
            if (!old)
                return freshRow();
            const qint64 n = fresh();
            Row r = *old;
            const int mode = uniform(0, 9);
            if (mode < 3) {
                r.name = QStringLiteral("v%1").arg(n);
            } else if (mode < 6) {
                r.qty = n;
            } else if (mode < 9) {
                r.name = QStringLiteral("v%1").arg(n);
                r.qty = n;
            } else {
                r.name = old->name ? std::nullopt : std::optional(QStringLiteral("v%1").arg(n));
            }
            return r;
        }

        QString newKey() { return QStringLiteral("n%1").arg(++m_newKeys, 5, 10, QLatin1Char('0')); }

        std::optional<Planned> plan(Op op, const QString &key, const Record &r)
        {
            Planned p{key, op, r.source, r.target};
            switch (op) {
            case Op::EditSource:
                p.source = edited(r.source);
                break;
            case Op::EditTarget:
                p.target = edited(r.target);
                break;
            case Op::EditBothDiff:
                p.source = edited(r.source);
                p.target = edited(r.target);
                // In whatever order the two writes land, they never pass through agreement
                // (which would be a new baseline, and no conflict).
                if (p.source == r.target || p.source == p.target)
                    p.source = freshRow();
                if (p.target == r.source || p.target == p.source)
                    p.target = freshRow();
                break;
            case Op::EditBothSame:
                p.source = p.target = edited(r.source ? r.source : r.target);
                break;
            case Op::Copy:
                if (r.source == r.target)
                    return std::nullopt;
                p.target = r.source;
                break;
            case Op::DeleteSource:
                if (!r.source)
                    return std::nullopt;
                p.source.reset();
                break;
            case Op::DeleteTarget:
                if (!r.target)
                    return std::nullopt;
                p.target.reset();
                break;
            case Op::DeleteBoth:
                if (!r.source || !r.target)
                    return std::nullopt;
                p.source.reset();
                p.target.reset();
                break;
            case Op::NewSource:
                p.source = freshRow();
                break;
            case Op::NewTarget:
                p.target = freshRow();
                break;
            case Op::NewBothSame:
                p.source = p.target = freshRow();
                break;
            case Op::NewBothDiff:
                p.source = freshRow();
                p.target = freshRow();
                break;
            }
            p.writesSource = p.source != r.source;
            p.writesTarget = p.target != r.target;
            return p;
        }

        Op drawOp()
        {
            static const QList<Op> all{Op::EditSource,   Op::EditTarget,  Op::EditBothDiff,
                                       Op::EditBothSame, Op::Copy,        Op::DeleteSource,
                                       Op::DeleteTarget, Op::DeleteBoth,  Op::NewSource,
                                       Op::NewTarget,    Op::NewBothSame, Op::NewBothDiff};
            int total = 0;
            for (Op op : all)
                total += weight(op);
            int pick = uniform(0, total - 1);
            for (Op op : all) {
                pick -= weight(op);
                if (pick < 0)
                    return op;
            }
            return Op::EditSource;
        }

        QList<Planned> planRound(int count)
        {
            QList<Planned> out;
            QSet<QString> used;
            QStringList live;
            for (const QString &k : pool)
                if (!records[k].quarantined)
                    live.append(k);
            int attempts = 0;
            while (out.size() < count && attempts++ < count * 20) {
                const Op op = drawOp();
                const bool isNew = op == Op::NewSource || op == Op::NewTarget
                                   || op == Op::NewBothSame || op == Op::NewBothDiff;
                if (isNew) {
                    const QString key = newKey();
                    out.append(*plan(op, key, Record{}));
                    out.last().newKey = true;
                    used.insert(key);
                    continue;
                }
                if (live.isEmpty())
                    continue;
                const QString key = live[uniform(0, int(live.size()) - 1)];
                if (used.contains(key))
                    continue;
                if (const auto p = plan(op, key, records[key])) {
                    out.append(*p);
                    used.insert(key);
                }
            }
            return out;
        }

        // Writes the round: shuffled, in chunks that are either one transaction per system or
        // one autocommit statement per key, both systems at the same instant.
        bool apply(QList<Planned> &ops, int round, QString *error)
        {
            std::shuffle(ops.begin(), ops.end(), m_rng);
            qsizetype i = 0;
            while (i < ops.size()) {
                const int size = std::min<int>(uniform(1, 6), int(ops.size() - i));
                const bool transaction = size > 1 && uniform(0, 1) == 1;
                QList<QList<qsizetype>> batches;
                if (transaction)
                    batches.append(QList<qsizetype>());
                for (int j = 0; j < size; ++j) {
                    if (!transaction)
                        batches.append(QList<qsizetype>());
                    batches.last().append(i + j);
                }
                for (const auto &batch : batches) {
                    QStringList sourceSql, targetSql;
                    for (const qsizetype j : batch) {
                        const Planned &p = ops[j];
                        const Record &r = records[p.key];
                        if (p.writesSource)
                            sourceSql << m_source.write(p.key, r.source, p.source);
                        if (p.writesTarget)
                            targetSql << m_target.write(p.key, r.target, p.target);
                    }
                    if (!writeBoth(m_source, m_target, sourceSql, targetSql, transaction,
                                   uniform(0, 1) == 1, error))
                        return false;
                }
                i += size;
            }
            for (const Planned &p : ops) {
                Record &r = records[p.key];
                if (p.newKey) {
                    r.baselineKnown = true;
                    r.baseline.reset();
                    pool.append(p.key);
                }
                r.history << QStringLiteral("round %1 %2: source %3 -> %4, target %5 -> %6")
                                 .arg(round)
                                 .arg(opName(p.op), text(r.source), text(p.source), text(r.target),
                                      text(p.target));
                r.source = p.source;
                r.target = p.target;
                m_lastOp[p.key] = opName(p.op);
            }
            return true;
        }

        // The ground truth against the databases themselves: a test bug shows up here, not as
        // a "wrong status".
        bool checkDatabases(QString *error)
        {
            for (const bool source : {true, false}) {
                System &s = source ? m_source : m_target;
                auto rows = s.rows(error);
                if (!rows)
                    return false;
                for (const auto &[key, r] : records) {
                    const Side &want = source ? r.source : r.target;
                    const auto it = rows->find(key);
                    const Side got = it == rows->end() ? Side() : Side(it->second);
                    if (got != want) {
                        *error = QStringLiteral("test bug: the %1 holds %2 for key %3, the "
                                                "ground truth says %4")
                                     .arg(source ? u"source" : u"target", text(got), key,
                                          text(want));
                        return false;
                    }
                    if (it != rows->end())
                        rows->erase(it);
                }
                if (!rows->empty()) {
                    *error = QStringLiteral("test bug: key %1 on the %2 is not in the ground truth")
                                 .arg(rows->begin()->first, source ? u"source" : u"target");
                    return false;
                }
            }
            return true;
        }

        // Expected statuses after the round; agreement sets the baseline.
        QHash<QString, QString> expectations()
        {
            QHash<QString, QString> out;
            for (auto &[key, r] : records) {
                if (r.quarantined)
                    continue;
                out.insert(key, expectedStatus(r));
                if (r.source == r.target) {
                    r.baselineKnown = true;
                    r.baseline = r.source;
                }
            }
            return out;
        }

        QStringList mismatches(const QHash<QString, QString> &expected) const
        {
            QStringList out;
            for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
                if (m_watch.status(it.key()) != it.value())
                    out.append(it.key());
            }
            out.sort();
            return out;
        }

        // A new sentinel record goes to the source, then is copied to the target: once its
        // status followed both writes, each feed has delivered everything written before it
        // (feeds deliver a system's changes in order). Its own statuses are checked too.
        bool sentinel(int round, QString *error)
        {
            const QString key = QStringLiteral("~s%1").arg(++m_sentinels, 5, 10, QLatin1Char('0'));
            const Row value = freshRow();
            Record r;
            r.baselineKnown = true; // a new key: both sides agreed it was absent
            const qint64 writtenMs = m_watch.clockMs();
            auto wrong = [&](const QString &expected, const QString &got, const QString &op,
                             bool missed) {
                r.quarantined = true;
                wrongs.append({round, key, expected, got, op, writtenMs, std::nullopt, missed});
            };
            qsizetype from = m_watch.eventCount();
            if (!writeBoth(m_source, m_target, {m_source.write(key, {}, value)}, {}, false, false,
                           error))
                return false;
            r.source = value;
            r.history << QStringLiteral("round %1 sentinel new_on_source: source absent -> %2")
                             .arg(round).arg(text(value));
            const auto first =
                m_watch.waitFor(key, from, SentinelMs, [](const QString &) { return true; });
            if (!first) {
                *error = QStringLiteral("the insert of sentinel %1 on the source was never "
                                        "reported (within %2 s)")
                             .arg(key)
                             .arg(SentinelMs / 1000);
                return false;
            }
            if (*first != u"pending")
                wrong(QStringLiteral("pending"), *first, QStringLiteral("sentinel new_on_source"),
                      true);
            from = m_watch.eventCount();
            if (!writeBoth(m_source, m_target, {}, {m_target.write(key, {}, value)}, false, false,
                           error))
                return false;
            r.target = value;
            r.baseline = value;
            r.history << QStringLiteral("round %1 sentinel copy_to_target: target absent -> %2")
                             .arg(round).arg(text(value));
            QString last;
            const auto arrived = m_watch.waitFor(
                key, from, SentinelMs, [](const QString &st) { return st == u"in_sync"; }, &last);
            if (!arrived && last.isEmpty() && *first != u"in_sync") {
                *error = QStringLiteral("the copy of sentinel %1 to the target was never "
                                        "reported (within %2 s)")
                             .arg(key)
                             .arg(SentinelMs / 1000);
                return false;
            }
            if (!arrived && !r.quarantined)
                wrong(QStringLiteral("in_sync"), last.isEmpty() ? *first : last,
                      QStringLiteral("sentinel copy_to_target"), false);
            records[key] = r;
            return true;
        }

        // Waits for the round to settle, passes a sentinel, then judges every key.
        bool settle(int round, QString *error)
        {
            const QHash<QString, QString> expected = expectations();
            const qint64 start = m_watch.clockMs();
            // Each change of the set of keys not (yet) as expected, with its time: the round
            // has settled once only keys that stay wrong are left.
            QList<std::pair<qint64, QStringList>> trail;
            auto note = [&] {
                QStringList keys = mismatches(expected);
                if (trail.isEmpty() || trail.last().second != keys)
                    trail.append({m_watch.clockMs() - start, keys});
                return keys;
            };
            qsizetype seen = m_watch.eventCount();
            qint64 lastChange = 0;
            while (true) {
                m_watch.pump(0);
                recheck();
                if (note().isEmpty())
                    break;
                const qint64 now = m_watch.clockMs() - start;
                if (m_watch.eventCount() != seen) {
                    seen = m_watch.eventCount();
                    lastChange = now;
                }
                // Stuck (nothing arrives any more) or too slow: the sentinel tells which.
                if (now > SettleMs || now - lastChange > QuietMs || !m_watch.running())
                    break;
                m_watch.pump(50);
            }
            if (!sentinel(round, error))
                return false;
            m_watch.pump(0);
            QStringList wrong = note();
            const qint64 grace = m_watch.clockMs();
            while (!wrong.isEmpty() && m_watch.clockMs() - grace < GraceMs) {
                m_watch.pump(50);
                wrong = note();
            }
            recheck();
            const QSet<QString> stays(wrong.cbegin(), wrong.cend());
            for (const auto &[at, keys] : trail) {
                if (std::all_of(keys.cbegin(), keys.cend(),
                                [&](const QString &k) { return stays.contains(k); })) {
                    figures.maxSettleMs = std::max(figures.maxSettleMs, at);
                    break;
                }
            }
            for (const QString &key : wrong) {
                records[key].quarantined = true; // not written again: its expectation stays
                wrongs.append({round, key, expected.value(key), m_watch.status(key),
                               m_lastOp.value(key, QStringLiteral("(initial data)")), start,
                               std::nullopt, false});
            }
            return true;
        }

        // Suspects that show their expected status now.
        void recheck()
        {
            const qint64 now = m_watch.clockMs();
            for (Wrong &w : wrongs) {
                if (!w.missed && !w.rightAfterMs && m_watch.status(w.key) == w.expected)
                    w.rightAfterMs = now - w.roundEndMs;
            }
        }

        bool isWrong(const Wrong &w) const
        {
            return w.missed || !w.rightAfterMs || *w.rightAfterMs > SettleMs
                   || m_watch.status(w.key) != w.expected;
        }

        // After the last round: a last chance for suspects, then the verdict and the figures.
        void finish()
        {
            const qint64 start = m_watch.clockMs();
            qint64 lastChange = start;
            qsizetype seen = m_watch.eventCount();
            auto open = [&] {
                return std::any_of(wrongs.cbegin(), wrongs.cend(), [](const Wrong &w) {
                    return !w.missed && !w.rightAfterMs;
                });
            };
            while (open() && m_watch.running()) {
                m_watch.pump(50);
                recheck();
                const qint64 now = m_watch.clockMs();
                if (m_watch.eventCount() != seen) {
                    seen = m_watch.eventCount();
                    lastChange = now;
                }
                if (now - lastChange > FinalQuietMs || now - start > SettleMs)
                    break;
            }
            QList<Wrong> verdict;
            for (Wrong &w : wrongs) {
                w.got = m_watch.status(w.key);
                if (isWrong(w)) {
                    verdict.append(w);
                    ++figures.byCase[QStringLiteral("%1: expected %2, got %3")
                                         .arg(w.lastOp, w.expected, w.got)];
                } else {
                    ++figures.slow;
                    figures.maxSettleMs = std::max(figures.maxSettleMs, *w.rightAfterMs);
                }
            }
            wrongs = verdict;
            figures.wrong = int(wrongs.size());
        }

        QString describe(const Wrong &w, quint64 seed) const
        {
            const Record &r = records.at(w.key);
            const QString got = w.rightAfterMs
                ? QStringLiteral("%1 (right after %2 ms, then %1)").arg(w.got).arg(*w.rightAfterMs)
                : w.got;
            return QStringLiteral("round %1, key %2: expected %3, got %4 (seed %5)\n"
                                  "    history: %6\n    events: %7")
                .arg(w.round)
                .arg(w.key, w.expected, got)
                .arg(seed)
                .arg(r.history.isEmpty() ? QStringLiteral("(initial data only)")
                                         : r.history.join(QStringLiteral("; ")),
                     m_watch.events(w.key).join(QStringLiteral(", ")));
        }

    private:
        std::mt19937_64 &m_rng;
        System &m_source;
        System &m_target;
        Watch &m_watch;
        qint64 m_counter = 1000000;
        int m_newKeys = 0;
        int m_sentinels = 0;
        QHash<QString, QString> m_lastOp;
    };

    // Creates both systems with the table, the records in sync and the few that differ at
    // the first comparison; returns the workspace file.
    QString setUp(const QString &kind, bool postgres, const QString &feed, System &source,
                  System &target, Run &run, QString *error)
    {
        const QString tag = QString(kind).replace(u'-', u'_');
        const QString ddl = postgres
            ? QStringLiteral("CREATE TABLE items (k text PRIMARY KEY, name text, qty integer, "
                             "updated_at timestamptz)")
            : QStringLiteral("CREATE TABLE items (k text PRIMARY KEY, name text, qty integer, "
                             "updated_at text)");
        // Loaded in bulk before go-live: every row shares one updated_at, ten minutes ago.
        const QString past =
            QDateTime::currentDateTimeUtc().addSecs(-600).toString(Qt::ISODateWithMs);
        auto insert = [&](const QString &key, const Row &r) {
            return QStringLiteral("INSERT INTO items VALUES (%1, %2, %3, %4)")
                .arg(System::literal(key), System::literal(r.name)).arg(r.qty)
                .arg(System::literal(past));
        };
        QStringList rows[2];
        auto add = [&](const QString &key, const Side &s, const Side &t, bool known) {
            if (s)
                rows[0] << insert(key, *s);
            if (t)
                rows[1] << insert(key, *t);
            Record r;
            r.source = s;
            r.target = t;
            r.baselineKnown = known;
            r.baseline = known ? s : Side();
            run.records[key] = r;
            run.pool.append(key);
        };
        for (int i = 1; i <= m_keys; ++i) {
            const Row r{QStringLiteral("a%1").arg(i), i};
            add(QStringLiteral("k%1").arg(i, 5, 10, QLatin1Char('0')), r, r, true);
        }
        // Already apart at the first comparison: no baseline until both sides agree.
        for (int i = 1; i <= 4; ++i)
            add(QStringLiteral("d%1").arg(i), Row{QStringLiteral("x%1").arg(i), i},
                Row{QStringLiteral("y%1").arg(i), i}, false);
        for (int i = 1; i <= 3; ++i) {
            add(QStringLiteral("t%1").arg(i), Row{QStringLiteral("only source %1").arg(i), i}, {},
                false);
            add(QStringLiteral("s%1").arg(i), {}, Row{QStringLiteral("only target %1").arg(i), i},
                false);
        }

        System *systems[2] = {&source, &target};
        QJsonArray systemsJson;
        for (int i = 0; i < 2; ++i) {
            const QString name = i == 0 ? QStringLiteral("src") : QStringLiteral("dst");
            System &s = *systems[i];
            s.postgres = postgres;
            QJsonObject o{{QStringLiteral("name"), name}, {QStringLiteral("feed"), feed}};
            if (postgres) {
                if (!testsupport::createDatabase(QStringLiteral("truth_%1_%2").arg(tag, name),
                                                 &s.conninfo, error)
                    || !testsupport::pgExec(s.conninfo, ddl + u';' + rows[i].join(u';'), error))
                    return {};
                o.insert(QStringLiteral("kind"), QStringLiteral("postgres"));
                o.insert(QStringLiteral("conninfo"), s.conninfo);
            } else {
                s.path = m_dir.filePath(QStringLiteral("%1_%2.db").arg(tag, name));
                QFile::remove(s.path);
                const QStringList script = QStringList{ddl, QStringLiteral("BEGIN")} + rows[i]
                                           + QStringList{QStringLiteral("COMMIT")};
                if (!testsupport::sqliteExec(s.path, script, error))
                    return {};
                o.insert(QStringLiteral("kind"), QStringLiteral("sqlite"));
                o.insert(QStringLiteral("path"), s.path);
            }
            systemsJson.append(o);
            if (!s.open(error))
                return {};
        }
        QJsonObject side{{QStringLiteral("table"), QStringLiteral("items")}};
        if (feed == u"polling")
            side.insert(QStringLiteral("updated_at"), QStringLiteral("updated_at"));
        QJsonObject sourceSide = side, targetSide = side;
        sourceSide.insert(QStringLiteral("system"), QStringLiteral("src"));
        targetSide.insert(QStringLiteral("system"), QStringLiteral("dst"));
        const QJsonObject flow{{QStringLiteral("name"), QStringLiteral("items")},
                               {QStringLiteral("source"), sourceSide},
                               {QStringLiteral("target"), targetSide},
                               {QStringLiteral("key"), QJsonArray{QStringLiteral("k")}},
                               {QStringLiteral("fields"),
                                QJsonArray{QStringLiteral("name"), QStringLiteral("qty")}},
                               {QStringLiteral("direction"), QStringLiteral("one-way")},
                               {QStringLiteral("sla_seconds"), 3600}};
        const QJsonObject ws{{QStringLiteral("version"), 1},
                             {QStringLiteral("systems"), systemsJson},
                             {QStringLiteral("flows"), QJsonArray{flow}}};
        const QString path = testsupport::writeFile(QDir(m_dir.path()),
                                                    QStringLiteral("truth_%1.json").arg(tag),
                                                    QJsonDocument(ws).toJson());
        QFile::remove(m_dir.filePath(QStringLiteral("truth_%1.state.db").arg(tag)));

        if (feed == u"notify") {
            // The reviewed trigger SQL, installed by hand as the README says.
            for (int i = 0; i < 2; ++i) {
                const auto [code, sql] =
                    cli({QStringLiteral("feed"), QStringLiteral("install-sql"),
                         QStringLiteral("--workspace"), path, QStringLiteral("--system"),
                         i == 0 ? QStringLiteral("src") : QStringLiteral("dst")});
                if (code != 0) {
                    *error = QStringLiteral("feed install-sql failed: ") + sql;
                    return {};
                }
                if (!testsupport::pgExec(systems[i]->conninfo, sql, error))
                    return {};
            }
        }
        return path;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_ops = envInt("SYNCDESK_TRUTH_OPS", 600);
        m_keys = envInt("SYNCDESK_TRUTH_KEYS", 200);
        bool ok = false;
        m_seed = qEnvironmentVariable("SYNCDESK_TRUTH_SEED").toULongLong(&ok);
        if (!ok)
            m_seed = quint64(QDateTime::currentMSecsSinceEpoch()) % 1000000007ULL;
        qInfo().noquote() << QStringLiteral("truth: seed %1 (SYNCDESK_TRUTH_SEED=%1 repeats it), "
                                            "%2 operations per feed kind, %3 records, cli %4")
                                 .arg(m_seed).arg(m_ops).arg(m_keys).arg(cliPath());
    }

    void shouldReportTheTrueStatusOfEveryRecord_data()
    {
        // One row per feed kind: add a row to cover a new one.
        QTest::addColumn<bool>("postgres");
        QTest::addColumn<QString>("feed");
        QTest::addColumn<int>("busyLoops");
        QTest::newRow("pg-logical") << true << QStringLiteral("logical") << 0;
        QTest::newRow("pg-notify") << true << QStringLiteral("notify") << 0;
        QTest::newRow("pg-polling") << true << QStringLiteral("polling") << 0;
        QTest::newRow("sqlite-polling") << false << QStringLiteral("polling") << 0;
        // A loaded machine stretches the moment between PostgreSQL handing a commit to
        // logical decoding and other sessions seeing it: a read right after the change told
        // can miss it. Two busy loops beside the run, five times the operations.
        QTest::newRow("pg-logical-loaded") << true << QStringLiteral("logical") << 2;
    }

    // Given a live one-way flow, when rounds of random writes hit one side, both sides at the
    // same instant, copies, deletes and inserts, then after each round settles the last status
    // `watch --events` printed for every record is the one its history implies.
    void shouldReportTheTrueStatusOfEveryRecord()
    {
        QFETCH(bool, postgres);
        QFETCH(QString, feed);
        QFETCH(int, busyLoops);
        const QString kind = QString::fromLatin1(QTest::currentDataTag());
        const int opsToRun = busyLoops > 0 ? 5 * m_ops : m_ops;
        std::vector<std::unique_ptr<QProcess>> loops;
        auto stopLoops = qScopeGuard([&] {
            for (const auto &p : loops) {
                p->kill();
                p->waitForFinished(5000);
            }
        });
        for (int i = 0; i < busyLoops; ++i) {
            // niced: they take the time the run leaves, as other work on a desk's machine would
            auto &p = loops.emplace_back(std::make_unique<QProcess>());
            p->start(QStringLiteral("nice"), {QStringLiteral("-n"), QStringLiteral("10"), QStringLiteral("sh"),
                                              QStringLiteral("-c"), QStringLiteral("while :; do :; done")});
            QVERIFY2(p->waitForStarted(5000), qPrintable(p->errorString()));
        }
        // Each kind draws its own sequence from the one seed.
        quint64 kindSeed = m_seed;
        for (const QChar c : kind)
            kindSeed = kindSeed * 1099511628211ULL + c.unicode();
        std::mt19937_64 rng(kindSeed);

        System source, target;
        Watch watch;
        auto keepTranscript = qScopeGuard([&] { watch.keep(kind); });
        Run run(rng, source, target, watch);
        run.figures.kind = kind;
        QString error;
        const QString ws = setUp(kind, postgres, feed, source, target, run, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        auto dropSlots = qScopeGuard([&] {
            if (postgres && feed == u"logical")
                cli({QStringLiteral("slots"), QStringLiteral("drop"),
                     QStringLiteral("--workspace"), ws});
        });

        QElapsedTimer elapsed;
        elapsed.start();
        watch.start({QStringLiteral("watch"), QStringLiteral("--workspace"), ws,
                     QStringLiteral("--events"), QStringLiteral("--verify-interval"),
                     QStringLiteral("3600")});
        if (!watch.waitReady(60000))
            QFAIL(qPrintable(watch.failure(QStringLiteral("watch did not get ready within 60 s"))));

        // Round 0: the first comparison's statuses.
        QVERIFY2(run.checkDatabases(&error), qPrintable(error));
        if (!run.settle(0, &error))
            QFAIL(qPrintable(
                watch.failure(QStringLiteral("round 0 (seed %1): %2").arg(m_seed).arg(error))));

        int round = 0;
        while (run.figures.ops < opsToRun) {
            ++round;
            const int lo = std::max(5, m_keys / 8), hi = std::max(10, m_keys / 3);
            QList<Planned> ops =
                run.planRound(std::min(run.uniform(lo, hi), opsToRun - run.figures.ops));
            QVERIFY2(!ops.isEmpty(), "no operation applies any more (every key quarantined?)");
            QVERIFY2(run.apply(ops, round, &error), qPrintable(error));
            run.figures.ops += int(ops.size());
            run.figures.rounds = round;
            QVERIFY2(run.checkDatabases(&error), qPrintable(error));
            if (!run.settle(round, &error))
                QFAIL(qPrintable(watch.failure(QStringLiteral("round %1 (seed %2): %3")
                                                   .arg(round).arg(m_seed).arg(error))));
        }
        run.finish();
        run.figures.elapsedMs = elapsed.elapsed();
        m_figures.append(run.figures);
        const Figures &f = run.figures;
        qInfo().noquote() << QStringLiteral("truth[%1]: %2 ops in %3 rounds, %4 wrong statuses, "
                                            "max settle %5 ms (%6 right only after their round "
                                            "was judged), %7 s")
                                 .arg(kind).arg(f.ops).arg(f.rounds).arg(f.wrong)
                                 .arg(f.maxSettleMs).arg(f.slow)
                                 .arg(double(f.elapsedMs) / 1000, 0, 'f', 1);
        for (auto it = f.byCase.cbegin(); it != f.byCase.cend(); ++it)
            qInfo().noquote()
                << QStringLiteral("truth[%1]:   %2 x %3").arg(kind).arg(it.value()).arg(it.key());
        for (const Wrong &w : run.wrongs)
            qWarning().noquote()
                << QStringLiteral("truth[%1]: ").arg(kind) + run.describe(w, m_seed);
        QCOMPARE(watch.stop(), 0);
        if (!run.wrongs.isEmpty()) {
            QString message = QStringLiteral("%1 wrong status(es) in %2 operations on %3 "
                                             "(seed %4); first ones:")
                                  .arg(run.wrongs.size()).arg(f.ops).arg(kind).arg(m_seed);
            for (qsizetype i = 0; i < std::min<qsizetype>(3, run.wrongs.size()); ++i)
                message += u'\n' + run.describe(run.wrongs[i], m_seed);
            QFAIL(qPrintable(message));
        }
    }

    void cleanupTestCase()
    {
        qInfo().noquote() << QStringLiteral("truth: seed %1").arg(m_seed);
        for (const Figures &f : m_figures)
            qInfo().noquote() << QStringLiteral("truth: %1 ops %2 rounds %3 wrong %4 "
                                                "max_settle_ms %5 seconds %6 slow %7")
                                     .arg(f.kind, -15).arg(f.ops).arg(f.rounds).arg(f.wrong)
                                     .arg(f.maxSettleMs).arg(double(f.elapsedMs) / 1000, 0, 'f', 1)
                                     .arg(f.slow);
    }
};

QTEST_GUILESS_MAIN(TestTruth)
#include "tst_truth.moc"

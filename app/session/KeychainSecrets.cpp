#include "KeychainSecrets.h"

#include "connectors/PgConnection.h"
#include "connectors/SecretCache.h"

#include <QEventLoop>
#include <QTimer>

#include <memory>

#include <qt6keychain/keychain.h>

namespace syncdesk {

QStringList KeychainSecrets::entries(const Workspace &workspace)
{
    QStringList out;
    for (const SystemSpec &s : workspace.systems)
        for (const HttpHeader &h : s.http.headers)
            if (!h.keychain.isEmpty())
                out << h.keychain;
    for (const FlowSpec &f : workspace.flows)
        for (const FlowSide *side : {&f.source, &f.target})
            if (side->table.http && side->table.http->webhook && !side->table.http->webhook->secretKeychain.isEmpty())
                out << side->table.http->webhook->secretKeychain;
    out.removeDuplicates();
    return out;
}

QStringList KeychainSecrets::passwordEntries(const Workspace &workspace)
{
    QStringList out;
    for (const SystemSpec &s : workspace.systems)
        if (s.kind == SystemKind::Postgres)
            out << PgConnection::passwordEntry(s.conninfo);
    if (isStateUri(workspace.state))
        out << PgConnection::passwordEntry(workspace.state);
    out.removeDuplicates();
    return out;
}

void KeychainSecrets::read(const QStringList &entries, const QStringList &optional)
{
    QStringList all = entries + optional;
    all.removeDuplicates();
    m_waiting = int(all.size());
    m_problems.clear();
    if (all.isEmpty()) {
        QTimer::singleShot(0, this, [this] { emit loaded({}); });
        return;
    }
    for (const QString &entry : std::as_const(all)) {
        // Not our child, deleting itself once done: libsecret answers a lookup into the job it
        // was started for, so a job deleted with a console closed before the keychain answered
        // would be written to after it is freed (qtkeychain issue 261; a test's exit aborted on
        // the heap it had corrupted). The connection below ends with this object.
        auto *job = new QKeychain::ReadPasswordJob(QString::fromLatin1(Service));
        job->setAutoDelete(true);
        job->setKey(entry);
        const bool required = entries.contains(entry);
        connect(job, &QKeychain::Job::finished, this, [this, entry, required](QKeychain::Job *j) {
            auto *read = static_cast<QKeychain::ReadPasswordJob *>(j);
            if (read->error() == QKeychain::NoError) {
                SecretCache::put(entry, read->textData().toUtf8());
            } else if (required) {
                SecretCache::putFailure(entry, read->errorString());
                m_problems << tr("keychain entry '%1': %2").arg(entry, read->errorString());
            }
            if (--m_waiting == 0)
                emit loaded(m_problems);
        });
        job->start();
    }
}

QString KeychainSecrets::write(const QString &entry, const QByteArray &value, int timeoutMs)
{
    // On the heap, deleting itself when done: a keychain slower than the timeout still finishes
    // its job, on an object that lives until then.
    auto *job = new QKeychain::WritePasswordJob(QString::fromLatin1(Service));
    job->setAutoDelete(true);
    job->setKey(entry);
    job->setTextData(QString::fromUtf8(value));
    struct Answer
    {
        bool finished = false;
        QString error;
    };
    const auto answer = std::make_shared<Answer>();
    QEventLoop loop;
    QObject::connect(job, &QKeychain::Job::finished, &loop, [answer, &loop](QKeychain::Job *j) {
        answer->finished = true;
        if (j->error() != QKeychain::NoError)
            answer->error = j->errorString();
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    job->start();
    // No clicks meanwhile: a dialog waiting here cannot be closed or saved a second time.
    if (!answer->finished)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    if (!answer->finished)
        return tr("the desktop keychain did not answer within %1 s").arg(timeoutMs / 1000);
    if (!answer->error.isEmpty())
        return answer->error;
    SecretCache::put(entry, value);
    return {};
}

} // namespace syncdesk

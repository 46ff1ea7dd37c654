#include "KeychainSecrets.h"

#include "connectors/SecretCache.h"

#include <QEventLoop>
#include <QTimer>

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

void KeychainSecrets::read(const QStringList &entries)
{
    m_waiting = int(entries.size());
    m_problems.clear();
    if (entries.isEmpty()) {
        QTimer::singleShot(0, this, [this] { emit loaded({}); });
        return;
    }
    for (const QString &entry : entries) {
        auto *job = new QKeychain::ReadPasswordJob(QString::fromLatin1(Service), this);
        job->setKey(entry);
        connect(job, &QKeychain::Job::finished, this, [this, entry](QKeychain::Job *j) {
            auto *read = static_cast<QKeychain::ReadPasswordJob *>(j);
            if (read->error() == QKeychain::NoError) {
                SecretCache::put(entry, read->textData().toUtf8());
            } else {
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
    QKeychain::WritePasswordJob job{QString::fromLatin1(Service)};
    job.setAutoDelete(false);
    job.setKey(entry);
    job.setTextData(QString::fromUtf8(value));
    QEventLoop loop;
    bool finished = false;
    connect(&job, &QKeychain::Job::finished, &loop, [&] {
        finished = true;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    job.start();
    if (!finished)
        loop.exec();
    if (!finished)
        return tr("the desktop keychain did not answer within %1 s").arg(timeoutMs / 1000);
    if (job.error() != QKeychain::NoError)
        return job.errorString();
    SecretCache::put(entry, value);
    return {};
}

} // namespace syncdesk

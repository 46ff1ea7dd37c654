#include "ReportAnchors.h"

#include "model/SyncError.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace syncdesk {

namespace {

// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.
QList<QList<QByteArray>> csvRecords(const QByteArray &text)
{
    QList<QList<QByteArray>> records;
    QList<QByteArray> record;
    QByteArray field;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
                field += '"', ++i;
            else if (c == '"')
                quoted = false;
            else
                field += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            record << std::exchange(field, {});
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
            record << std::exchange(field, {});
            records << std::exchange(record, {});
        } else {
            field += c;
        }
    }
    if (!field.isEmpty() || !record.isEmpty()) {
        record << field;
        records << record;
    }
    return records;
}

} // namespace

QByteArray ReportAnchors::headHistoryLine(const QDateTime &at, qint64 seq, const QByteArray &hash)
{
    return at.toUTC().toString(Qt::ISODate).toLatin1() + '\t' + QByteArray::number(seq) + '\t' + hash + '\n';
}

bool ReportAnchors::isHash(const QByteArray &text)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
    return hex.match(QString::fromLatin1(text)).hasMatch();
}

QList<std::pair<qint64, QByteArray>> ReportAnchors::read(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw SyncError(QStringLiteral("cannot read the report %1: %2").arg(path, file.errorString()));
    const QByteArray text = file.readAll();
    const QByteArray start = text.left(256).trimmed();
    auto fail = [&](const QString &problem) {
        return SyncError(QStringLiteral("the report %1 %2").arg(path, problem));
    };
    QList<std::pair<qint64, QByteArray>> anchors;
    auto add = [&](qint64 seq, const QByteArray &hash, qsizetype at) {
        if (seq < 1 || !isHash(hash))
            throw fail(QStringLiteral("has no sequence number and entry hash at entry %1").arg(at + 1));
        anchors.append({seq, hash});
    };
    if (text.startsWith(QByteArray(HeadHistoryHeader).trimmed())) {
        // Every head the agent saw: each must still be that entry of the log.
        const QList<QByteArray> lines = text.split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            if (line.isEmpty())
                continue;
            const QList<QByteArray> fields = line.split('\t');
            // A last line cut short (the agent stopped mid-write) vouches for nothing, and
            // spoils nothing before it.
            if (i == lines.size() - 1 && !text.endsWith('\n') && (fields.size() != 3 || !isHash(fields[2])))
                continue;
            if (fields.size() != 3)
                throw fail(QStringLiteral("has a line that is not \"time<TAB>entry<TAB>hash\" (line %1)").arg(i + 1));
            add(fields[1].toLongLong(), fields[2], i - 1);
        }
        if (anchors.isEmpty())
            throw fail(QStringLiteral("lists no heads yet, so it vouches for nothing"));
        return anchors;
    }
    if (start.startsWith("%PDF"))
        throw fail(QStringLiteral("is a PDF, whose text syncdesk-cli cannot read back: verify against the "
                                  "report's JSON, CSV or HTML export, or pass the head hash its footer shows "
                                  "with --expect-head"));
    if (start.startsWith('[')) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
        if (error.error != QJsonParseError::NoError || !doc.isArray())
            throw fail(QStringLiteral("is not a JSON audit export (%1 at byte %2)")
                           .arg(error.errorString(), QString::number(error.offset)));
        const QJsonArray entries = doc.array();
        for (qsizetype i = 0; i < entries.size(); ++i) {
            const QJsonObject o = entries[i].toObject();
            add(o.value(u"seq").toInteger(), o.value(u"hash").toString().toLatin1(), i);
        }
    } else if (start.startsWith("seq,")) {
        const QList<QList<QByteArray>> records = csvRecords(text);
        const qsizetype hashColumn = records.first().indexOf("hash");
        if (hashColumn < 0)
            throw fail(QStringLiteral("is a CSV without a \"hash\" column"));
        for (qsizetype i = 1; i < records.size(); ++i) {
            if (records[i].size() == 1 && records[i].first().isEmpty())
                continue; // a blank line
            if (records[i].size() <= hashColumn)
                throw fail(QStringLiteral("has a short CSV record at entry %1").arg(i));
            add(records[i].first().toLongLong(), records[i][hashColumn], i - 1);
        }
    } else if (start.startsWith("<!DOCTYPE") || start.startsWith("<html")) {
        // The chain's status closes the report (its footer); an operator's reason quoting such a
        // line comes before it, so the last status line is the report's own.
        const QString html = QString::fromUtf8(text);
        static const QRegularExpression status(
            QStringLiteral("Audit chain (?:intact: (\\d+) entr(?:y|ies), head hash ([0-9a-f]{64})|intact: no entries yet|BROKEN)"));
        QRegularExpressionMatch last;
        for (auto it = status.globalMatch(html); it.hasNext();)
            last = it.next();
        if (!last.hasMatch())
            throw fail(QStringLiteral("is HTML without the chain's status (\"Audit chain intact: N entries, head "
                                      "hash …\"): not a SyncDesk audit report"));
        if (last.captured(0).endsWith(QLatin1String("BROKEN")))
            throw fail(QStringLiteral("says the chain was already broken when it was made, so it vouches for "
                                      "nothing"));
        if (!last.captured(2).isEmpty())
            add(last.captured(1).toLongLong(), last.captured(2).toLatin1(), 0);
    } else {
        throw fail(QStringLiteral("is not a SyncDesk audit report (a JSON, CSV or HTML export, or a head-hash "
                                  "history of `watch --anchor-file`)"));
    }
    if (anchors.isEmpty())
        throw fail(QStringLiteral("lists no entries, so it vouches for nothing"));
    return anchors;
}

} // namespace syncdesk

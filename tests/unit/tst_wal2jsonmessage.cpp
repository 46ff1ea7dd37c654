#include "feeds/Wal2JsonMessage.h"

#include <QTest>

using syncdesk::Wal2JsonMessage;

// Every change a PostgreSQL logical feed reports passes through here: a value read wrong here
// is a row image that disagrees with the row, so a wrong status.
class TestWal2JsonMessage : public QObject
{
    Q_OBJECT

    static std::optional<std::string> value(const std::vector<Wal2JsonMessage::Column> &columns,
                                            const std::string &name)
    {
        for (const auto &c : columns)
            if (c.name == name)
                return c.value;
        return std::string("<absent>");
    }

private slots:
    // Given an update as wal2json format 2 prints it, each column's value is the text a read
    // of the row prints: numbers to the last digit, booleans as t/f, JSON escapes undone.
    void shouldKeepEveryValueAsTheServerPrintedIt()
    {
        Wal2JsonMessage m;
        const std::string json = "{\"action\":\"U\",\"xid\":4294967295,\"timestamp\":\"2026-12-05 03:18:10.215938+00\","
                                 "\"schema\":\"public\",\"table\":\"t\\\"x\",\"columns\":["
                                 "{\"name\":\"id\",\"value\":7},"
                                 "{\"name\":\"n\",\"value\":12345678901234567890.0000000001 },"
                                 "{\"name\":\"f\",\"value\":-1.5e-10},"
                                 "{\"name\":\"big\",\"value\":1e400},"
                                 "{\"name\":\"b\",\"value\":true},{\"name\":\"c\",\"value\":false},"
                                 "{\"name\":\"s\",\"value\":\"a\\\"b\\\\c\\n\\u00e9\"},"
                                 "{\"name\":\"e\",\"value\":\"\"},{\"name\":\"z\",\"value\":null}],"
                                 "\"identity\":[{\"name\":\"id\",\"value\":6}]}";
        QVERIFY(Wal2JsonMessage::parse(json, m));
        QCOMPARE(m.action, 'U');
        QCOMPARE(m.xid, 4294967295u);
        QCOMPARE(m.timestamp, std::string("2026-12-05 03:18:10.215938+00"));
        QCOMPARE(m.schema, std::string("public"));
        QCOMPARE(m.table, std::string("t\"x"));
        QCOMPARE(m.columns.size(), size_t(9));
        QCOMPARE(value(m.columns, "id"), std::optional<std::string>("7"));
        QCOMPARE(value(m.columns, "n"), std::optional<std::string>("12345678901234567890.0000000001"));
        QCOMPARE(value(m.columns, "f"), std::optional<std::string>("-1.5e-10"));
        QCOMPARE(value(m.columns, "big"), std::optional<std::string>("1e400"));
        QCOMPARE(value(m.columns, "b"), std::optional<std::string>("t"));
        QCOMPARE(value(m.columns, "c"), std::optional<std::string>("f"));
        QCOMPARE(value(m.columns, "s"), std::optional<std::string>("a\"b\\c\n\xc3\xa9"));
        QCOMPARE(value(m.columns, "e"), std::optional<std::string>(""));
        QCOMPARE(value(m.columns, "z"), std::optional<std::string>());
        QCOMPARE(m.identity.size(), size_t(1));
        QCOMPARE(value(m.identity, "id"), std::optional<std::string>("6"));
    }

    // Given one message object reused for the next, nothing of the last one shows through:
    // fewer columns, a null where a value was, no identity, no xid.
    void shouldForgetTheLastMessage()
    {
        Wal2JsonMessage m;
        QVERIFY(Wal2JsonMessage::parse(
            "{\"action\":\"U\",\"xid\":9,\"schema\":\"s\",\"table\":\"t\",\"columns\":[{\"name\":\"a\",\"value\":\"x\"},{\"name\":\"b\",\"value\":2}],\"identity\":[{\"name\":\"a\",\"value\":\"w\"}]}", m));
        QVERIFY(Wal2JsonMessage::parse("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"u\",\"columns\":[{\"name\":\"a\",\"value\":null}]}", m));
        QCOMPARE(m.action, 'I');
        QCOMPARE(m.xid, 0u);
        QCOMPARE(m.table, std::string("u"));
        QCOMPARE(m.columns.size(), size_t(1));
        QCOMPARE(value(m.columns, "a"), std::optional<std::string>());
        QVERIFY(m.identity.empty());
        QVERIFY(Wal2JsonMessage::parse("{\"action\":\"C\",\"xid\":9}", m));
        QCOMPARE(m.action, 'C');
        QVERIFY(m.columns.empty());
        QVERIFY(m.schema.empty());
    }

    // Given text that is not a message (cut short, not JSON, not UTF-8), there is no message:
    // the feed then compares again rather than guess which record changed.
    void shouldRefuseWhatIsNotAMessage()
    {
        Wal2JsonMessage m;
        for (const std::string bad : {std::string("{\"action\":\"I\",\"columns\":[{\"name\":\"a\",\"value\":1}"),
                                      std::string("not json"), std::string(""),
                                      std::string("{\"action\":\"I\",\"table\":\"\xff\xfe\"}"),
                                      std::string("{\"action\":\"B\",\"xid\":-1}")})
            QVERIFY2(!Wal2JsonMessage::parse(bad, m), bad.c_str());
    }
};

QTEST_GUILESS_MAIN(TestWal2JsonMessage)
#include "tst_wal2jsonmessage.moc"

#include "connectors/LinkPagePattern.h"

#include <QTest>

using namespace syncdesk;

class TestLinkPagePattern : public QObject
{
    Q_OBJECT

    static QUrl u(const char *text) { return QUrl(QString::fromLatin1(text)); }
    static QString after(const LinkPagePattern &p, const char *from)
    {
        const std::optional<QUrl> next = p.after(u(from));
        return next ? next->toString(QUrl::FullyEncoded) : QStringLiteral("(none)");
    }

private slots:
    // json-server's links: the page number counts, the size and the filters stay.
    void shouldCountPageNumbers()
    {
        const auto p = LinkPagePattern::learn(u("http://h:1/c?_page=1&_limit=5&q=a%20b"),
                                              u("http://h:1/c?_page=2&_limit=5&q=a%20b"));
        QVERIFY(p);
        QCOMPARE(after(*p, "http://h:1/c?_page=2&_limit=5&q=a%20b"), QStringLiteral("http://h:1/c?_page=3&_limit=5&q=a%20b"));
        QCOMPARE(after(*p, "http://h:1/c?_page=9&_limit=5&q=a%20b"), QStringLiteral("http://h:1/c?_page=10&_limit=5&q=a%20b"));
        // Another resource, or no page number where it was: no guess.
        QCOMPARE(after(*p, "http://h:1/d?_page=2&_limit=5&q=a%20b"), QStringLiteral("(none)"));
        QCOMPARE(after(*p, "http://h:1/c?_limit=5"), QStringLiteral("(none)"));
    }

    // Offsets count by the page's size.
    void shouldCountOffsetsBySteps()
    {
        const auto p = LinkPagePattern::learn(u("http://h/c?limit=100&offset=0"), u("http://h/c?limit=100&offset=100"));
        QVERIFY(p);
        QCOMPARE(after(*p, "http://h/c?limit=100&offset=100"), QStringLiteral("http://h/c?limit=100&offset=200"));
    }

    // A rel="last" of the same pattern bounds the guesses; one of another shape does not.
    void shouldStopAtTheLastPage()
    {
        const auto p = LinkPagePattern::learn(u("http://h/c?page=1"), u("http://h/c?page=2"), u("http://h/c?page=3"));
        QVERIFY(p);
        QCOMPARE(after(*p, "http://h/c?page=2"), QStringLiteral("http://h/c?page=3"));
        QCOMPARE(after(*p, "http://h/c?page=3"), QStringLiteral("(none)"));
        const auto q = LinkPagePattern::learn(u("http://h/c?page=1"), u("http://h/c?page=2"), u("http://h/c?page=3&x=1"));
        QVERIFY(q);
        QCOMPARE(after(*q, "http://h/c?page=3"), QStringLiteral("http://h/c?page=4"));
    }

    // Links that do not count pages give no pattern at all.
    void shouldNotGuessCursorsOrOtherChanges_data()
    {
        QTest::addColumn<QString>("page");
        QTest::addColumn<QString>("next");
        QTest::newRow("cursor") << "http://h/c?cursor=abc" << "http://h/c?cursor=abd";
        QTest::newRow("backwards") << "http://h/c?page=3" << "http://h/c?page=2";
        QTest::newRow("same") << "http://h/c?page=3" << "http://h/c?page=3";
        QTest::newRow("two items change") << "http://h/c?page=1&since=5" << "http://h/c?page=2&since=9";
        QTest::newRow("item added") << "http://h/c?page=1" << "http://h/c?page=2&x=1";
        QTest::newRow("leading zero") << "http://h/c?page=01" << "http://h/c?page=02";
        QTest::newRow("another path") << "http://h/c?page=1" << "http://h/d?page=2";
        QTest::newRow("another host") << "http://h/c?page=1" << "http://g/c?page=2";
        QTest::newRow("no query") << "http://h/c/1" << "http://h/c/2";
    }
    void shouldNotGuessCursorsOrOtherChanges()
    {
        QFETCH(QString, page);
        QFETCH(QString, next);
        QVERIFY(!LinkPagePattern::learn(QUrl(page), QUrl(next)));
    }
};

QTEST_APPLESS_MAIN(TestLinkPagePattern)
#include "tst_linkpagepattern.moc"

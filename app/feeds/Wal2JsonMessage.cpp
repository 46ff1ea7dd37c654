#include "Wal2JsonMessage.h"

#include <nlohmann/json.hpp>

namespace syncdesk {

namespace {

// Streams the message's tokens straight into the struct: no document is built, and numbers
// arrive with their source text (nlohmann's SAX interface gives it for every non-integer).
class Handler final : public nlohmann::json_sax<nlohmann::json>
{
public:
    explicit Handler(Wal2JsonMessage &out) : m_out(out) {}

    bool null() override { return scalar(std::nullopt); }
    bool boolean(bool v) override { return scalar(std::string(v ? "t" : "f")); }
    bool number_integer(number_integer_t v) override { return scalar(std::to_string(v)); }
    bool number_unsigned(number_unsigned_t v) override
    {
        if (m_depth == 1 && m_arrayDepth == 0 && m_key == "xid") {
            m_out.xid = unsigned(v);
            return true;
        }
        return scalar(std::to_string(v));
    }
    bool number_float(number_float_t, const string_t &text) override { return scalar(text); }
    bool string(string_t &v) override { return scalar(std::move(v)); }
    bool binary(binary_t &) override { return scalar(std::nullopt); }

    bool start_object(std::size_t) override
    {
        ++m_depth;
        // An object inside "columns" or "identity": one column.
        if (m_depth == 2 && m_list)
            m_list->emplace_back();
        return true;
    }
    bool end_object() override
    {
        --m_depth;
        return true;
    }
    bool start_array(std::size_t) override
    {
        if (m_depth == 1 && m_arrayDepth == 0)
            m_list = m_key == "columns" ? &m_out.columns : m_key == "identity" ? &m_out.identity : nullptr;
        ++m_arrayDepth;
        return true;
    }
    bool end_array() override
    {
        if (--m_arrayDepth == 0)
            m_list = nullptr;
        return true;
    }
    bool key(string_t &k) override
    {
        m_key = std::move(k);
        return true;
    }
    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &) override
    {
        return false;
    }

private:
    bool scalar(std::optional<std::string> v)
    {
        if (m_depth == 1 && m_arrayDepth == 0) {
            if (!v)
                return true;
            if (m_key == "action")
                m_out.action = v->empty() ? 0 : (*v)[0];
            else if (m_key == "timestamp")
                m_out.timestamp = std::move(*v);
            else if (m_key == "schema")
                m_out.schema = std::move(*v);
            else if (m_key == "table")
                m_out.table = std::move(*v);
        } else if (m_depth == 2 && m_arrayDepth == 1 && m_list && !m_list->empty()) {
            if (m_key == "name" && v)
                m_list->back().name = std::move(*v);
            else if (m_key == "value")
                m_list->back().value = std::move(v);
        }
        return true;
    }

    Wal2JsonMessage &m_out;
    std::vector<Wal2JsonMessage::Column> *m_list = nullptr;
    std::string m_key;
    int m_depth = 0;
    int m_arrayDepth = 0;
};

} // namespace

bool Wal2JsonMessage::parse(std::string_view json, Wal2JsonMessage &out)
{
    out.action = 0;
    out.xid = 0;
    out.timestamp.clear();
    out.schema.clear();
    out.table.clear();
    out.columns.clear();
    out.identity.clear();
    Handler handler(out);
    return nlohmann::json::sax_parse(json.begin(), json.end(), &handler);
}

} // namespace syncdesk

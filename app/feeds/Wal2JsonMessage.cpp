#include "Wal2JsonMessage.h"

#include <simdjson.h>

namespace syncdesk {

namespace {

namespace od = simdjson::ondemand;

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// A column value as a read prints it: numbers keep their source text (a parse into doubles
// would round a numeric(30,10)), booleans become t/f, null is nullopt. Assigned into `out`'s
// own buffer when it has one (the message is reused from one change to the next).
bool valueText(od::value v, std::optional<std::string> &out)
{
    od::json_type type;
    if (v.type().get(type))
        return false;
    switch (type) {
    case od::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s))
            return false;
        if (!out)
            out.emplace();
        out->assign(s);
        return true;
    }
    case od::json_type::number:
        if (!out)
            out.emplace();
        out->assign(trimmed(v.raw_json_token()));
        return true;
    case od::json_type::boolean: {
        bool b = false;
        if (v.get_bool().get(b))
            return false;
        out = b ? "t" : "f";
        return true;
    }
    default: // null (wal2json writes no nested value for a column)
        out.reset();
        return true;
    }
}

bool stringInto(od::value v, std::string &out)
{
    od::json_type type;
    if (v.type().get(type))
        return false;
    if (type != od::json_type::string)
        return true; // left as it was (a null name or property)
    std::string_view s;
    if (v.get_string().get(s))
        return false;
    out.assign(s);
    return true;
}

// "columns" or "identity": one {name, value, …} object per column.
bool readColumns(od::value v, std::vector<Wal2JsonMessage::Column> &list)
{
    od::array columns;
    if (v.get_array().get(columns))
        return false;
    size_t n = 0;
    for (auto element : columns) {
        od::object column;
        if (element.get_object().get(column))
            return false;
        if (n == list.size())
            list.emplace_back();
        Wal2JsonMessage::Column &c = list[n++];
        c.name.clear();
        bool valued = false;
        for (auto field : column) {
            std::string_view key;
            od::value fv;
            if (field.unescaped_key().get(key) || field.value().get(fv))
                return false;
            if (key == "name" ? !stringInto(fv, c.name) : key == "value" && !valueText(fv, c.value))
                return false;
            valued = valued || key == "value";
        }
        if (!valued)
            c.value.reset();
    }
    list.resize(n);
    return true;
}

} // namespace

bool Wal2JsonMessage::parse(std::string_view json, Wal2JsonMessage &out)
{
    out.action = 0;
    out.xid = 0;
    out.timestamp.clear();
    out.schema.clear();
    out.table.clear();
    bool columns = false, identity = false;
    // simdjson reads up to SIMDJSON_PADDING bytes past the end: the message is copied into a
    // buffer with that room (a few hundred bytes; the stream's own buffer has none).
    thread_local od::parser parser;
    thread_local std::string padded;
    padded.reserve(json.size() + simdjson::SIMDJSON_PADDING);
    padded.assign(json);
    od::document doc;
    od::object message;
    if (parser.iterate(padded.data(), json.size(), padded.capacity()).get(doc) || doc.get_object().get(message))
        return false;
    for (auto field : message) {
        std::string_view key;
        od::value v;
        if (field.unescaped_key().get(key) || field.value().get(v))
            return false;
        bool ok = true;
        if (key == "action") {
            std::string action;
            ok = stringInto(v, action);
            out.action = action.empty() ? 0 : action[0];
        } else if (key == "xid") {
            uint64_t xid = 0;
            ok = !v.get_uint64().get(xid);
            out.xid = unsigned(xid);
        } else if (key == "timestamp") {
            ok = stringInto(v, out.timestamp);
        } else if (key == "schema") {
            ok = stringInto(v, out.schema);
        } else if (key == "table") {
            ok = stringInto(v, out.table);
        } else if (key == "columns") {
            ok = readColumns(v, out.columns);
            columns = true;
        } else if (key == "identity") {
            ok = readColumns(v, out.identity);
            identity = true;
        }
        if (!ok)
            return false;
    }
    if (!columns)
        out.columns.clear();
    if (!identity)
        out.identity.clear();
    return true;
}

} // namespace syncdesk

// A small read-only view of an XML reply (libxml2), enough for S3: find child elements by local
// name (namespaces ignored, as S3 replies put everything in one default namespace) and read their
// text. Plus escaping for the few XML bodies S3 requests carry.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct _xmlDoc;
struct _xmlNode;

namespace pgark::http {

class XmlNode {
public:
    explicit XmlNode(_xmlNode* node) noexcept : node_(node) {}
    std::string_view name() const noexcept;
    // The first child element called `name`; an empty node (valid() false) when there is none.
    XmlNode child(std::string_view name) const noexcept;
    std::vector<XmlNode> children(std::string_view name) const;
    std::string text() const;                               // "" for an empty node
    std::string childText(std::string_view name) const { return child(name).text(); }
    bool valid() const noexcept { return node_ != nullptr; }

private:
    _xmlNode* node_;
};

class XmlDocument {
public:
    // Throws Error(Format) when `text` is not well-formed XML; `what` names it in the message.
    static XmlDocument parse(std::string_view text, std::string_view what);
    XmlNode root() const noexcept;

private:
    struct Free {
        void operator()(_xmlDoc* doc) const noexcept;
    };
    std::unique_ptr<_xmlDoc, Free> doc_;
};

// &, <, >, " and ' as entities.
std::string xmlEscape(std::string_view text);

}  // namespace pgark::http

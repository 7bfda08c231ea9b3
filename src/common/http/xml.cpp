// XmlDocument / XmlNode over libxml2. See xml.h.
#include "common/http/xml.h"

#include <climits>

#include "common/error.h"
#include "common/http/lib_loader.h"

namespace pgark::http {

namespace {
std::string_view nameOf(const xmlNode* node) noexcept { return reinterpret_cast<const char*>(node->name); }
}  // namespace

std::string_view XmlNode::name() const noexcept { return node_ == nullptr ? std::string_view() : nameOf(node_); }

XmlNode XmlNode::child(std::string_view name) const noexcept {
    if (node_ == nullptr) return XmlNode(nullptr);
    for (xmlNode* c = node_->children; c != nullptr; c = c->next)
        if (c->type == XML_ELEMENT_NODE && nameOf(c) == name) return XmlNode(c);
    return XmlNode(nullptr);
}

std::vector<XmlNode> XmlNode::children(std::string_view name) const {
    std::vector<XmlNode> found;
    if (node_ == nullptr) return found;
    for (xmlNode* c = node_->children; c != nullptr; c = c->next)
        if (c->type == XML_ELEMENT_NODE && nameOf(c) == name) found.emplace_back(c);
    return found;
}

std::string XmlNode::text() const {
    if (node_ == nullptr) return {};
    xmlChar* content = libxml2().xmlNodeGetContent(node_);
    if (content == nullptr) return {};
    std::string result(reinterpret_cast<const char*>(content));
    (*libxml2().xmlFree)(content);
    return result;
}

void XmlDocument::Free::operator()(_xmlDoc* doc) const noexcept { libxml2().xmlFreeDoc(doc); }

XmlDocument XmlDocument::parse(std::string_view text, std::string_view what) {
    if (text.size() > INT_MAX) throwError(ErrorCode::Format, "{} is too large to parse as XML", what);
    // NONET: a reply never makes the parser fetch anything; no entity expansion either.
    xmlDoc* doc = libxml2().xmlReadMemory(text.data(), static_cast<int>(text.size()), nullptr, nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == nullptr || libxml2().xmlDocGetRootElement(doc) == nullptr) {
        if (doc != nullptr) libxml2().xmlFreeDoc(doc);
        throwError(ErrorCode::Format, "{} is not valid XML: '{}'", what, text.substr(0, 200));
    }
    XmlDocument result;
    result.doc_.reset(doc);
    return result;
}

XmlNode XmlDocument::root() const noexcept { return XmlNode(libxml2().xmlDocGetRootElement(doc_.get())); }

std::string xmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c;
        }
    }
    return out;
}

}  // namespace pgark::http

/// SEP-2243's `Mcp-Param-{Name}` headers: a tool's input schema may mark a property with
/// `"x-mcp-header": "Name"`, and a 2026-07-28 client then mirrors that argument of each
/// `tools/call` into the header `Mcp-Param-Name`, so gateways can route on it without reading
/// the body. The bridge is that HTTP client for its stdio client: it learns the annotations from
/// the `tools/list` results it relays and adds the headers to the calls it sends.
package enum ParamHeaders {
    /// One annotated property: the `properties` chain leading to it and the header's token.
    package struct Annotation: Equatable, Sendable {
        package let path: [String]
        package let token: String
    }

    static let permittedTypes: Set<String> = ["string", "integer", "boolean"]
    /// JSON Schema 2020-12 applicators whose subschemas are off the pure `properties` chain.
    static let singleSubschema: Set<String> = [
        "items", "contains", "unevaluatedItems", "additionalProperties", "propertyNames",
        "unevaluatedProperties", "not", "if", "then", "else", "contentSchema",
    ]
    static let listSubschemas: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems"]
    static let mapSubschemas: Set<String> = ["patternProperties", "dependentSchemas", "$defs", "definitions"]

    /// The schema's annotations, or why one is invalid: an annotation must sit on a property
    /// reached from the root through `properties` alone, name an RFC 9110 token, be on a string,
    /// integer or boolean property, and be unique ignoring case. A tool with an invalid one is
    /// one a 2026-07-28 client must not call, so the bridge drops it from the list.
    package static func annotations(in inputSchema: JSONNode?) -> Result<[Annotation], InvalidAnnotation> {
        guard let inputSchema else { return .success([]) }
        var found: [Annotation] = []
        var seen: Set<String> = []
        // An explicit stack: a hostile schema's depth cannot exhaust the call stack.
        var stack: [(path: [String]?, node: JSONNode)] = [([], inputSchema)]
        while let (path, node) = stack.popLast() {
            guard case .object(let members) = node else { continue }
            if let header = node["x-mcp-header"] {
                guard let path, !path.isEmpty else { return .failure(.offChain) }
                guard let token = header.string, isToken(token) else { return .failure(.notAToken(property: path.joined(separator: "."))) }
                guard let type = node["type"]?.string, permittedTypes.contains(type) else {
                    return .failure(.notAScalar(property: path.joined(separator: ".")))
                }
                guard seen.insert(token.lowercased()).inserted else { return .failure(.duplicate(token: token)) }
                found.append(Annotation(path: path, token: token))
            }
            // Pushed in reverse, so they are visited (and the headers sent) in the schema's order.
            for (keyword, value) in members.reversed() {
                if keyword == "properties", case .object(let properties) = value {
                    for (name, subschema) in properties.reversed() { stack.append((path.map { $0 + [name] }, subschema)) }
                } else if singleSubschema.contains(keyword) {
                    stack.append((nil, value))
                } else if listSubschemas.contains(keyword), case .array(let items) = value {
                    for item in items.reversed() { stack.append((nil, item)) }
                } else if mapSubschemas.contains(keyword), case .object(let entries) = value {
                    for (_, subschema) in entries { stack.append((nil, subschema)) }
                }
            }
        }
        return .success(found)
    }

    package enum InvalidAnnotation: Error, Equatable, CustomStringConvertible {
        case offChain
        case notAToken(property: String)
        case notAScalar(property: String)
        case duplicate(token: String)

        package var description: String {
            switch self {
            case .offChain: "x-mcp-header outside a pure properties chain"
            case .notAToken(let property): "x-mcp-header of \(property) is not an RFC 9110 token"
            case .notAScalar(let property): "x-mcp-header on \(property), which is not a string, integer or boolean"
            case .duplicate(let token): "x-mcp-header \(token) named twice"
            }
        }
    }

    /// The headers a `tools/call` with these arguments carries: for each annotation whose value
    /// is present and a scalar, `Mcp-Param-<token>` with the value encoded like `Mcp-Name`.
    package static func headers(for annotations: [Annotation], arguments: JSONNode?) -> [(String, String)] {
        annotations.compactMap { annotation in
            var node = arguments
            for key in annotation.path { node = node?[key] }
            let rendered: String
            switch node {
            case .string(let text)?: rendered = text
            case .number(let text)?: rendered = text
            case .bool(let value)?: rendered = value ? "true" : "false"
            default: return nil
            }
            return ("mcp-param-" + annotation.token, HeaderValueEncoding.encode(rendered))
        }
    }

    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): true
            default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }
}

/// What the bridge remembers of the tools a `tools/list` result announced: the annotations of
/// each tool that has any. Bounded, so an upstream listing without end cannot grow it.
package struct ToolHeaderAnnotations: Sendable {
    package static let maximumTools = 10_000
    private(set) package var byTool: [String: [ParamHeaders.Annotation]] = [:]

    package init() {}

    /// Reads a `tools/list` response: remembers the annotations of its tools and returns the
    /// response without the tools whose annotations are invalid (nil when none was dropped).
    package mutating func learn(fromToolListResponse response: JSONNode) -> (response: JSONNode?, dropped: [String]) {
        guard case .array(let tools)? = response["result"]?["tools"] else { return (nil, []) }
        var kept: [JSONNode] = []
        var dropped: [String] = []
        for tool in tools {
            let name = tool["name"]?.string
            switch ParamHeaders.annotations(in: tool["inputSchema"]) {
            case .failure:
                dropped.append(name ?? "")
                if let name { byTool[name] = nil }
            case .success(let annotations):
                kept.append(tool)
                guard let name else { continue }
                if annotations.isEmpty {
                    byTool[name] = nil
                } else if byTool[name] != nil || byTool.count < Self.maximumTools {
                    byTool[name] = annotations
                }
            }
        }
        guard !dropped.isEmpty else { return (nil, []) }
        return (response.replacing(path: ["result", "tools"], with: .array(kept)), dropped)
    }
}

extension JSONNode {
    /// This object with the value at `path` replaced (members keep their order).
    func replacing(path: ArraySlice<String>, with value: JSONNode) -> JSONNode {
        guard let key = path.first, case .object(let members) = self else { return value }
        return .object(members.map { member in
            member.0 == key ? (member.0, member.1.replacing(path: path.dropFirst(), with: value)) : member
        })
    }
}

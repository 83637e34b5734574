/// `signing.string_to_sign` and `signing.headers`: an in-house gateway's HMAC scheme written as
/// configuration (docs/signing.md, "A string-to-sign you write"). Parsed and checked once at load;
/// the signer only walks the pieces.
package struct SigningTemplate: Sendable, Hashable {
    package enum Placeholder: Sendable, Hashable {
        case method, path, query, target, timestamp, nonce, keyID, signature
        case bodySHA256Hex, bodySHA256Base64
        /// A header of the client's request (lower-cased name); empty when it has none.
        case header(String)

        /// The spellings a template may use, and what each is.
        package static let named: [(name: String, placeholder: Placeholder, meaning: String)] = [
            ("method", .method, "the request method"), ("path", .path, "the upstream path, as sent"),
            ("query", .query, "the query string without `?` (empty when none)"), ("target", .target, "path and query as sent"),
            ("timestamp", .timestamp, "the signing time in `signing.timestamp`'s form"), ("nonce", .nonce, "a random 128-bit value, hex, fresh per request"),
            ("key_id", .keyID, "the profile's key_id"), ("signature", .signature, "the signature (headers only)"),
            ("body_sha256", .bodySHA256Hex, "the SHA-256 of the body sent, hex"), ("body_sha256_base64", .bodySHA256Base64, "the same, base64"),
        ]
    }

    package enum Piece: Sendable, Hashable {
        case literal(String)
        case placeholder(Placeholder)
    }

    package let stringToSign: [Piece]
    package let headers: [Header]

    package struct Header: Sendable, Hashable {
        package let name: String
        package let value: [Piece]
    }

    package init(stringToSign: [Piece], headers: [Header]) {
        self.stringToSign = stringToSign
        self.headers = headers
    }

    /// Whether any piece needs the body's digest (so the signer hashes the body only then).
    package var usesBody: Bool {
        (stringToSign + headers.flatMap(\.value)).contains { $0 == .placeholder(.bodySHA256Hex) || $0 == .placeholder(.bodySHA256Base64) }
    }

    /// `{name}` and `{header:x-name}` in `text`; `{{` and `}}` are literal braces.
    package static func parse(_ text: String) -> Result<[Piece], ParseProblem> {
        var pieces: [Piece] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{", next < text.endIndex, text[next] == "{" {
                literal.append("{"); index = text.index(after: next); continue
            }
            if character == "}", next < text.endIndex, text[next] == "}" {
                literal.append("}"); index = text.index(after: next); continue
            }
            if character == "}" { return .failure(.init(description: "a lone `}`; write `}}` for a brace")) }
            guard character == "{" else { literal.append(character); index = next; continue }
            guard let close = text[next...].firstIndex(of: "}") else { return .failure(.init(description: "a `{` without its `}`")) }
            let name = String(text[next..<close])
            let placeholder: Placeholder
            if name.hasPrefix("header:") {
                let header = String(name.dropFirst("header:".count)).lowercased()
                guard TokenRules.isHeaderName(header) else { return .failure(.init(description: "`{\(name)}` does not name a header")) }
                placeholder = .header(header)
            } else if let known = Placeholder.named.first(where: { $0.name == name }) {
                placeholder = known.placeholder
            } else {
                let fix = Suggestion.closest(to: name, among: Placeholder.named.map(\.name)).map { " (did you mean `{\($0)}`?)" } ?? ""
                return .failure(.init(description: "unknown placeholder `{\(name)}`\(fix); known: " + Placeholder.named.map { "{\($0.name)}" }.joined(separator: ", ") + ", {header:NAME}"))
            }
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
            pieces.append(.placeholder(placeholder))
            index = text.index(after: close)
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return .success(pieces)
    }

    /// The pieces written back as template text (`check` shows it).
    package static func text(_ pieces: [Piece]) -> String {
        pieces.map { piece -> String in
            switch piece {
            case .literal(let text): return text.map { $0 == "{" ? "{{" : $0 == "}" ? "}}" : String($0) }.joined()
            case .placeholder(.header(let name)): return "{header:\(name)}"
            case .placeholder(let placeholder): return "{" + (Placeholder.named.first { $0.placeholder == placeholder }?.name ?? "?") + "}"
            }
        }.joined()
    }

    package struct ParseProblem: Error, CustomStringConvertible {
        package let description: String
    }
}

extension String {
    /// Line breaks and tabs as `\n`, `\r`, `\t`, for one-line display.
    package var debugEscaped: String {
        var out = ""
        for character in self {
            switch character {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out
    }
}

/// The parameters of a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3, RFC 9728 §5.1):
/// where the protected resource's metadata is, which scope the server wants, and why it refused.
package struct BearerChallenge: Sendable, Equatable {
    package var resourceMetadata: String?
    package var scope: String?
    package var error: String?
    package var errorDescription: String?

    /// The Bearer challenge among `values` (one header may carry several schemes), or nil.
    package init?(headerValues values: [String]) {
        for value in values {
            if let parsed = Self.parse(value) {
                self = parsed
                return
            }
        }
        return nil
    }

    package init(resourceMetadata: String? = nil, scope: String? = nil, error: String? = nil, errorDescription: String? = nil) {
        self.resourceMetadata = resourceMetadata
        self.scope = scope
        self.error = error
        self.errorDescription = errorDescription
    }

    /// `Bearer realm="x", scope="a b", error="invalid_token"`; tolerant of other schemes before it.
    package static func parse(_ header: String) -> BearerChallenge? {
        let scalars = Array(header.unicodeScalars)
        var index = 0
        // Find the `Bearer` token at a scheme position.
        func skipSpaces() { while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" || scalars[index] == "," { index += 1 } }
        func token() -> String {
            var out = String.UnicodeScalarView()
            while index < scalars.count, scalars[index] != " ", scalars[index] != "=", scalars[index] != ",", scalars[index] != "\t" {
                out.append(scalars[index])
                index += 1
            }
            return String(out)
        }
        var inBearer = false
        var challenge = BearerChallenge()
        var found = false
        while index < scalars.count {
            skipSpaces()
            let start = index
            let name = token()
            guard !name.isEmpty else { index += 1; continue }
            var probe = index
            while probe < scalars.count, scalars[probe] == " " { probe += 1 }
            if probe < scalars.count, scalars[probe] == "=" {
                index = probe + 1
                while index < scalars.count, scalars[index] == " " { index += 1 }
                var value = String.UnicodeScalarView()
                if index < scalars.count, scalars[index] == "\"" {
                    index += 1
                    while index < scalars.count, scalars[index] != "\"" {
                        if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                        value.append(scalars[index])
                        index += 1
                    }
                    index += 1
                } else {
                    while index < scalars.count, scalars[index] != ",", scalars[index] != " " {
                        value.append(scalars[index])
                        index += 1
                    }
                }
                guard inBearer else { continue }
                let text = String(value)
                switch name.lowercased() {
                case "resource_metadata": challenge.resourceMetadata = text
                case "scope": challenge.scope = text
                case "error": challenge.error = text
                case "error_description": challenge.errorDescription = text
                default: break
                }
            } else {
                // A new auth scheme starts here.
                if found, inBearer { return challenge }
                inBearer = name.lowercased() == "bearer"
                if inBearer { found = true }
                _ = start
            }
        }
        return found ? challenge : nil
    }
}

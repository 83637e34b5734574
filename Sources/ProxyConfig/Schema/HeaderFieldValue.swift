/// The rule for every credential value the proxy turns into header bytes — secrets of every
/// scheme, client tokens, and whatever later schemes add (OAuth tokens, signature parts) — checked
/// where the value is loaded: at start-up, at every reload and after every `secret_command` run.
///
/// RFC 9110 §5.5: a field value has no CR, LF or NUL (a recipient would read a second header
/// line, or a second request, in it) and no other control character but HTAB. Leading and
/// trailing spaces and tabs are refused too rather than trimmed: a recipient strips them from a
/// header value, so the credential it reads would differ from the one configured, and for an
/// HMAC key they are nearly always a copy-paste slip. A source's trailing line end is removed
/// before the check (a file's, or a command's last one), never anything else.
package enum HeaderFieldValue {
    package enum Problem: Equatable, Sendable {
        /// CR or LF at this byte offset.
        case lineBreak(at: Int)
        case nul(at: Int)
        case controlCharacter(at: Int)
        case surroundingWhitespace

        /// What is wrong, by position only: never the value.
        package var description: String {
            switch self {
            case .lineBreak(let offset): return "contains a line break (CR or LF) at byte \(offset)"
            case .nul(let offset): return "contains a NUL byte at byte \(offset)"
            case .controlCharacter(let offset): return "contains a control character at byte \(offset)"
            case .surroundingWhitespace: return "starts or ends with a space or tab"
            }
        }

        package var fix: String {
            switch self {
            case .lineBreak: return "a credential is one line: keep only it in the source (a file may hold a second line or a blank first one)"
            case .nul, .controlCharacter: return "the value must be printable text; regenerate it or store it without binary bytes"
            case .surroundingWhitespace: return "remove the spaces or tabs around the value"
            }
        }
    }

    /// The first problem of `bytes` as a header field value, nil when there is none.
    package static func problem(in bytes: some BidirectionalCollection<UInt8>) -> Problem? {
        for (offset, byte) in bytes.enumerated() {
            switch byte {
            case 0x0D, 0x0A: return .lineBreak(at: offset)
            case 0x00: return .nul(at: offset)
            case 0x09: continue
            case 0x01...0x1F, 0x7F: return .controlCharacter(at: offset)
            default: continue
            }
        }
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        if let first = bytes.first, isBlank(first) { return .surroundingWhitespace }
        if let last = bytes.last, isBlank(last) { return .surroundingWhitespace }
        return nil
    }
}

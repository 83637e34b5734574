/// The request methods the transitions tell apart, compared as a byte rather than a string.
enum RequestMethod: Equatable {
    case get, post, head, other

    init(_ method: String) {
        switch method {
        case "GET": self = .get
        case "POST": self = .post
        case "HEAD": self = .head
        default: self = .other
        }
    }
}

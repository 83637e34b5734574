import MCPMessages
import NIOCore

/// What an exchange keeps while the tool policy filters a `tools/list` response: the filter, and
/// either the event stream being filtered or the JSON response being collected whole.
///
/// A class so that the exchange of every other request carries one nil reference: the exchange is
/// reset and copied for every request, and four inline optionals of these types there cost a
/// measurable share of throughput on the path without a policy. Only the machine of the
/// connection that created it holds it.
final class ToolListResponse {
    var filter: ToolListFilter
    /// An event-stream response, filtered event by event.
    var eventStream: EventStreamToolListFilter?
    /// A JSON response's head and body, held until its end.
    var head: ResponseHead?
    var body: ByteBuffer?

    init(filter: ToolListFilter) {
        self.filter = filter
    }
}

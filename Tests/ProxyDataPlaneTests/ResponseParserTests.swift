import NIOCore
import Testing
@testable import ProxyDataPlane

/// What a parser made of a byte stream: the final heads, the de-framed body and how it ended.
private struct Parsed {
    var heads: [ResponseHead] = []
    var body = ""
    var ends = 0
}

/// Feeds `text` in pieces of `step` bytes (every boundary gets exercised with step 1).
private func parse(_ text: String, step: Int = .max, closeAtEnd: Bool = false) throws -> Parsed {
    var parser = ResponseParser()
    var parsed = Parsed()
    let bytes = Array(text.utf8)
    var offset = 0
    func drain() throws {
        while let event = try parser.next() {
            switch event {
            case .head: parsed.heads.append(parser.head!)
            case .body(let buffer): parsed.body += String(buffer: buffer)
            case .end: parsed.ends += 1
            }
        }
    }
    while offset < bytes.count {
        let end = min(bytes.count, offset + step)
        parser.feed(ByteBuffer(bytes: bytes[offset..<end]))
        offset = end
        try drain()
    }
    if closeAtEnd, let event = try parser.inputClosed() {
        #expect(event == .end)
        parsed.ends += 1
    }
    return parsed
}

private func failure(_ text: String) -> ResponseParser.Failure? {
    do {
        _ = try parse(text, closeAtEnd: true)
        return nil
    } catch let error as ResponseParser.Failure {
        return error
    } catch {
        return nil
    }
}

@Suite("upstream response parser")
struct ResponseParserTests {
    @Test("a Content-Length body is delimited exactly, at every split point", arguments: [1, 2, 7, 1000])
    func contentLength(step: Int) throws {
        let parsed = try parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello", step: step)
        #expect(parsed.heads.count == 1)
        #expect(parsed.heads.first?.status == 200)
        #expect(parsed.heads.first?.framing == .contentLength(5))
        #expect(parsed.heads.first?.keepAlive == true)
        #expect(parsed.body == "hello")
        #expect(parsed.ends == 1)
    }

    @Test("chunked bodies come out de-chunked; extensions and trailers are dropped", arguments: [1, 3, 1000])
    func chunked(step: Int) throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n"
        let parsed = try parse(text, step: step)
        #expect(parsed.heads.first?.framing == .chunked)
        #expect(parsed.body == "hello, world!!!")
        #expect(parsed.ends == 1)
    }

    @Test("interim 1xx responses are consumed; the final head is reported")
    func interim() throws {
        let parsed = try parse("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", step: 4)
        #expect(parsed.heads.map(\.status) == [201])
        #expect(parsed.ends == 1)
    }

    @Test("204 and 304 have no body whatever their headers say", arguments: [204, 304])
    func noBody(status: Int) throws {
        let parsed = try parse("HTTP/1.1 \(status) X\r\nContent-Length: 10\r\n\r\n")
        #expect(parsed.heads.first?.framing == ResponseHead.Framing.none)
        #expect(parsed.ends == 1)
        #expect(parsed.body.isEmpty)
    }

    @Test("without a length the body runs until the upstream closes, and the connection is not reused")
    func untilClose() throws {
        let parsed = try parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", step: 3, closeAtEnd: true)
        #expect(parsed.heads.first?.framing == .untilClose)
        #expect(parsed.heads.first?.keepAlive == false)
        #expect(parsed.body == "all of it")
        #expect(parsed.ends == 1)
    }

    @Test("a body cut short is truncation, not an end")
    func truncated() {
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort") == .truncated)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel") == .truncated)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Le") == .truncated)
    }

    @Test("ambiguous or unsafe heads are refused", arguments: [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\nX-B: b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\u{0}\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 20x OK\r\n\r\n",
        "garbage\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
        // Codings the proxy cannot pass on: the client would get gzip bytes with no header to say so.
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ])
    func refused(text: String) {
        guard case .malformed? = failure(text) else {
            Issue.record("accepted: \(text.debugDescription)")
            return
        }
    }

    @Test("a head larger than the limit is refused before it completes")
    func oversizedHead() {
        let huge = "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: ResponseParser.maxHeadBytes + 1)
        guard case .malformed? = failure(huge) else {
            Issue.record("an oversized head was accepted")
            return
        }
    }

    @Test("keep-alive follows the version and Connection; event streams are recognised")
    func connectionFacts() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n").heads.first?.keepAlive == false)
        #expect(try parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").heads.first?.keepAlive == false)
        let stream = try parse("HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(stream.heads.first?.isEventStream == true)
    }

    @Test("bytes after a complete response mean the connection is not between messages")
    func leftovers() throws {
        var parser = ResponseParser()
        parser.feed(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naEXTRA"))
        var events: [ResponseParser.Event] = []
        while let event = try parser.next() {
            events.append(event)
            if event == .end { break }
        }
        #expect(events.count == 3)
        #expect(!parser.isBetweenMessages)
    }
}

@Suite("client response head rewriting")
struct ClientResponseHeadTests {
    func rewrite(_ text: String, clientIsHTTP11: Bool = true, closeAfter: Bool = false) throws -> String {
        var parser = ResponseParser()
        parser.feed(ByteBuffer(string: text))
        _ = try parser.next()
        let head = try #require(parser.head)
        let framing = HeaderRewriting.clientFraming(for: head, clientIsHTTP11: clientIsHTTP11)
        var out = ByteBuffer()
        HeaderRewriting.writeClientResponseHead(head, framing: framing, isEventStream: head.isEventStream, closeAfter: closeAfter, into: &out)
        return String(buffer: out)
    }

    @Test("hop-by-hop fields and the ones Connection names are dropped; the rest are copied byte for byte")
    func hopByHop() throws {
        let head = try rewrite("HTTP/1.1 401 Not You\r\nConnection: keep-alive, X-Private\r\nKeep-Alive: timeout=5\r\nX-Private: p\r\nWWW-Authenticate: HMAC realm=\"x\"\r\nContent-Length: 2\r\n\r\n")
        #expect(head == "HTTP/1.1 401 Not You\r\nWWW-Authenticate: HMAC realm=\"x\"\r\nContent-Length: 2\r\n\r\n")
    }

    @Test("chunked and close-delimited bodies are re-chunked for HTTP/1.1 clients")
    func rechunked() throws {
        #expect(try rewrite("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") == "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        #expect(try rewrite("HTTP/1.1 200 OK\r\n\r\n") == "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        #expect(try rewrite("HTTP/1.1 200 OK\r\n\r\n", clientIsHTTP11: false) == "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")
    }

    @Test("event streams get the anti-buffering headers, and a proxy's own X-Accel-Buffering is replaced")
    func eventStream() throws {
        let head = try rewrite("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Accel-Buffering: yes\r\nTransfer-Encoding: chunked\r\n\r\n", closeAfter: true)
        #expect(head == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\ntransfer-encoding: chunked\r\nx-accel-buffering: no\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n")
    }
}

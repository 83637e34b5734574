import NIOCore
import Testing
@testable import ProxyDataPlane
@testable import ProxySigning

/// Every request the parser produced from a byte stream fed in pieces of `step` bytes.
private struct ParsedRequest {
    var head: RequestHead
    var body = ""
}

private func parseRequests(_ text: String, step: Int = .max) throws(RequestParser.Failure) -> [ParsedRequest] {
    var parser = RequestParser()
    var requests: [ParsedRequest] = []
    var ended = 0
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + step)
        parser.feed(ByteBuffer(bytes: bytes[offset..<end]))
        offset = end
        while let event = try parser.next() {
            switch event {
            case .head: requests.append(ParsedRequest(head: parser.head!))
            case .body(let buffer): requests[requests.count - 1].body += String(buffer: buffer)
            case .end: ended += 1
            }
        }
    }
    #expect(ended == requests.count, "every request was completed")
    return requests
}

private func requestFailure(_ text: String) -> RequestParser.Failure? {
    do {
        _ = try parseRequests(text)
        return nil
    } catch {
        return error
    }
}

@Suite("client request parser")
struct RequestParserTests {
    @Test("a POST with Content-Length, split at every byte, and the facts the proxy decides on", arguments: [1, 5, 10_000])
    func post(step: Int) throws {
        let text = "POST /mcp?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8931\r\nOrigin: http://localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"
        let requests = try parseRequests(text, step: step)
        let head = try #require(requests.first?.head)
        #expect(requests.count == 1)
        #expect(head.method == "POST")
        #expect(head.target == "/mcp?x=1")
        #expect(head.host == "127.0.0.1:8931")
        #expect(head.origin == "http://localhost")
        #expect(head.expectsContinue)
        #expect(head.isKeepAlive)
        #expect(requests.first?.body == "{}")
    }

    @Test("pipelined requests come out one after another; leading empty lines are skipped")
    func pipelined() throws {
        let text = "GET /mcp HTTP/1.1\r\nHost: a\r\n\r\n\r\nDELETE /mcp HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let requests = try parseRequests(text, step: 7)
        #expect(requests.map(\.head.method) == ["GET", "DELETE"])
        #expect(requests.last?.head.isKeepAlive == false)
    }

    @Test("a chunked body is de-chunked and trailers dropped")
    func chunked() throws {
        let text = "POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\n{\"a\r\n3\r\n\":1\r\n1\r\n}\r\n0\r\nX-T: 1\r\n\r\n"
        let requests = try parseRequests(text, step: 3)
        #expect(requests.first?.body == #"{"a":1}"#)
        #expect(requests.first?.head.framing == .chunked)
    }

    @Test("HTTP/1.0 keeps the connection only when asked")
    func http10() throws {
        #expect(try parseRequests("GET /mcp HTTP/1.0\r\nHost: a\r\n\r\n").first?.head.isKeepAlive == false)
        #expect(try parseRequests("GET /mcp HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n").first?.head.isKeepAlive == true)
    }

    @Test("smuggling-shaped and malformed requests are refused", arguments: [
        "POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\n{}",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /mcp HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost : a\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nX: \u{1}\r\n\r\n",
        "POST /m cp HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /mcp HTTP/2.0\r\nHost: a\r\n\r\n",
        "POST /mcp\r\nHost: a\r\n\r\n",
        "P(ST /mcp HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n",
    ])
    func refused(text: String) {
        guard case .malformed? = requestFailure(text) else {
            Issue.record("accepted: \(text.debugDescription)")
            return
        }
    }

    @Test("a head over the limit is refused as too large, even before it ends")
    func tooLarge() {
        let unfinished = "POST /mcp HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: RequestParser.maxHeadBytes)
        #expect(requestFailure(unfinished) == .headTooLarge)
        #expect(requestFailure(unfinished + "\r\n\r\n") == .headTooLarge)
    }

    @Test("client field lines are copied upstream as bytes, minus hop-by-hop, Connection-named and owned ones")
    func upstreamRequest() throws {
        let text = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nX-Signature: forged\r\nTE: trailers\r\nAccept: application/json\r\nContent-Length: 2\r\n\r\n{}"
        let request = try #require(try parseRequests(text).first)
        var out = ByteBuffer()
        HeaderRewriting.writeUpstreamRequest(
            client: request.head, target: "/base/mcp", authority: "upstream.example", body: ByteBuffer(string: request.body),
            dropped: HeaderRewriting.droppedFromRequests(ownedHeaders: ["x-api-key-id", "x-timestamp", "x-signature"]), into: &out) { out in
                out.writeString("x-api-key-id: k\r\nx-timestamp: 1\r\nx-signature: s\r\n")
            }
        #expect(String(buffer: out) == "POST /base/mcp HTTP/1.1\r\nhost: upstream.example\r\nAccept: application/json\r\ncontent-length: 2\r\nx-api-key-id: k\r\nx-timestamp: 1\r\nx-signature: s\r\n\r\n{}")
    }
}

@Suite("request and response parsers under mutation")
struct ParserMutationTests {
    static let seeds = [
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}GET /mcp HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 204 No\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n",
    ]
    static let alphabet = Array("\r\n :;,0123456789abcdefHTTP/1.chunkedContent-LengthTransfer-Encoding\t\u{0}\u{7f}".utf8)

    /// Deterministic pseudo-random mutations (xorshift), so a failure names a reproducible case.
    struct Mutator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
            var bytes = bytes
            for _ in 0...next(4) {
                switch next(3) {
                case 0 where !bytes.isEmpty: bytes.remove(at: next(bytes.count))
                case 1: bytes.insert(ParserMutationTests.alphabet[next(ParserMutationTests.alphabet.count)], at: next(bytes.count + 1))
                default: if !bytes.isEmpty { bytes[next(bytes.count)] = ParserMutationTests.alphabet[next(ParserMutationTests.alphabet.count)] }
                }
            }
            return bytes
        }
    }

    /// A transcript of everything a parser made of the input, fed in pieces of `step` bytes.
    static func transcript(_ bytes: [UInt8], step: Int, request: Bool) -> [String] {
        var log: [String] = []
        var requests = RequestParser()
        var responses = ResponseParser()
        var offset = 0
        func record(_ head: String, _ fields: [HeaderField], _ buffer: ByteBuffer) {
            log.append(head)
            buffer.withUnsafeReadableBytes { raw in
                for field in fields {
                    let line = UnsafeRawBufferPointer(rebasing: raw[field.name.lowerBound..<field.value.upperBound])
                    #expect(!line.contains(0x0D) && !line.contains(0x0A) && !line.contains(0), "a field line that could split on the other side")
                }
            }
        }
        do {
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                if request { requests.feed(ByteBuffer(bytes: bytes[offset..<end])) } else { responses.feed(ByteBuffer(bytes: bytes[offset..<end])) }
                offset = end
                if request {
                    while let event = try requests.next() {
                        switch event {
                        case .head: record("head \(requests.head!.method) \(requests.head!.target)", requests.head!.fields, requests.head!.bytes)
                        case .body(let buffer): log.append("body \(String(buffer: buffer))")
                        case .end: log.append("end")
                        }
                    }
                } else {
                    while let event = try responses.next() {
                        switch event {
                        case .head(let status): record("head \(status)", responses.head!.fields, responses.head!.bytes)
                        case .body(let buffer): log.append("body \(String(buffer: buffer))")
                        case .end: log.append("end")
                        }
                    }
                }
            }
        } catch {
            log.append("error")
        }
        // Body pieces depend on how the bytes arrived; their concatenation must not.
        return log.reduce(into: []) { merged, entry in
            if entry.hasPrefix("body "), let last = merged.last, last.hasPrefix("body ") {
                merged[merged.count - 1] = last + entry.dropFirst(5)
            } else {
                merged.append(entry)
            }
        }
    }

    @Test("3,000 mutated streams: no crash, no line-splitting field accepted, same result however the bytes arrive")
    func mutations() {
        var mutator = Mutator(state: 0x9E37_79B9_7F4A_7C15)
        for round in 0..<3000 {
            let seed = Self.seeds[round % Self.seeds.count]
            let bytes = mutator.mutate(Array(seed.utf8))
            let isRequest = seed.hasPrefix("POST")
            let whole = Self.transcript(bytes, step: .max, request: isRequest)
            let split = Self.transcript(bytes, step: 1 + mutator.next(5), request: isRequest)
            #expect(whole == split, "round \(round): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
    }
}

/// The word-at-a-time and table shortcuts of `HeadScanner` against their plain definitions.
@Suite("head scanning shortcuts")
struct HeadScannerShortcutTests {
    @Test("the token table agrees with RFC 9110's tchar for all 256 bytes")
    func tokenMap() {
        for byte in 0...255 {
            #expect(HeadScanner.isTokenByte(UInt8(byte)) == HeadScanner.isTokenByteSpelledOut(UInt8(byte)), "\(byte)")
        }
    }

    @Test("the word test flags every word holding a control byte or DEL, wherever it sits")
    func controlWords() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var bytes = (0..<8).map { _ in UInt8.random(in: 0x20...0xFF, using: &generator) }
            bytes = bytes.map { $0 == 0x7F ? 0x41 : $0 }
            let clean = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(!HeadScanner.mayHoldControlByte(clean), "\(bytes)")
            let position = Int.random(in: 0..<8, using: &generator)
            bytes[position] = [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x7F].randomElement(using: &generator)!
            let dirty = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(HeadScanner.mayHoldControlByte(dirty), "\(bytes)")
        }
    }

    @Test("the head's end found line feed to line feed is the first CRLF CRLF, from any start")
    func headEndAgreesWithPlainSearch() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("ab: \r\n".utf8)
        for _ in 0..<5_000 {
            let count = Int.random(in: 0..<64, using: &generator)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
            let from = Int.random(in: 0...max(0, count), using: &generator)
            var plain: Int?
            var index = max(3, from)
            while index < count {
                if bytes[index - 3...index].elementsEqual([0x0D, 0x0A, 0x0D, 0x0A]) { plain = index + 1; break }
                index += 1
            }
            #expect(HeadScanner.headEnd(ByteBuffer(bytes: bytes), from: from) == plain, "\(bytes) from \(from)")
        }
    }
}

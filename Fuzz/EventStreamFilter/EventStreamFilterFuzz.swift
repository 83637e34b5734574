import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
@testable import MCPMessages

/// The `event-stream-filter` fuzz target: any bytes, as the upstream's event-stream answer to a
/// `tools/list` request with id 7 under `deny: ["*delete*"]`, fed to the listener's filter in
/// pieces that the input's first byte chooses. Invariant: no event of the output, read the way a
/// client reads it (`ClientReading`), answers 7 with a refused tool. `scripts/fuzz` builds it
/// with libFuzzer (`-DFUZZING`); built plainly it replays inputs: `event-stream-filter-fuzz FILE…`.
let policy = ToolPolicy(allow: nil, deny: ["*delete*"])
let request = JSONNode.parse(Array(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#.utf8))!

func check(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let stream = Array(input.dropFirst())
    var filter = EventStreamToolListFilter(filter: ToolListFilter(request: request, policy: policy)!, limit: 1 << 16, profile: "fuzz")
    var output: [UInt8] = []
    var failed = false
    let step = max(1, Int(first))
    var start = 0
    while start < stream.count, !failed {
        let end = min(stream.count, start + step)
        switch filter.feed(ByteBuffer(bytes: stream[start..<end])) {
        case .relay(let bytes): output += bytes.map { Array($0.readableBytesView) } ?? []
        case .failed(_, let answer): output += Array(answer.readableBytesView); failed = true
        }
        start = end
    }
    if !failed {
        switch filter.finish() {
        case .relay(let bytes): output += bytes.map { Array($0.readableBytesView) } ?? []
        case .failed(_, let answer): output += Array(answer.readableBytesView)
        }
    }
    if ClientReading.streamShowsRefusedTool(output, isRefused: { !policy.allows($0) }) {
        fatalError("a refused tool got through: \(String(decoding: stream, as: UTF8.self).debugDescription)")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func eventStreamFilterFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
/// Replays saved inputs (a libFuzzer finding, the corpus): `event-stream-filter-fuzz FILE…`.
@main
enum Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
            check(Array(data))
            print("ok \(path)")
        }
    }
}
#endif

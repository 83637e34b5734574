import Foundation

/// libFuzzer entry point for the config loader: any bytes, as a YAML file, must give a config or
/// diagnostics, never a crash or a hang. Built by scripts/fuzz with the ProxyConfig sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func configLoaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let root = try? YAMLParser().parse(text) { _ = root.kindDescription }
    let path = NSTemporaryDirectory() + "fuzz-config-\(getpid()).yaml"
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    let result = ConfigLoader.load(ConfigRequest(configPath: path, environment: ["S": "0123456789abcdef"]))
    if result.config == nil, result.diagnostics.errors.isEmpty { fatalError("rejected without a reason") }
    return 0
}

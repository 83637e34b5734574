/// A duration written as `250ms`, `15s`, `5m` or `1h`, kept in milliseconds.
package struct ConfigDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let milliseconds: Int64

    package init(milliseconds: Int64) { self.milliseconds = milliseconds }
    package static func seconds(_ value: Int64) -> ConfigDuration { ConfigDuration(milliseconds: value * 1000) }

    package static func < (lhs: ConfigDuration, rhs: ConfigDuration) -> Bool { lhs.milliseconds < rhs.milliseconds }

    package var description: String {
        let units: [(Int64, String)] = [(3_600_000, "h"), (60_000, "m"), (1000, "s")]
        for (size, suffix) in units where milliseconds % size == 0 {
            return "\(milliseconds / size)\(suffix)"
        }
        return "\(milliseconds)ms"
    }

    /// The units a duration is written in, with their size in milliseconds (`ms` before `s`).
    package static let units: [(suffix: String, milliseconds: Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]

    /// Parses `<integer><unit>`; nil for anything else, including zero and negative values.
    package static func parse(_ text: String) -> ConfigDuration? {
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(number),
                  value > 0, value <= Int64.max / factor / 1_000_000 else { return nil }
            return ConfigDuration(milliseconds: value * factor)
        }
        return nil
    }
}

/// A byte count written as `1048576`, `512KiB`, `4MiB`, `1GiB` (or decimal `KB`/`MB`/`GB`).
package struct ByteSize: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let bytes: Int

    package init(bytes: Int) { self.bytes = bytes }
    package static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.bytes < rhs.bytes }

    package var description: String {
        let units: [(Int, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, suffix) in units where bytes % size == 0 {
            return "\(bytes / size)\(suffix)"
        }
        return "\(bytes)"
    }

    /// The units a size is written in, with their size in bytes; "" is a bare byte count.
    package static let units: [(suffix: String, bytes: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
        ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1), ("", 1),
    ]

    package static func parse(_ text: String) -> ByteSize? {
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(number),
                  value > 0, value <= (1 << 40) / factor else { continue }
            return ByteSize(bytes: value * factor)
        }
        return nil
    }
}

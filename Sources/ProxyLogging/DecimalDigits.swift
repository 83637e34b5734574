/// Non-negative integers written as ASCII digits straight into bytes: log lines, the
/// `content-length` of rewritten heads and auth-gateway timestamps. `String(value)` cost some 200–400
/// instructions per number on the request path, through `CustomStringConvertible` and a `String`.
package enum DecimalDigits {
    /// How many digits `value` has (1 for zero).
    @inlinable
    package static func count(_ value: UInt64) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    /// Writes exactly `count(value)` digits at `start`, most significant first.
    @inlinable
    package static func write(_ value: UInt64, digits: Int, at start: UnsafeMutablePointer<UInt8>) {
        var rest = value
        var position = start + digits
        repeat {
            position -= 1
            position.pointee = UInt8(truncatingIfNeeded: 48 &+ rest % 10)
            rest /= 10
        } while rest > 0
    }
}

extension String {
    /// The UTF-8 bytes, lent for the call: a native string's own storage, no copy. For the
    /// request path's writers (log lines, signature headers, heads), which take raw bytes.
    /// Inlinable: called from other modules on every request, it must not stay a generic call.
    @inlinable
    package func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        var text = self
        return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}

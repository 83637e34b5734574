/// The bytes of a log line being built: a growable buffer written through its pointer.
///
/// Built on `[UInt8]`, a request's line took some 60 calls to `append`, each checking uniqueness
/// and capacity, and a generic `append(contentsOf:)` per run of text: about 3,000 instructions
/// per request. Here each piece (a key, a run, a number, the timestamp) reserves its room with one
/// uniqueness and one capacity check and is then stored with plain writes. Copy-on-write keeps
/// value semantics, so a copied line never sees the other's writes.
package struct LineBytes: @unchecked Sendable {
    // @unchecked: the storage is only written while uniquely referenced (`reserve`), like an
    // `Array`'s; shared copies are only read.
    private final class Storage {
        let pointer: UnsafeMutablePointer<UInt8>
        let capacity: Int
        var count = 0

        init(capacity: Int) {
            pointer = .allocate(capacity: capacity)
            self.capacity = capacity
        }

        deinit { pointer.deallocate() }
    }

    private var storage: Storage

    package init(capacity: Int = 256) {
        storage = Storage(capacity: max(capacity, 16))
    }

    package var count: Int { storage.count }

    package func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Empties the buffer, keeping its room when no copy shares it.
    package mutating func removeAll() {
        if isKnownUniquelyReferenced(&storage) {
            storage.count = 0
        } else {
            storage = Storage(capacity: storage.capacity)
        }
    }

    /// Room for `length` more bytes at the end, owned by this value alone; `commit` them after
    /// writing.
    @inline(__always)
    mutating func reserve(_ length: Int) -> UnsafeMutablePointer<UInt8> {
        if _slowPath(!isKnownUniquelyReferenced(&storage) || storage.count &+ length > storage.capacity) {
            reallocate(adding: length)
        }
        return storage.pointer + storage.count
    }

    @inline(__always)
    mutating func commit(_ length: Int) {
        storage.count &+= length
    }

    @inline(never)
    private mutating func reallocate(adding length: Int) {
        let fresh = Storage(capacity: max(storage.capacity * 2, storage.count + length))
        fresh.pointer.initialize(from: storage.pointer, count: storage.count)
        fresh.count = storage.count
        storage = fresh
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1).pointee = byte
        commit(1)
    }

    mutating func append(_ raw: UnsafeRawBufferPointer) {
        guard let source = raw.baseAddress, raw.count > 0 else { return }
        UnsafeMutableRawPointer(reserve(raw.count)).copyMemory(from: source, byteCount: raw.count)
        commit(raw.count)
    }

    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
    }
}

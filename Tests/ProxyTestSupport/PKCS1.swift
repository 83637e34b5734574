/// Reads an RSA public key's modulus out of its PKCS#1 DER (SEQUENCE { INTEGER n, INTEGER e }),
/// for tests that publish the key as a JWK (`n`, without the sign byte).
public enum PKCS1 {
    public static func modulus(_ der: [UInt8]) -> [UInt8] {
        var index = 1
        func length() -> Int {
            let first = Int(der[index]); index += 1
            guard first & 0x80 != 0 else { return first }
            var value = 0
            for _ in 0..<(first & 0x7F) { value = value << 8 | Int(der[index]); index += 1 }
            return value
        }
        _ = length()
        index += 1 // the INTEGER tag of n
        var count = length()
        while der[index] == 0 { index += 1; count -= 1 }
        return Array(der[index..<(index + count)])
    }
}

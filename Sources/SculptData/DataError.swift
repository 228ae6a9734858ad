/// Problems with data files and data descriptions that a user can cause.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// A data directory does not exist.
    case missingDirectory(path: String)
    /// A file is where a data directory should be.
    case notADirectory(path: String)
    /// None of the accepted file names exists in a directory.
    case missingFile(directory: String, expected: [String])
    /// A file does not start with the magic number its format requires.
    case badMagic(path: String, expected: String, actual: String)
    /// A file's length does not match what its header or format requires.
    case wrongSize(path: String, expected: String, actual: Int)
    /// A file's dimensions are not the ones the dataset needs.
    case wrongDimensions(path: String, expected: String, actual: [Int])
    /// Image and label files disagree on the number of samples.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A label is not a valid class index.
    case labelOutOfRange(path: String, sample: Int, label: Int, classCount: Int)
    /// A file cannot be decoded (corrupt compression).
    case unreadable(path: String, reason: String)
    /// A data source string cannot be parsed.
    case invalidSource(String, reason: String)
    /// A train/validation split was asked with an impossible fraction.
    case invalidFraction(Double, sampleCount: Int)

    public var description: String {
        switch self {
        case .missingDirectory(let p): return "data directory \(p) does not exist"
        case .notADirectory(let p): return "\(p) is a file, not a data directory"
        case .missingFile(let d, let names):
            return "no \(names.first ?? "data file") in \(d) (looked for \(names.joined(separator: ", ")))"
        case .badMagic(let p, let e, let a): return "\(p): bad magic number \(a), expected \(e)"
        case .wrongSize(let p, let e, let a): return "\(p): file holds \(a) bytes, expected \(e)"
        case .wrongDimensions(let p, let e, let a): return "\(p): dimensions \(a), expected \(e)"
        case .countMismatch(let i, let ni, let l, let nl):
            return "\(i) holds \(ni) images but \(l) holds \(nl) labels"
        case .labelOutOfRange(let p, let s, let l, let c):
            return "\(p): label \(l) of sample \(s) is outside 0..<\(c)"
        case .unreadable(let p, let r): return "\(p): \(r)"
        case .invalidSource(let s, let r): return "invalid data source '\(s)': \(r)"
        case .invalidFraction(let f, let n):
            return
                "validation fraction \(f) is impossible for \(n) samples (use 0 <= f < 1, leaving at least one training sample)"
        }
    }
}

/// Problems reading or writing checkpoints; each names the file and the values involved.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case notFound(path: String)
    /// Something other than a folder is where a checkpoint folder should be.
    case notAFolder(path: String)
    case missingFile(path: String)
    case malformedJSON(path: String, reason: String)
    case invalidArchitecture(path: String, reason: String)
    /// The architecture needs more values than the weights file holds (checked while building).
    case architectureTooLarge(path: String, needed: Int, available: Int)
    case missingTensors(path: String, names: [String])
    case unexpectedTensors(path: String, names: [String])
    case shapeMismatch(path: String, tensor: String, expected: [Int], actual: [Int])
    case invalidTrainingState(path: String, reason: String)
    case invalidOptimizer(String)
    case unsupportedOptimizer(String)
    /// The target exists and is not a checkpoint, so writing there would destroy something else.
    case refusingToReplace(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    /// A checkpoint does not fit what it is used with (another architecture, other data).
    case incompatible(String)

    public var description: String {
        switch self {
        case .notFound(let p): return "checkpoint \(p) does not exist"
        case .notAFolder(let p): return "\(p) is a file, not a checkpoint folder"
        case .missingFile(let p): return "checkpoint file \(p) is missing"
        case .malformedJSON(let p, let r): return "\(p): malformed JSON: \(r)"
        case .invalidArchitecture(let p, let r): return "\(p): \(r)"
        case .architectureTooLarge(let p, let n, let a):
            return "\(p): the architecture needs at least \(n) values, far more than the weights hold (limit \(a))"
        case .missingTensors(let p, let names): return "\(p): missing tensors \(list(names))"
        case .unexpectedTensors(let p, let names): return "\(p): unexpected tensors \(list(names))"
        case .shapeMismatch(let p, let t, let e, let a):
            return "\(p): tensor \(t) has shape \(a), the architecture needs \(e)"
        case .invalidTrainingState(let p, let r): return "\(p): invalid training state: \(r)"
        case .invalidOptimizer(let r): return "invalid optimizer configuration: \(r)"
        case .unsupportedOptimizer(let t): return "cannot save optimizer \(t) (only SGD and Adam)"
        case .refusingToReplace(let p, let r): return "refusing to replace \(p): \(r)"
        case .cannotWrite(let p, let r): return "cannot write \(p): \(r)"
        case .incompatible(let r): return r
        }
    }
}

private func list(_ names: [String]) -> String {
    names.count <= 6
        ? names.joined(separator: ", ") : names.prefix(6).joined(separator: ", ") + " and \(names.count - 6) more"
}

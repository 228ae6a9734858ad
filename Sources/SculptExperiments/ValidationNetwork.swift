import SculptCore
import SculptNN

/// The network a trial kind's `validate` builds to check a config against, refused with a
/// `ConfigError` at `keyPath` when training it would need more memory than `MemoryBudget.standard`
/// (a spec must not allocate gigabytes before any trial runs).
func validationNetwork(_ architecture: Architecture, batchSize: Int, keyPath: String) throws -> Network {
    var rng = RandomSource(seed: 0)
    return try checkedNetwork(architecture, batchSize: batchSize, keyPath: keyPath, rng: &rng)
}

/// `architecture` built from `rng`, after the memory check of `validationNetwork`.
func checkedNetwork(_ architecture: Architecture, batchSize: Int, keyPath: String,
                    rng: inout RandomSource) throws -> Network {
    do {
        let estimate = try MemoryEstimate.training(architecture, batchSize: batchSize)
        try estimate.check(.standard, flag: keyPath)
    } catch let e as MemoryError {
        throw ConfigError(keyPath: keyPath, reason: "\(e)")
    } catch let e as ShapeError {
        throw ConfigError(keyPath: keyPath, reason: "\(e)")
    }
    return try Network(architecture, rng: &rng)
}

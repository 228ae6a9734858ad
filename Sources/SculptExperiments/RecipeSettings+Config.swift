import SculptCore
import SculptData
import SculptNN
import SculptRecipes

// The one reader of each recipe's settings: a trial kind reads its spec config with it, and the
// command of the same recipe writes its flags as such a config and reads them with it too, so
// both accept and refuse the same values with the same words (the command names the flag).

extension ConfigReader {
    /// An initializer's text (`Initializer.parse`: pytorch, glorot, he, uniform:A:B, ...).
    public func initializer(_ key: String, default fallback: String) throws -> Initializer {
        let text = try string(key, default: fallback)
        do { return try Initializer.parse(text) } catch let error as InitializerError {
            throw ConfigError(keyPath: keyPath(key), reason: "\(error.reason) (found \"\(text)\")")
        }
    }

    /// A `--data` value that parses.
    func dataSource(_ key: String, default fallback: String) throws -> String {
        let text = try string(key, default: fallback)
        do { _ = try DataSource(parsing: text) } catch { throw ConfigError(keyPath: keyPath(key), reason: "\(error)") }
        return text
    }
}

extension LotteryTicketSettings {
    /// Reads (and validates) a lottery search's settings; see `LotteryTicketTrial` for the keys.
    public init(reading r: ConfigReader) throws {
        var c = LotteryTicketConfiguration()
        let data = try r.dataSource("data", default: "fashion-mnist")
        let model = try r.string("model", default: "mlp:300,100")
        let training = r.contains("trainingSamples") ? try r.int("trainingSamples", minimum: 1) : nil
        let test = r.contains("testSamples") ? try r.int("testSamples", minimum: 1) : nil
        c.rounds = try r.int("rounds", default: c.rounds, minimum: 0, maximum: 1000)
        c.rate = try r.double("rate", default: c.rate, range: 1e-9...0.999_999)
        if r.contains("convolutionRate") { c.convolutionRate = try r.double("convolutionRate", range: 0...0.999_999) }
        if r.contains("outputRate") { c.outputRate = try r.double("outputRate", range: 0...0.999_999) }
        c.structured = try r.bool("structured", default: false)
        c.norm = UnitNorm(rawValue: try r.string("norm", default: "l1",
                                                 allowed: UnitNorm.allCases.map(\.rawValue))) ?? .l1
        let scopes = PruningScope.allCases.map(\.rawValue)
        c.scope = PruningScope(rawValue: try r.string("scope", default: "layer", allowed: scopes)) ?? .layer
        c.rewindStep = try r.int("rewindStep", default: 0, minimum: 0)
        c.control = try r.bool("control", default: true)
        c.epochs = try r.int("epochs", default: c.epochs, minimum: 1, maximum: 1_000_000)
        c.batchSize = try r.int("batchSize", default: c.batchSize, minimum: 1, maximum: 1 << 20)
        let optimizer = try r.string("optimizer", default: "adam", allowed: ["adam", "sgd"])
        let lr = Float(try r.double("learningRate", default: 1.2e-3, range: Self.positive))
        let momentum = Float(try r.double("momentum", default: 0, range: 0...0.999_999))
        if optimizer == "adam" && momentum != 0 {
            throw ConfigError(keyPath: r.keyPath("momentum"), reason: "applies to sgd only (adam uses beta1 0.9)")
        }
        c.optimizer = optimizer == "adam" ? .adam(learningRate: lr) : .sgd(learningRate: lr, momentum: momentum)
        c.initializer = try r.initializer("initializer", default: "glorot-normal")
        do { try c.validate() } catch { throw ConfigError(keyPath: r.path, reason: "\(error)") }
        self.init(model: model, data: data, trainingSamples: training, testSamples: test, configuration: c)
    }

    /// Reads a whole config object (every key must be one of the settings').
    public init(config: JSONValue) throws {
        let reader = try ConfigReader(config)
        try self.init(reading: reader)
        try reader.finish()
    }

    /// Positive finite numbers (learning rates).
    static let positive = Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude
}

extension PartialTrainingSettings {
    /// Reads (and validates) partial training's optimizer settings: `epochs`, `batchSize`,
    /// `learningRate`, `momentum`, `weightDecay` (the partial trial kinds' keys and `sculpt
    /// partial`'s flags).
    public init(reading r: ConfigReader, defaultEpochs: Int) throws {
        let d = PartialTrainingSettings()
        self.init(
            epochs: try r.int("epochs", default: defaultEpochs, minimum: 0, maximum: 1_000_000),
            batchSize: try r.int("batchSize", default: d.batchSize, minimum: 1, maximum: 1 << 20),
            learningRate: Float(try r.double("learningRate", default: Double(d.learningRate),
                                             range: LotteryTicketSettings.positive)),
            momentum: Float(try r.double("momentum", default: Double(d.momentum), range: 0...0.999_999)),
            weightDecay: Float(try r.double("weightDecay", default: Double(d.weightDecay), range: 0...1e6)))
        do { try validate() } catch { throw ConfigError(keyPath: r.path, reason: "\(error)") }
    }

    /// Reads a whole config object of these keys.
    public init(config: JSONValue, defaultEpochs: Int) throws {
        let reader = try ConfigReader(config)
        try self.init(reading: reader, defaultEpochs: defaultEpochs)
        try reader.finish()
    }
}

extension PartialRestartSettings {
    /// Reads (and validates) a partial restart's settings; see `PartialRestartTrial` for the keys.
    /// The reset method and the control stay at the configuration's defaults (the trial runs
    /// several methods and one control; the command sets them from `--reset` and `--no-control`).
    public init(reading r: ConfigReader, defaultModel: String = "mininet") throws {
        var c = PartialRestartConfiguration()
        let data = try r.dataSource("data", default: "fashion-mnist")
        let model = try r.string("model", default: defaultModel)
        let width = try r.double("widthMultiplier", default: 1,
                                 range: Double.leastNonzeroMagnitude...SizeLimits.maxWidthMultiplier)
        let trainLimit = try r.int("trainLimit", default: 0, minimum: 0)
        let testLimit = try r.int("testLimit", default: 0, minimum: 0)
        c.restarts = try r.int("restarts", default: c.restarts, minimum: 0, maximum: 1000)
        c.useless = try Self.useless(r) ?? c.useless
        c.layers = try Self.layers(r)
        let outgoing = PartialRestartOutgoing.allCases.map(\.rawValue)
        c.outgoing = PartialRestartOutgoing(rawValue: try r.string("outgoing", default: c.outgoing.rawValue,
                                                                   allowed: outgoing)) ?? .keep
        c.stopWhenUnchanged = try r.bool("stopWhenUnchanged", default: c.stopWhenUnchanged)
        func epochs(_ key: String, _ fallback: Int) throws -> Int {
            try r.int(key, default: fallback, minimum: 0, maximum: 1_000_000)
        }
        c.epochsHigh = try epochs("epochsHigh", c.epochsHigh)
        c.epochsLow = try epochs("epochsLow", c.epochsLow)
        c.restartEpochsHigh = try epochs("restartEpochsHigh", c.restartEpochsHigh)
        c.restartEpochsLow = try epochs("restartEpochsLow", c.restartEpochsLow)
        if r.value("validationFraction") != nil {
            let f = try r.double("validationFraction", default: 0)
            guard f > 0, f < 1 else {
                throw ConfigError(keyPath: r.keyPath("validationFraction"),
                                  reason: "must lie in (0, 1), found \(JSONValue.numberText(f))")
            }
            c.validationFraction = f
        }
        if r.value("patience") != nil {
            c.patience = try r.int("patience", default: 1, minimum: 1, maximum: 1_000_000)
            guard c.validationFraction != nil else {
                throw ConfigError(keyPath: r.keyPath("patience"), reason: "the base stops on the validation loss: " +
                                  "patience needs a validation fraction")
            }
        }
        let positive = LotteryTicketSettings.positive
        c.learningRate = Float(try r.double("learningRate", default: Double(c.learningRate), range: positive))
        c.lowLearningRate = Float(try r.double("lowLearningRate", default: Double(c.lowLearningRate), range: positive))
        c.momentum = Float(try r.double("momentum", default: Double(c.momentum), range: 0...0.999_999))
        c.weightDecay = Float(try r.double("weightDecay", default: Double(c.weightDecay), range: 0...1e6))
        c.batchSize = try r.int("batchSize", default: c.batchSize, minimum: 1, maximum: 1 << 20)
        c.measureSamples = try r.int("measureSamples", default: c.measureSamples, minimum: 1, maximum: 1 << 24)
        c.initializer = try r.initializer("initializer", default: "pytorch")
        do { try c.validate() } catch { throw ConfigError(keyPath: r.path, reason: "\(error)") }
        self.init(model: model, data: data, widthMultiplier: width, trainLimit: trainLimit, testLimit: testLimit,
                  configuration: c)
    }

    /// Reads a whole config object (every key must be one of the settings').
    public init(config: JSONValue) throws {
        let reader = try ConfigReader(config)
        try self.init(reading: reader)
        try reader.finish()
    }

    /// `uselessFraction` or `uselessCount` (nil when neither is given).
    private static func useless(_ r: ConfigReader) throws -> UselessFilterRule? {
        if r.contains("uselessCount") {
            if r.contains("uselessFraction") {
                throw ConfigError(keyPath: r.keyPath("uselessCount"), reason: "give uselessFraction or uselessCount, " +
                    "not both")
            }
            return .count(try r.int("uselessCount", minimum: 1))
        }
        guard r.contains("uselessFraction") else { return nil }
        let f = try r.double("uselessFraction")
        guard f > 0, f <= 1 else {
            throw ConfigError(keyPath: r.keyPath("uselessFraction"),
                              reason: "must lie in (0, 1], found \(JSONValue.numberText(f))")
        }
        return .fraction(f)
    }

    /// `layers`: layer paths ("layers.3", or the index 3), nil when absent.
    private static func layers(_ r: ConfigReader) throws -> [String]? {
        guard let raw = r.value("layers") else { return nil }
        guard case .array(let items) = raw, !items.isEmpty else {
            throw ConfigError(keyPath: r.keyPath("layers"), reason: "expected a non-empty array of layer paths")
        }
        return try items.enumerated().map { i, item in
            switch item {
            case .string(let s): return s
            case .number(let x) where x == x.rounded() && x >= 0: return String(Int(x))
            default:
                throw ConfigError(keyPath: r.keyPath("layers") + "[\(i)]",
                                  reason: "expected a layer path such as \"layers.3\", found \(item.canonicalText)")
            }
        }
    }
}

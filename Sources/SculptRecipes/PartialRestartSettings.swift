/// What a partial restart runs on and how: the model and data names, the width multiplier, the
/// sample limits (0 = all) and the recipe's configuration. `sculpt restart` (from its flags) and
/// the `partial-restart` trial kind (from a spec) read it with one reader
/// (`PartialRestartSettings(reading:)` in SculptExperiments).
public struct PartialRestartSettings: Equatable, Sendable {
    /// A built-in name, `mlp:W1,W2,...` or (for the command) an architecture JSON file.
    public var model: String
    /// As `--data`.
    public var data: String
    public var widthMultiplier: Double
    public var trainLimit: Int
    public var testLimit: Int
    public var configuration: PartialRestartConfiguration

    public init(model: String = "mininet", data: String = "fashion-mnist", widthMultiplier: Double = 1,
                trainLimit: Int = 0, testLimit: Int = 0,
                configuration: PartialRestartConfiguration = PartialRestartConfiguration()) {
        self.model = model
        self.data = data
        self.widthMultiplier = widthMultiplier
        self.trainLimit = trainLimit
        self.testLimit = testLimit
        self.configuration = configuration
    }
}

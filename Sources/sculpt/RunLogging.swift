import SculptExperiments

/// The run folder's `metrics.jsonl` and `curves.svg` writer every training command uses
/// (`RunLog` of SculptExperiments), named here so command files need no import of their own.
typealias RunLog = SculptExperiments.RunLog

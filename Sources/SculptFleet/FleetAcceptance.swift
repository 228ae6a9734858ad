#if Fleet
import Foundation
import SculptData
import SculptExperiments

/// Which enqueued runs a worker may work on: those whose trial kind this build knows at the same version,
/// whose spec text this build reads to the same content hash (the run id), and, when the worker was given
/// specs, those named (a spec file must hash to the enqueued run). A mixed fleet must not mix results.
final class FleetAcceptance: @unchecked Sendable {
    let catalog: TrialKindCatalog
    let specs: [String]
    private let lock = NSLock()
    private var reported: Set<String> = []
    private(set) var reasons: [String] = []
    private(set) var refusedRunIDs: [String] = []

    init(catalog: TrialKindCatalog, specs: [String]) {
        self.catalog = catalog
        self.specs = specs
    }

    /// The runs of `runs` this worker accepts; the others' reasons are added to `reasons` (once each).
    func accepted(from runs: [FleetRun]) throws -> [FleetRun] {
        let wanted = try wantedSpecs()
        var out: [FleetRun] = []
        for run in runs {
            if !specs.isEmpty {
                guard let hash = wanted[run.specName] else { continue }
                if let hash, hash.runID != run.runID {
                    refuse(run, "spec \(run.specName): the enqueued run \(run.runID) has another content hash than "
                        + "\(hash.file) (\(hash.runID)); give this worker the spec that was enqueued")
                    continue
                }
            }
            if let reason = refusal(of: run) { refuse(run, reason) } else { out.append(run) }
        }
        return out
    }

    /// Why this build must not run `run`'s trials, nil when it may.
    func refusal(of run: FleetRun) -> String? {
        guard let kind = try? catalog.kind(named: run.kind) else {
            return "spec \(run.specName) (run \(run.runID)): trial kind \(run.kind) is unknown to this worker's build"
        }
        guard kind.version == run.kindVersion else {
            return "spec \(run.specName) (run \(run.runID)) was enqueued with trial kind \(run.kind) version "
                + "\(run.kindVersion); this worker's build has version \(kind.version): run workers of one build"
        }
        let spec: ExperimentSpec
        do {
            spec = try ExperimentSpec.parse(Array(run.specText.utf8), file: "spec \(run.specName) as enqueued",
                                            catalog: catalog)
        } catch {
            return "spec \(run.specName) (run \(run.runID)): this worker's build cannot read it: \(error)"
        }
        guard spec.runID == run.runID else {
            return "spec \(run.specName): its content hash under this worker's build is \(spec.runID), the enqueued "
                + "run is \(run.runID): the builds read the spec differently; run workers of the enqueuing build"
        }
        return nil
    }

    /// The `--spec` names: a spec file's name maps to its file and run id, a plain name to nil.
    private func wantedSpecs() throws -> [String: (file: String, runID: String)?] {
        var out: [String: (file: String, runID: String)?] = [:]
        for name in specs {
            if FilePaths.isFile(name) {
                let spec = try ExperimentSpec.load(path: name, catalog: catalog)
                out[spec.name] = (name, spec.runID)
            } else {
                out[name] = .some(nil)
            }
        }
        return out
    }

    private func refuse(_ run: FleetRun, _ reason: String) {
        lock.lock()
        defer { lock.unlock() }
        guard reported.insert(run.runID).inserted else { return }
        reasons.append(reason)
        refusedRunIDs.append(run.runID)
    }
}
#endif

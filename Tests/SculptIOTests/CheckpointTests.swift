import SculptCore
import SculptData
import SculptIO
import SculptNN
import Testing
import TestSupport

@Suite(.serialized) struct CheckpointTests {
    @Test func saveLoadRoundTrip() throws {
        let dir = TemporaryDirectory("ckpt")
        defer { dir.remove() }
        let run = try Fixtures.trainedRun(Fixtures.adam, epochs: 2, mask: true)
        var checkpoint = run.checkpoint()
        checkpoint.history = [
            HistoryRecord(operation: "test", epoch: 2, details: .object(["units": .array([.number(1), .number(3)])]))
        ]
        try checkpoint.save(to: dir.file("c"))
        #expect(
            directoryEntries(dir.file("c")) == [
                "architecture.json", "history.json", "init.safetensors", "optimizer.safetensors",
                                                  "training.json", "weights.safetensors"])
        let back = try Checkpoint.load(from: dir.file("c"))
        #expect(back.network.architecture == run.network.architecture)
        #expect(sameState(back.network, run.network))
        #expect(back.history == checkpoint.history)
        #expect(back.training == checkpoint.training)
        #expect(back.training?.completedEpochs == 2)
        #expect(back.training?.rng == run.rng)
        // weights are PyTorch's state_dict names only
        let weights = try Safetensors.read(dir.file("c/weights.safetensors"))
        #expect(weights.tensors.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
        #expect(weights["layers.0.weight"]?.shape == [5, 6])
    }

    @Test func networkWithoutTrainingState() throws {
        let dir = TemporaryDirectory("ckpt")
        defer { dir.remove() }
        var rng = RandomSource(seed: 4)
        let network = try Network(Fixtures.mlp(), rng: &rng)
        try Checkpoint(network: network).save(to: dir.path)
        let back = try Checkpoint.load(from: dir.path)
        #expect(back.training == nil && back.history.isEmpty)
        #expect(sameState(back.network, network))
        #expect(throws: CheckpointError.self) { try TrainingRun(resuming: back) }
    }

    @Test func attachmentsTravelWithTheCheckpointAndMustNotShadowItsFiles() throws {
        let dir = TemporaryDirectory("ckpt")
        defer { dir.remove() }
        var rng = RandomSource(seed: 4)
        let network = try Network(Fixtures.mlp(), rng: &rng)
        try Checkpoint(network: network, attachments: [("recipe.json", Array("{}".utf8))]).save(to: dir.path)
        #expect(try Checkpoint.attachment(named: "recipe.json", in: dir.path) == Array("{}".utf8))
        #expect(try Checkpoint.attachment(named: "other.json", in: dir.path) == nil)
        #expect(sameState(try Checkpoint.load(from: dir.path).network, network))
        for name in [Checkpoint.weightsFile, Checkpoint.optimizerFile, "a/b", ".hidden", ""] {
            #expect(throws: CheckpointError.self, "\(name)") {
                try Checkpoint(network: network, attachments: [(name, [1])]).save(to: dir.path)
            }
        }
        // The failed saves left the earlier checkpoint as it was.
        #expect(try Checkpoint.attachment(named: "recipe.json", in: dir.path) == Array("{}".utf8))
    }

    @Test func architectureMismatchNamesTensorAndShapes() throws {
        let dir = TemporaryDirectory("ckpt")
        defer { dir.remove() }
        var rng = RandomSource(seed: 4)
        try Checkpoint(network: try Network(Fixtures.mlp(hidden: 5), rng: &rng)).save(to: dir.path)
        let wider = Architecture(
            inputShape: [6],
            layers: [
                .dense(inputs: 6, outputs: 4, bias: true), .activation(.relu),
                                                          .dense(inputs: 4, outputs: 3, bias: true)])
        try wider.write(to: dir.file("architecture.json"))
        #expect(throws: CheckpointError.shapeMismatch(path: dir.file("weights.safetensors"), tensor: "layers.0.weight",
                                                      expected: [4, 6], actual: [5, 6])) {
            try Checkpoint.load(from: dir.path)
        }
        let noBias = Architecture(
            inputShape: [6],
            layers: [
                .dense(inputs: 6, outputs: 5, bias: false), .activation(.relu),
                                                           .dense(inputs: 5, outputs: 3, bias: true)])
        try noBias.write(to: dir.file("architecture.json"))
        #expect(
            throws: CheckpointError.unexpectedTensors(path: dir.file("weights.safetensors"), names: ["layers.0.bias"])
        ) {
            try Checkpoint.load(from: dir.path)
        }
        let deeper = Architecture(
            inputShape: [6],
            layers: Fixtures.mlp().layers + [.activation(.relu), .dense(inputs: 3, outputs: 3, bias: true)])
        try deeper.write(to: dir.file("architecture.json"))
        #expect(
            throws: CheckpointError.missingTensors(
                path: dir.file("weights.safetensors"), names: ["layers.4.weight", "layers.4.bias"])
        ) {
            try Checkpoint.load(from: dir.path)
        }
        let broken = Architecture(
            inputShape: [6],
            layers: [.dense(inputs: 6, outputs: 5, bias: true), .dense(inputs: 4, outputs: 3, bias: true)])
        try broken.write(to: dir.file("architecture.json"))
        #expect(throws: CheckpointError.invalidArchitecture(
            path: dir.file("architecture.json"),
            reason: "layer layers.1 Dense(4 -> 3) expects input [4] but receives [5]")) {
            try Checkpoint.load(from: dir.path)
        }
        try writeFileAtomically(
            Array(#"{"inputShape":[6],"layers":[{"type":"conv9"}]}"#.utf8), to: dir.file("architecture.json"))
        #expect(throws: CheckpointError.self) { try Checkpoint.load(from: dir.path) }
        #expect(throws: CheckpointError.notFound(path: dir.file("nothing"))) {
            try Checkpoint.load(from: dir.file("nothing"))
        }
    }

    @Test func hugeWidthIsRejectedBeforeAllocating() throws {
        let dir = TemporaryDirectory("ckpt")
        defer { dir.remove() }
        var rng = RandomSource(seed: 4)
        try Checkpoint(network: try Network(Fixtures.mlp(), rng: &rng)).save(to: dir.path)
        try writeFileAtomically(
            Array(#"{"inputShape":[6],"layers":[{"type":"dense","inputs":6,"outputs":4000000000000}]}"#.utf8),
                                to: dir.file("architecture.json"))
        #expect(throws: CheckpointError.self) { try Checkpoint.load(from: dir.path) }
    }

    @Test func replacementIsAtomicAndRefusesForeignFolders() throws {
        let dir = TemporaryDirectory("ckpt")
        defer { dir.remove() }
        let first = try Fixtures.trainedRun(Fixtures.sgd, epochs: 1)
        let second = try Fixtures.trainedRun(Fixtures.sgd, epochs: 2)
        try first.checkpoint().save(to: dir.file("c"))
        try second.checkpoint().save(to: dir.file("c"))
        #expect(try Checkpoint.load(from: dir.file("c")).training?.completedEpochs == 2)
        #expect(sameState(try Checkpoint.load(from: dir.file("c")).network, second.network))
        #expect(directoryEntries(dir.path) == ["c"])  // no temporary or old folders left

        // a folder holding something else is never replaced
        #expect(mkdir(dir.file("mine"), 0o755) == 0)
        try writeFileAtomically([1, 2, 3], to: dir.file("mine/notes.txt"))
        #expect(
            throws: CheckpointError.refusingToReplace(
                path: dir.file("mine"), reason: "the folder is not empty and holds no architecture.json")
        ) {
            try first.checkpoint().save(to: dir.file("mine"))
        }
        #expect(directoryEntries(dir.file("mine")) == ["notes.txt"])
        #expect(throws: CheckpointError.self) { try first.checkpoint().save(to: dir.file("mine/notes.txt")) }
        // missing parents are created
        try first.checkpoint().save(to: dir.file("a/b/c"))
        #expect(Checkpoint.exists(at: dir.file("a/b/c")))
    }

    @Test func inconsistentTrainingStateIsRejected() throws {
        let dir = TemporaryDirectory("ckpt")
        defer { dir.remove() }
        let run = try Fixtures.trainedRun(Fixtures.adam, epochs: 1)
        try run.checkpoint().save(to: dir.path)
        let optimizerPath = dir.file("optimizer.safetensors")
        let full = try Safetensors.read(optimizerPath)
        // a moment of the wrong shape
        var tensors = full.tensors
        tensors[0].tensor = Tensor(zeros: [2, 2])
        try Safetensors(tensors: tensors).write(to: optimizerPath)
        #expect(
            throws: CheckpointError.shapeMismatch(
                path: optimizerPath, tensor: full.tensors[0].name, expected: full.tensors[0].tensor.shape,
                                                      actual: [2, 2])) {
            try Checkpoint.load(from: dir.path)
        }
        // a stepped parameter without its moments
        try Safetensors(tensors: Array(full.tensors.dropFirst())).write(to: optimizerPath)
        #expect(throws: CheckpointError.self) { try Checkpoint.load(from: dir.path) }
        // a stray tensor
        try Safetensors(tensors: full.tensors + [("state/layers.9.weight/exp_avg", Tensor([1]))]).write(
            to: optimizerPath)
        #expect(
            throws: CheckpointError.unexpectedTensors(path: optimizerPath, names: ["state/layers.9.weight/exp_avg"])
        ) {
            try Checkpoint.load(from: dir.path)
        }
        // training.json without optimizer.safetensors
        removeTree(optimizerPath)
        #expect(throws: CheckpointError.missingFile(path: optimizerPath)) { try Checkpoint.load(from: dir.path) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

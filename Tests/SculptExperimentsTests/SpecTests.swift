import SculptCore
import Testing
@testable import SculptExperiments
import SculptExperimentsTestKinds

@Suite struct SpecTests {
    /// The SpecError a spec text raises.
    func specError(_ text: String) -> SpecError? {
        do {
            _ = try parseSpec(text, file: "experiments/bad.json")
            return nil
        } catch let e as SpecError {
            return e
        } catch {
            return SpecError(file: "", keyPath: "", reason: "unexpected error type: \(error)")
        }
    }

    @Test func unknownKeyNamesFileKeyAndReason() throws {
        let e = try #require(specError(arithmeticSpec().replacingOccurrences(of: "\"seed\": 7", with: "\"sead\": 7")))
        #expect(e.file == "experiments/bad.json")
        #expect(e.keyPath == "sead")
        #expect(e.reason.hasPrefix("unknown key"))
        #expect(e.description.hasPrefix("experiments/bad.json: sead: unknown key (expected one of: "))

        let nested = try #require(
            specError(
                arithmeticSpec(
                    tables:
                        #"[{"title": "T", "columns": [{"title": "s", "metric": "sum", "aggregate": "mean", "digitz": 2}]}]"#
                )))
        #expect(nested.keyPath == "tables[0].columns[0].digitz")
    }

    @Test func missingFieldNamesFileKeyAndReason() throws {
        let e = try #require(
            specError(arithmeticSpec().replacingOccurrences(of: "\"kind\": \"arithmetic\",", with: "")))
        #expect(e.description == "experiments/bad.json: kind: missing required key")
        // The kind's own validation: "a" is required by the arithmetic config.
        let a = try #require(
            specError(arithmeticSpec().replacingOccurrences(of: "\"config\": {\"a\": 1}", with: "\"config\": {}")))
        #expect(a.keyPath == "variants[0].config.a")
        #expect(a.reason.hasPrefix("missing required key"))
        let metric = try #require(
            specError(arithmeticSpec(tables: #"[{"title": "T", "columns": [{"title": "s", "aggregate": "mean"}]}]"#)))
        #expect(metric.keyPath == "tables[0].columns[0].metric")
    }

    @Test(arguments: [
        ("\"trials\": 3", "\"trials\": 0", "trials", "must be at least 1, found 0"),
        ("\"trials\": 3", "\"trials\": 2.5", "trials", "expected an integer, found 2.5"),
        (
            "\"kind\": \"arithmetic\"", "\"kind\": \"arithmetik\"", "kind",
            "unknown trial kind \"arithmetik\" (expected one of: arithmetic)"
        ),
        (
            "{\"b\": 10}", "{\"b\": 10, \"c\": 1}", "variants[1].config.c",
            "unknown key (expected one of: a, b, crash, failUnlessFileExists, sleepSeconds) (variant \"large\", kind \"arithmetic\")"
        ),
        ("\"name\": \"large\"", "\"name\": \"small\"", "variants[1].name", "duplicate variant name \"small\""),
        ("\"seed\": 7", "\"seed\": -1", "seed", "-1 is out of range 0...9007199254740991"),
    ])
    func impossibleValuesAreRejected(original: String, replacement: String, keyPath: String, reason: String) throws {
        let text = arithmeticSpec().replacingOccurrences(of: original, with: replacement)
        #expect(text != arithmeticSpec())
        let e = try #require(specError(text))
        #expect(e.file == "experiments/bad.json")
        #expect(e.keyPath == keyPath)
        #expect(e.reason == reason)
    }

    @Test(arguments: [
        (#"{"title": "T", "columns": [{"title": "s", "metric": "sum", "aggregate": "mode"}]}"#,
            "tables[0].columns[0].aggregate",
            "unknown value \"mode\" (expected one of: mean, meanStd, meanVariance, count, sum, fraction, min, max, median)"
        ),
        (#"{"title": "T", "columns": [{"title": "s", "aggregate": "count", "where": "sum = 3"}]}"#,
         "tables[0].columns[0].where", "unknown operator \"=\" (expected one of: == != < <= > >=)"),
        (#"{"title": "T", "columns": [{"title": "s", "aggregate": "count", "where": ["sum == 3", "sum >"]}]}"#,
         "tables[0].columns[0].where[1]", "expected \"metric op number\" (e.g. \"activeNodes == 3\"), found \"sum >\""),
        (#"{"title": "T", "rows": {"variants": ["medium"]}, "columns": [{"title": "s", "aggregate": "count"}]}"#,
         "tables[0].rows.variants[0]", "unknown variant \"medium\" (expected one of: small, large)"),
        (#"{"title": "T", "columns": []}"#, "tables[0].columns", "must list at least one column"),
        (#"{"title": "T", "columns": [{"title": "s", "metric": "sum", "aggregate": "mean", "digits": 20}]}"#,
         "tables[0].columns[0].digits", "must be at most 12, found 20"),
    ])
    func impossibleTablesAreRejected(table: String, keyPath: String, reason: String) throws {
        let e = try #require(specError(arithmeticSpec(tables: "[\(table)]")))
        #expect(e.keyPath == keyPath)
        #expect(e.reason == reason)
    }

    @Test(arguments: [
        (#"{"groups": [{"label": "A", "variants": ["small"]}, {"label": "B", "variants": ["x"]}]}"#,
         "tables[0].rows.groups[1].variants[0]", "unknown variant \"x\" (expected one of: small, large)"),
        (#"{"groups": [{"label": "A", "variants": ["small"]}, {"label": "A", "variants": ["large"]}]}"#,
         "tables[0].rows.groups[1].label", "duplicate group label \"A\""),
        (
            #"{"groups": [{"label": "A", "variants": []}]}"#, "tables[0].rows.groups[0].variants",
            "must name at least one variant"
        ),
        (#"{"groups": []}"#, "tables[0].rows.groups", "must list at least one group"),
        (#"{"groups": [{"label": "A", "variants": ["small", "small"]}]}"#,
         "tables[0].rows.groups[0].variants[1]", "variant \"small\" listed twice"),
        (#"{"groups": [{"label": "A", "variants": ["small"], "name": "a"}]}"#,
         "tables[0].rows.groups[0].name", "unknown key (expected one of: label, variants)"),
        (#"{"metric": "activeNodes", "groups": [{"label": "A", "variants": ["small"]}]}"#,
         "tables[0].rows.groups", "cannot be combined with \"metric\" (each group names its variants)"),
        (#"{"variants": ["small"], "groups": [{"label": "A", "variants": ["small"]}]}"#,
         "tables[0].rows.groups", "cannot be combined with \"variants\" (each group names its variants)"),
        (#"{"label": "{}", "groups": [{"label": "A", "variants": ["small"]}]}"#,
         "tables[0].rows.label", "only metric rows take a label (each group has its own)"),
    ])
    func impossibleRowGroupsAreRejected(rows: String, keyPath: String, reason: String) throws {
        let table = #"{"title": "T", "rows": \#(rows), "columns": [{"title": "c", "aggregate": "count"}]}"#
        let e = try #require(specError(arithmeticSpec(tables: "[\(table)]")))
        #expect(e.keyPath == keyPath)
        #expect(e.reason == reason)
    }

    @Test(arguments: [
        (#"{"title": "c", "metric": "sum", "rows": ["small", "medium"]}"#,
         "tables[0].comparisons[0].rows[1]", "unknown row \"medium\" (expected one of: small, large)"),
        (#"{"title": "c", "metric": "sum", "metrics": ["sum"], "rows": ["small", "large"]}"#,
         "tables[0].comparisons[0].metrics", "cannot be combined with \"metric\" (use one of them)"),
        (
            #"{"title": "c", "rows": ["small", "large"]}"#, "tables[0].comparisons[0].metric",
            "missing required key (or \"metrics\")"
        ),
        (
            #"{"title": "c", "metrics": [], "rows": ["small", "large"]}"#, "tables[0].comparisons[0].metrics",
            "must name at least one metric"
        ),
        (#"{"title": "c", "metrics": ["sum", 3], "rows": ["small", "large"]}"#,
         "tables[0].comparisons[0].metrics[1]", "expected a metric name, found a number"),
        (#"{"title": "c", "metric": "sum", "rows": ["small", "large", "small"]}"#,
         "tables[0].comparisons[0].rows", "must name exactly two rows, found 3"),
        (
            #"{"title": "c", "metric": "sum", "rows": ["small"]}"#, "tables[0].comparisons[0].rows",
            "must name exactly two rows, found 1"
        ),
        (#"{"title": "c", "metric": "sum", "rows": ["small", "small"]}"#,
         "tables[0].comparisons[0].rows[1]", "compares row \"small\" with itself"),
        (#"{"title": "c", "metric": "sum", "rows": ["small", "large"], "where": "sum = 3"}"#,
         "tables[0].comparisons[0].where", "unknown operator \"=\" (expected one of: == != < <= > >=)"),
        (#"{"title": "c", "metric": "sum", "rows": ["small", "large"], "alternative": "less"}"#,
            "tables[0].comparisons[0].alternative",
            "unknown key (expected one of: metric, metrics, pair, row, rows, test, title, where)"
        ),
    ])
    func impossibleComparisonsAreRejected(comparison: String, keyPath: String, reason: String) throws {
        let table =
            #"{"title": "T", "columns": [{"title": "c", "aggregate": "count"}], "comparisons": [\#(comparison)]}"#
        let e = try #require(specError(arithmeticSpec(tables: "[\(table)]")))
        #expect(e.keyPath == keyPath)
        #expect(e.reason == reason)
    }

    @Test func comparisonRowsAreCheckedAgainstTheTablesRows() throws {
        func table(_ rows: String, _ compared: String) -> String {
            #"[{"title": "T", "rows": \#(rows), "columns": [{"title": "c", "aggregate": "count"}], "comparisons": [{"title": "c", "metric": "sum", "rows": \#(compared)}]}]"#
        }
        // Group labels, not variant names, once there are groups.
        let grouped =
            #"{"groups": [{"label": "A", "variants": ["small"]}, {"label": "B", "variants": ["large", "small"]}]}"#
        let spec = try parseSpec(arithmeticSpec(tables: table(grouped, #"["B", "A"]"#)))
        #expect(
            spec.tables[0].rows.groups == [
                RowGroup(label: "A", variants: ["small"]), RowGroup(label: "B", variants: ["large", "small"]),
            ])
        #expect(spec.tables[0].comparisons == [ComparisonSpec(title: "c", metrics: ["sum"], rows: ["B", "A"])])
        let e = try #require(specError(arithmeticSpec(tables: table(grouped, #"["A", "small"]"#))))
        #expect(
            e.description
                == #"experiments/bad.json: tables[0].comparisons[0].rows[1]: unknown row "small" (expected one of: A, B)"#
        )
        // Only the listed variants are rows.
        let only = try #require(
            specError(arithmeticSpec(tables: table(#"{"variants": ["large"]}"#, #"["large", "small"]"#))))
        #expect(only.reason == #"unknown row "small" (expected one of: large)"#)
        // Metric rows are labelled by values: not checked before the trials run.
        let byNodes = try parseSpec(
            arithmeticSpec(tables: table(#"{"metric": "activeNodes"}"#, #"["activeNodes = 3", "anything"]"#)))
        #expect(byNodes.tables[0].comparisons[0].rows == ["activeNodes = 3", "anything"])
    }

    @Test func invalidJSONNamesTheFile() throws {
        let e = try #require(specError("{\"name\": "))
        #expect(e.file == "experiments/bad.json")
        #expect(e.keyPath == "")
        #expect(e.reason.hasPrefix("not valid JSON"))
    }

    @Test func runIDIgnoresKeyOrderWhitespaceTablesAndTrialCounts() throws {
        let a = try parseSpec(arithmeticSpec())
        let reordered = try parseSpec("""
            {"variants": [{"config": {"b": 1}, "name": "small"}, {"config": {"b": 10.0}, "name": "large"}],
             "config": {"a": 1}, "trials": 3, "seed": 7, "kind": "arithmetic", "name": "arithmetic-test"}
            """)
        #expect(a.runID.count == 16)
        #expect(a.runID == reordered.runID)
        let moreTrials = try parseSpec(
            arithmeticSpec(trials: 5, tables: #"[{"title": "T", "columns": [{"title": "n", "aggregate": "count"}]}]"#))
        #expect(moreTrials.runID == a.runID)
        let otherConfig = try parseSpec(arithmeticSpec(extraConfig: ", \"sleepSeconds\": 0"))
        #expect(otherConfig.runID != a.runID)
        let otherSeed = try parseSpec(arithmeticSpec().replacingOccurrences(of: "\"seed\": 7", with: "\"seed\": 8"))
        #expect(otherSeed.runID != a.runID)
    }

    @Test("paired seeds give trial i of every variant the same seed, and only then change the run id")
    func pairedSeedsShareSeedsAcrossVariants() throws {
        let plain = try parseSpec(arithmeticSpec())
        let paired = try parseSpec(
            arithmeticSpec().replacingOccurrences(of: "\"seed\": 7", with: "\"seed\": 7, \"pairedSeeds\": true"))
        let unpaired = try parseSpec(
            arithmeticSpec().replacingOccurrences(of: "\"seed\": 7", with: "\"seed\": 7, \"pairedSeeds\": false"))
        #expect(paired.pairedSeeds && !plain.pairedSeeds)
        #expect(unpaired.runID == plain.runID)
        #expect(paired.runID != plain.runID)
        let seeds = Dictionary(grouping: paired.plan(), by: \.index).mapValues { Set($0.map(\.seed)) }
        #expect(seeds.values.allSatisfy { $0.count == 1 })
        #expect(Set(seeds.values.map { $0.first! }).count == seeds.count)  // different trials, different seeds
        let plainSeeds = Dictionary(grouping: plain.plan(), by: \.index).mapValues { Set($0.map(\.seed)) }
        #expect(plainSeeds.values.allSatisfy { $0.count == 2 })
        #expect(
            specError(arithmeticSpec().replacingOccurrences(of: "\"seed\": 7", with: "\"seed\": 7, \"pairedSeeds\": 1"))
                != nil)
    }

    @Test func variantsMergeOverridesIntoTheBaseConfig() throws {
        let spec = try parseSpec(arithmeticSpec(extraConfig: ", \"sleepSeconds\": 0.5"))
        #expect(spec.variants.map(\.name) == ["small", "large"])
        #expect(spec.variants[1].config == ["a": 1, "b": 10, "sleepSeconds": 0.5])
        let base: JSONValue = ["model": ["width": 3, "depth": 1], "lr": 0.1]
        #expect(base.merging(["model": ["width": 9]]) == ["model": ["width": 9, "depth": 1], "lr": 0.1])
    }

    @Test func planInterleavesVariantsWithDeterministicDistinctSeeds() throws {
        var text = arithmeticSpec(trials: 2)
        text = text.replacingOccurrences(of: "{\"b\": 10}}", with: "{\"b\": 10}, \"trials\": 3}")
        let spec = try parseSpec(text)
        let plan = spec.plan()
        #expect(plan.map { "\($0.variant)#\($0.index)" } == ["small#0", "large#0", "small#1", "large#1", "large#2"])
        #expect(Set(plan.map(\.seed)).count == plan.count)
        #expect(plan.allSatisfy { $0.seed < (1 << 63) })
        #expect(plan[0].seed == ExperimentSpec.trialSeed(base: 7, variant: "small", index: 0))
        #expect(
            ExperimentSpec.trialSeed(base: 7, variant: "small", index: 0)
                != ExperimentSpec.trialSeed(base: 8, variant: "small", index: 0))
        #expect(try parseSpec(text).plan() == plan)
    }

    @Test func canonicalJSONAndSHA256() throws {
        let value = try JSONValue.parse(#"{"b": [1, 2.5, true, null], "a": "x\"\n", "c": 1e3}"#)
        #expect(value.canonicalText == #"{"a":"x\"\n","b":[1,2.5,true,null],"c":1000}"#)
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Two-block message (56 bytes pads into a second block).
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

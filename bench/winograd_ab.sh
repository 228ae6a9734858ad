#!/usr/bin/env bash
# Winograd F(2x2, 3x3)'s data transforms of two revisions timed in one process, alternated: a machine whose
# speed drifts in phases (bench/RESULTS.md) moves both sides alike, which back-to-back runs of two builds do not.
#
#   bash bench/winograd_ab.sh OLD [NEW]      # git revisions; NEW omitted: the working tree
#   ROUNDS=60 bash bench/winograd_ab.sh 286e873
#
# Each revision's Sources/SculptCore is compiled as its own module (CoreOld, CoreNew; release, -target-cpu native,
# the working tree's C support objects for both) into one driver, which runs the input, gradient and output
# transforms on one worker's chunk of each of W7's Winograd layers at two threads, the two sides alternated, and
# prints the best time of ROUNDS rounds (default 40) per transform and side, with new / old. It also checks that the
# two sides' outputs are the same bit for bit. Needs swiftc and clang (the Swift toolchain) and OpenBLAS (setup).
set -euo pipefail

old="${1:?usage: bash bench/winograd_ab.sh OLD [NEW]}"
new="${2:-}"
rounds="${ROUNDS:-40}"
root="$(git rev-parse --show-toplevel)"
work="$(mktemp -d /tmp/winograd-ab.XXXXXX)"

sources() {  # sources REV DIR: SculptCore of revision REV (or of the working tree) into DIR
  mkdir -p "$2"
  if [ -z "$1" ]; then
    cp "$root"/Sources/SculptCore/*.swift "$2"/
  else
    git -C "$root" archive "$1" Sources/SculptCore | tar -x -C "$2" --strip-components=2
  fi
}
sources "$old" "$work/old"
sources "$new" "$work/new"

cat > "$work/module.modulemap" <<EOF
module CProcessSetup {
    header "$root/Sources/CProcessSetup/include/CProcessSetup.h"
    export *
}
EOF
for c in "$root"/Sources/CProcessSetup/*.c; do
  clang -O2 -c "$c" -I "$root/Sources/CProcessSetup/include" -o "$work/$(basename "$c" .c).o"
done
for side in old new; do
  module="Core${side^}"
  echo "-- compiling $module ($([ "$side" = old ] && echo "$old" || echo "${new:-the working tree}"))" >&2
  (cd "$work" && swiftc -O -target-cpu native -parse-as-library -module-name "$module" -emit-module -emit-library \
    -static -I "$root/Sources/CLinearAlgebra" -I "$work" "$work/$side"/*.swift -o "lib$module.a")
done

cat > "$work/main.swift" <<'EOF'
import CoreNew
import CoreOld
import Foundation

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

let rounds = Int(CommandLine.arguments[1])!
// W7's Winograd layers: (name, channels, side, samples per chunk at two threads)
let shapes = [("16ch 28x28", 16, 28, 5), ("16ch 14x14", 16, 14, 10), ("32ch 14x14", 32, 14, 10),
              ("32ch 7x7", 32, 7, 16), ("64ch 7x7", 64, 7, 16)]
var differ = 0
for (name, c, h, samples) in shapes {
    let (th, tw) = CoreNew.Winograd.tiles(outputHeight: h, outputWidth: h, tile: .f2x2)
    let ld = CoreNew.Winograd.leadingDimension(tiles: samples * th * tw), planes = 16 * c * ld
    let x = UnsafeMutablePointer<Float>.allocate(capacity: samples * c * h * h)
    for i in 0..<samples * c * h * h { x[i] = Float(i % 2001) / 1000 - 1 }
    let m = UnsafeMutablePointer<Float>.allocate(capacity: planes)
    for i in 0..<planes { m[i] = Float(i % 1999) / 1000 - 1 }
    let bias = UnsafeMutablePointer<Float>.allocate(capacity: c)
    for i in 0..<c { bias[i] = Float(i) / 10 }
    // per side: V, Ŷ, y
    let out = (0..<2).map { _ in
        (UnsafeMutablePointer<Float>.allocate(capacity: planes), UnsafeMutablePointer<Float>.allocate(capacity: planes),
         UnsafeMutablePointer<Float>.allocate(capacity: samples * c * h * h))
    }
    for (v, g, y) in out {
        v.initialize(repeating: 0, count: planes); g.initialize(repeating: 0, count: planes)
        y.initialize(repeating: 0, count: samples * c * h * h)
    }
    var best = [[Double]](repeating: [.infinity, .infinity, .infinity], count: 2)
    for _ in 0..<rounds {
        for side in 0..<2 {
            let (v, g, y) = out[side]
            var t0 = now()
            for _ in 0..<5 {
                if side == 0 {
                    CoreOld.Winograd.transformInput(x, samples: samples, channels: c, height: h, width: h, padding: 1,
                                                    tile: .f2x2, into: v, tiles: ld)
                } else {
                    CoreNew.Winograd.transformInput(x, samples: samples, channels: c, height: h, width: h, padding: 1,
                                                    tile: .f2x2, into: v, tiles: ld)
                }
            }
            var t1 = now()
            best[side][0] = min(best[side][0], (t1 - t0) / 5)
            t0 = t1
            for _ in 0..<5 {
                if side == 0 {
                    CoreOld.Winograd.transformGradient(x, samples: samples, channels: c, outputHeight: h,
                                                       outputWidth: h, tile: .f2x2, into: g, tiles: ld)
                } else {
                    CoreNew.Winograd.transformGradient(x, samples: samples, channels: c, outputHeight: h,
                                                       outputWidth: h, tile: .f2x2, into: g, tiles: ld)
                }
            }
            t1 = now()
            best[side][1] = min(best[side][1], (t1 - t0) / 5)
            t0 = t1
            for _ in 0..<5 {
                if side == 0 {
                    CoreOld.Winograd.transformOutput(m, tiles: ld, samples: samples, channels: c, outputHeight: h,
                                                     outputWidth: h, tile: .f2x2, bias: bias, into: y)
                } else {
                    CoreNew.Winograd.transformOutput(m, tiles: ld, samples: samples, channels: c, outputHeight: h,
                                                     outputWidth: h, tile: .f2x2, bias: bias, into: y)
                }
            }
            t1 = now()
            best[side][2] = min(best[side][2], (t1 - t0) / 5)
        }
    }
    // the tiles each side defines (a sample's tiles; the slack past them is scratch) and every output
    var same = true
    for xi in 0..<16 {
        for ch in 0..<c {
            for t in 0..<samples * th * tw {
                let at = (xi * c + ch) * ld + t
                if out[0].0[at].bitPattern != out[1].0[at].bitPattern || out[0].1[at].bitPattern != out[1].1[at].bitPattern {
                    same = false
                }
            }
        }
    }
    for i in 0..<samples * c * h * h where out[0].2[i].bitPattern != out[1].2[i].bitPattern { same = false }
    if !same { differ += 1 }
    func cell(_ k: Int) -> String {
        String(format: "%7.1f -> %7.1f us (%.2fx)", best[0][k] * 1e6, best[1][k] * 1e6, best[1][k] / best[0][k])
    }
    print("\(name.padding(toLength: 11, withPad: " ", startingAt: 0)) input \(cell(0))  gradient \(cell(1))  "
          + "output \(cell(2))\(same ? "" : "  OUTPUTS DIFFER")")
}
print(differ == 0 ? "old and new outputs: the same bit for bit" : "old and new outputs differ in \(differ) shape(s)")
EOF
(cd "$work" && swiftc -O -target-cpu native -I "$work" -I "$root/Sources/CLinearAlgebra" main.swift -L "$work" \
  -lCoreOld -lCoreNew kernels.o subnormals.o -lopenblas -llapacke -o ab)
echo "-- best of $rounds rounds, old -> new (one worker's chunk of each W7 Winograd layer, padding 1)"
OPENBLAS_NUM_THREADS=1 "$work/ab" "$rounds"

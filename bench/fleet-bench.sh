#!/usr/bin/env bash
# The fleet's two targets (issue 15), each against a throwaway PostgreSQL server (scripts/with-postgres):
#
#  1. Queue overhead: 1,000 arithmetic trials that only sleep SLEEP seconds, worked by one worker with 16 slots
#     (16 connections claiming at once). Prints the mean claim + record time per trial (target: under 5 ms)
#     and whether every trial was recorded exactly once. Needs the test fixture, built with the Fleet trait:
#       swift build --build-tests --traits Fleet --scratch-path .build-traits
#  2. PostgreSQL against SQLite on a real spec: `sculpt run SPEC --workers 2`, first into a fresh SQLite file,
#     then into the server, REPEAT times each, alternating; prints each wall time and the ratio of medians
#     (target: PostgreSQL within 5 % of SQLite). Needs sculpt built with the Fleet trait (release for a fair
#     reading): swift build -c release --traits Fleet --scratch-path .build-release-fleet --product sculpt
#
#   bench/fleet-bench.sh [SPEC]   (default experiments/painting-linear-layers-quick.json)
#   FIXTURE=path SCULPT=path REPEAT=3 (0: the overhead only) SLEEP=0.05 TRIALS=1000 SLOTS=16 bench/fleet-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-experiments/painting-linear-layers-quick.json}
fixture=${FIXTURE:-.build-traits/debug/SculptExperimentsFixture}
sculpt=${SCULPT:-.build-release-fleet/release/sculpt}
export REPEAT=${REPEAT:-3} SLEEP=${SLEEP:-0.05} TRIALS=${TRIALS:-1000} SLOTS=${SLOTS:-16}
export FIXTURE=$fixture SCULPT=$sculpt SPEC=$spec OPENBLAS_NUM_THREADS=1
for f in "$fixture" "$sculpt"; do
  [ -x "$f" ] || { echo "fleet-bench: $f is missing; build it (see the header of this script)" >&2; exit 2; }
done

exec scripts/with-postgres bash -c '
set -euo pipefail
db() {  # a fresh database on the server, its URL on stdout
  local name=bench_$1_$RANDOM$RANDOM
  psql -q -c "CREATE DATABASE $name" >/dev/null
  echo "postgres://$PGUSER@$PGHOST:$PGPORT/$name"
}
echo "== queue overhead: $TRIALS trials sleeping $SLEEP s, $SLOTS slots"
url=$(db overhead)
"$SCULPT" db migrate --db "$url" >/dev/null
"$FIXTURE" bench "$url" "$TRIALS" "$SLEEP" "$SLOTS"

[ "$REPEAT" -gt 0 ] || exit 0
echo "== $SPEC with 2 workers: SQLite against PostgreSQL, $REPEAT runs each"
tmp=$(mktemp -d); trap "rm -rf $tmp" EXIT
sqlite=() postgres=()
for i in $(seq 1 "$REPEAT"); do
  t0=$(date +%s.%N)
  "$SCULPT" run "$SPEC" --workers 2 --db "$tmp/run$i.db" >/dev/null
  t1=$(date +%s.%N)
  url=$(db spec); "$SCULPT" db migrate --db "$url" >/dev/null
  t2=$(date +%s.%N)
  "$SCULPT" run "$SPEC" --workers 2 --db "$url" >/dev/null
  t3=$(date +%s.%N)
  s=$(echo "$t1 - $t0" | bc); p=$(echo "$t3 - $t2" | bc)
  sqlite+=("$s"); postgres+=("$p")
  echo "run $i: SQLite $s s, PostgreSQL $p s"
done
python3 - "${sqlite[*]}" "${postgres[*]}" <<PY
import statistics, sys
s = [float(x) for x in sys.argv[1].split()]; p = [float(x) for x in sys.argv[2].split()]
ms, mp = statistics.median(s), statistics.median(p)
print(f"median SQLite {ms:.2f} s, PostgreSQL {mp:.2f} s, ratio PostgreSQL / SQLite {mp / ms:.3f} (n = {len(s)} each)")
PY
'

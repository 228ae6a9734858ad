#!/usr/bin/env bash
# A Slurm job array of Sculpt workers: each array task is one machine's `sculpt worker`, claiming trials from
# the PostgreSQL store in SCULPT_DB until none is left. Submit after enqueuing the spec:
#
#   sculpt run experiments/SPEC.json --db "$SCULPT_DB" --enqueue-only
#   sbatch --export=ALL,SCULPT_DB="$SCULPT_DB" deploy/slurm-workers.sh
#
# The password comes from ~/.pgpass on the compute nodes (or PGPASSWORD in the exported environment), never
# from the URL. Cancel with `scancel JOBID`: Slurm sends SIGTERM, the workers claim nothing more and finish
# their running trials; a worker killed outright loses only its lease, and the trial is claimed again.
#SBATCH --job-name=sculpt-workers
#SBATCH --array=0-7
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8
#SBATCH --time=24:00:00
#SBATCH --signal=B:TERM@120
#SBATCH --output=sculpt-worker-%A_%a.log
set -euo pipefail

: "${SCULPT_DB:?set SCULPT_DB to postgres://USER@HOST/DB (the password in ~/.pgpass or PGPASSWORD)}"
SCULPT=${SCULPT:-sculpt}
processes=${SLURM_CPUS_PER_TASK:-1}

echo "array task ${SLURM_ARRAY_TASK_ID:-0} on $(hostname): $processes processes"
# `exec` so that Slurm's SIGTERM reaches the worker itself.
exec "$SCULPT" worker --db "$SCULPT_DB" --processes "$processes" ${SCULPT_SPECS:+--spec "$SCULPT_SPECS"}

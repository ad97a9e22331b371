#!/usr/bin/env bash
# The training benchmark on a GPU machine, at batch sizes suited to it, with the GPU's
# utilization sampled while trainserve trains. Run it where `nvidia-smi` works and
# TensorFlow has CUDA (`TRAINSERVE_TENSORFLOW=gpu scripts/setup`):
#   bench/gpu_check.sh [epochs]
# It starts a GPU worker beside the stack's CPU worker and routes the jobs to it.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-5}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
for batch in 256 4096; do
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -lms 500 \
    > "/tmp/trainserve-gpu-util-$batch.csv" &
  sampler=$!
  TRAINSERVE_GPU_WORKER=1 .venv/bin/python -m bench.training --device gpu \
    --epochs "$epochs" --batch-size "$batch"
  kill "$sampler"
  awk -F', ' '{u+=$1; if ($1>m) m=$1; n++} END {printf "GPU utilization: mean %.0f%%, max %d%% over %d samples\n", u/n, m, n}' \
    "/tmp/trainserve-gpu-util-$batch.csv"
done

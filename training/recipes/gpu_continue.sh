#!/usr/bin/env bash
# Continue the shipped networks on one GPU: four jobs at once on the same card, each for the same
# time, keeping only what is needed to export and ship them elsewhere (a lent GPU machine gives
# back few files: one joint network per job, the click model, and one archive of logs).
#
#   bash training/recipes/gpu_continue.sh PACK LITE0_JOINT UNET_JOINT OUT [MINUTES]
#
# PACK is made by `python -m training.recipes.pack`; LITE0_JOINT and UNET_JOINT are the joint
# networks (with their .json) of the two members of the shipped parsing ensembles (a CPU
# continuation's joint.safetensors, or `joint.joint_from_models` of the shipped files).
#   L0F  Lite0 member, 384 long side, batch 32           (continues the shipped Lite0 member)
#   L0G  Lite0 member, 448 long side (the inference size), batch 24
#   UF   U-Net member, 384 long side, batch 32           (continues the shipped U-Net member)
#   CK   click network from the shipped garment model, simulated clicks on the pack's photos
# Afterwards: `python -m training.recipes.gpu export --joint OUT/JOB/joint.safetensors --out DIR`
# (summary.json beside it), then training.recipes.ensemble and training.recipes.ship.
# Tests: LIMIT=N photos per split, FINAL_S seconds kept for each job's final evaluation,
# CLICK_EXTRA extra arguments of the click job (e.g. --device cpu --val-limit 2).
set -u
PACK=$1
L0=$2
UN=$3
OUT=$4
M=${5:-6}
PY=${PYTHON:-python3}
LIM=()
if [ -n "${LIMIT:-}" ]; then LIM=(--limit "$LIMIT"); fi
read -r -a CX <<< "${CLICK_EXTRA:-}"
T=(-m training.recipes.gpu train --pack "$PACK" --parsing18 --val-every 9999 --final-eval-s "${FINAL_S:-50}"
   --off-ccp-photos 0 --threads 2 --warmup 50 "${LIM[@]}")
mkdir -p "$OUT"
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$OUT/recipe.log"; }
stamp "start: $M minutes per job"
$PY "${T[@]}" --job L0F --out "$OUT/L0F" --size lite0 --init "$L0" --encoder-lr-scale 0.3 --batch 32 --lr 4e-4 --minutes "$M" > "$OUT/L0F.log" 2>&1 &
$PY "${T[@]}" --job L0G --out "$OUT/L0G" --size lite0 --init "$L0" --encoder-lr-scale 0.3 --batch 24 --lr 3e-4 --long-side 448 --minutes "$M" > "$OUT/L0G.log" 2>&1 &
$PY "${T[@]}" --job UF --out "$OUT/UF" --size small --init "$UN" --batch 32 --lr 5e-4 --minutes "$M" > "$OUT/UF.log" 2>&1 &
$PY -m training.clicks --data "$PACK/ccp" --out "$OUT/CK" --max-minutes "$M" --workers 6 "${CX[@]}" > "$OUT/CK.log" 2>&1 &
wait
stamp "done"
for job in L0F L0G UF; do
  if [ -f "$OUT/$job/summary.json" ]; then
    $PY -c "import json,sys; s=json.load(open(sys.argv[1])); c=s['figures']['ccp']; print(sys.argv[2], {t: round(v.get('miou', v.get('median_dice', 0)), 4) for t, v in c.items()})" "$OUT/$job/summary.json" "$job" | tee -a "$OUT/recipe.log"
  else
    stamp "$job: no summary (see $job.log)"
  fi
done

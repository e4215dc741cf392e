#!/usr/bin/env bash
# Continue the shipped networks on one GPU: three jobs at once on the same card, each for the same
# time, keeping only what is needed to export and ship them elsewhere (a lent GPU machine gives
# back few files: one joint network per job, the click model, and one archive of logs).
#
#   bash training/recipes/gpu_continue.sh PACK LITE0_JOINT UNET_JOINT OUT [MINUTES]
#
# PACK is made by `python -m training.recipes.pack`; LITE0_JOINT and UNET_JOINT are the joint
# networks (with their .json) of the two members of the shipped parsing ensembles (a CPU
# continuation's joint.safetensors, or `joint.joint_from_models` of the shipped files).
#   L0_R  Lite0 member, 448 long side (the inference size), batch L0_BATCH (24), peak learning rate L0_LR
#   U_R   U-Net member, U_SIDE long side (default 448), batch U_BATCH (24), peak learning rate U_LR
#   CK_R  click network from CLICK_INIT (default: the shipped garment model), simulated clicks on
#         the pack's photos, NoC on CLICK_VAL val photos per task (default 100)
# R is ROUND (default 1): round 2 goes on from round 1's joints and click model. Round 1 on an H200
# (5.5 minutes, four jobs at once; also a Lite0 job at 384, worse than at 448): 73 photos/s for L0,
# 153 for U, 152 click steps of 96 crops.
# Afterwards: `python -m training.recipes.gpu export --joint OUT/JOB/joint.safetensors --out DIR`
# (summary.json beside it), then training.recipes.ensemble (parsing7 and parsing18 pairs),
# training.recipes.fine_head (parsing7 reading the parsing18 heads) and training.recipes.ship.
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
R=${ROUND:-1}
$PY "${T[@]}" --job "L0_$R" --out "$OUT/L0_$R" --size lite0 --init "$L0" --encoder-lr-scale 0.3 --batch "${L0_BATCH:-24}" --lr "${L0_LR:-3e-4}" --long-side 448 --minutes "$M" > "$OUT/L0_$R.log" 2>&1 &
$PY "${T[@]}" --job "U_$R" --out "$OUT/U_$R" --size small --init "$UN" --batch "${U_BATCH:-24}" --lr "${U_LR:-5e-4}" --long-side "${U_SIDE:-448}" --minutes "$M" > "$OUT/U_$R.log" 2>&1 &
$PY -m training.clicks --data "$PACK/ccp" --out "$OUT/CK_$R" --max-minutes "$M" --workers "${CLICK_WORKERS:-10}" --init "${CLICK_INIT:-garment}" --val-limit "${CLICK_VAL:-100}" "${CX[@]}" > "$OUT/CK_$R.log" 2>&1 &
wait
stamp "done"
for job in "L0_$R" "U_$R"; do
  if [ -f "$OUT/$job/summary.json" ]; then
    $PY -c "import json,sys; s=json.load(open(sys.argv[1])); c=s['figures']['ccp']; print(sys.argv[2], {t: round(v.get('miou', v.get('median_dice', 0)), 4) for t, v in c.items()})" "$OUT/$job/summary.json" "$job" | tee -a "$OUT/recipe.log"
  else
    stamp "$job: no summary (see $job.log)"
  fi
done

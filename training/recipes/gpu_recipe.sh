#!/usr/bin/env bash
# The one-command GPU recipe: trains every shipped proposal model (and the ablations that justify
# it) in under 10 minutes on one large GPU, several jobs at once on the same card.
#
#   bash training/recipes/gpu_recipe.sh PACK OUT [STAGE1_MINUTES] [STAGE2_MINUTES]
#
# PACK is made by `python -m training.recipes.pack`; OUT receives one folder per job (model files,
# joint network, summary.json with CCP val and off-CCP figures) and one log per job.
#   relabel1  pseudo-labels of the tagged photos from the shipped models (round 1 teacher)
#   stage 1 (parallel):
#     A  small network, full augmentation, labelled + round-1 pseudo-labels   (the candidate)
#     B  small, full augmentation, labelled only                               (ablation: pseudo-labels)
#     C  small, basic augmentation (flip + jitter, letterboxed), labelled only (ablation: framing/composites)
#     D  large network (base 32), full augmentation + round-1 pseudo-labels    (the GPU size; teacher)
#     L  EfficientNet-Lite0 encoder from ImageNet + U-Net decoder, full augmentation + round-1
#        pseudo-labels                                                        (ablation: pretraining)
#   relabel2  pseudo-labels from A (round 2 teacher)
#   stage 2 (parallel, each continues from A for the same time):
#     A1 round-1 pseudo-labels (the control)
#     A2 round-2 pseudo-labels                                                 (ablation: second round)
#     E  round-1 pseudo-labels + distillation from D                          (ablation: distillation)
#     L1 continues L with round-1 pseudo-labels                               (the pretrained candidate)
# Every job also trains the parsing18 head (--parsing18: CCP train labels only), the fine parsing
# that garment instances are proposed from.
# Set CLICK_CMD to a command that trains the click model alongside stage 1.
set -u
PACK=$1
OUT=$2
M1=${3:-4}
M2=${4:-2}
PY=${PYTHON:-python3}
# Tests: LIMIT=N trains on N photos per split; TRAIN_EXTRA adds arguments to every train job;
# D_BATCH sets the large network's batch (default 40).
LIM=()
if [ -n "${LIMIT:-}" ]; then LIM=(--limit "$LIMIT"); fi
read -r -a EXTRA <<< "${TRAIN_EXTRA:-}"
mkdir -p "$OUT"
T=(-m training.recipes.gpu train --pack "$PACK" --parsing18 "${LIM[@]}" "${EXTRA[@]}")
R=(-m training.recipes.gpu relabel --pack "$PACK" "${LIM[@]}")
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$OUT/recipe.log"; }

stamp "relabel1"
$PY "${R[@]}" --teacher shipped --out "$OUT/pseudo1" > "$OUT/relabel1.log" 2>&1
stamp "stage 1"
if [ -n "${CLICK_CMD:-}" ]; then bash -c "$CLICK_CMD" > "$OUT/click.log" 2>&1 & fi
$PY "${T[@]}" --job A --out "$OUT/A" --pseudo "$OUT/pseudo1" --minutes "$M1" > "$OUT/A.log" 2>&1 &
a=$!
$PY "${T[@]}" --job B --out "$OUT/B" --minutes "$M1" > "$OUT/B.log" 2>&1 &
b=$!
$PY "${T[@]}" --job C --out "$OUT/C" --aug basic --minutes "$M1" > "$OUT/C.log" 2>&1 &
c=$!
$PY "${T[@]}" --job D --out "$OUT/D" --size large --pseudo "$OUT/pseudo1" --batch "${D_BATCH:-40}" --lr 1.5e-3 --minutes "$M1" > "$OUT/D.log" 2>&1 &
d=$!
$PY "${T[@]}" --job L --out "$OUT/L" --size lite0 --init imagenet --encoder-lr-scale 0.3 --lr 1e-3 --pseudo "$OUT/pseudo1" --minutes "$M1" > "$OUT/L.log" 2>&1 &
l=$!
wait $a $b $c $d $l
stamp "relabel2"
$PY "${R[@]}" --teacher "$OUT/A/joint.safetensors" --out "$OUT/pseudo2" > "$OUT/relabel2.log" 2>&1
stamp "stage 2"
S2=(--init "$OUT/A/joint.safetensors" --lr 6e-4 --warmup 20 --minutes "$M2")
$PY "${T[@]}" --job A1 --out "$OUT/A1" --pseudo "$OUT/pseudo1" "${S2[@]}" > "$OUT/A1.log" 2>&1 &
$PY "${T[@]}" --job A2 --out "$OUT/A2" --pseudo "$OUT/pseudo2" "${S2[@]}" > "$OUT/A2.log" 2>&1 &
$PY "${T[@]}" --job E --out "$OUT/E" --pseudo "$OUT/pseudo1" --teacher "$OUT/D/joint.safetensors" "${S2[@]}" > "$OUT/E.log" 2>&1 &
$PY "${T[@]}" --job L1 --out "$OUT/L1" --size lite0 --pseudo "$OUT/pseudo1" --init "$OUT/L/joint.safetensors" --encoder-lr-scale 0.3 --lr 3e-4 --warmup 20 --minutes "$M2" > "$OUT/L1.log" 2>&1 &
wait
stamp "done"
$PY -m training.recipes.collect "$OUT" | tee -a "$OUT/recipe.log"

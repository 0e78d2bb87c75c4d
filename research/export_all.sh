#!/bin/sh
# Exports used by the premise study (2 generated frames per clip, 64 px; world seed 1). Run from the repo root after `npm run build`.
set -e
E="node research/export_clips.js --frames 2 --seed 1"
F=ref,refPose,frames,poses
$E --split val --count 48 --out research/data/val
for spec in 'clean:{}' 'shift50:{"poseShiftRate":0.5}' 'mitten50:{"mittenRate":0.5}' 'blur50:{"blurRate":0.5}' 'drop50:{"poseDropRate":0.5}' 'ghost50:{"ghostRate":0.5}'; do
  name=${spec%%:*}; knobs=${spec#*:}
  $E --split pretrain --count 4000 --fields $F --defects "$knobs" --out research/data/pre-$name
done
# Stronger variants (the oracle shows the default-strength frame defects move hand SSIM by only 0.02-0.13).
for spec in 'ghostfull50:{"ghostRate":0.5,"ghostOpacity":1}' 'blurlong50:{"blurRate":0.5,"blurExposure":2,"blurMinLength":6}' 'shift90-50:{"poseShiftRate":0.5,"poseShiftAngle":90}'; do
  name=${spec%%:*}; knobs=${spec#*:}
  $E --split pretrain --count 4000 --fields $F --defects "$knobs" --out research/data/pre-$name
done

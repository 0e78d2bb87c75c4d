"""Print the runs table (markdown) from research/runs/*/premise.jsonl: one row per premise measurement."""
import glob
import json
import os

from common import HERE

print('| run | train (predict, gate, t, data) | clips seen | train s | sampler | within share | sd within / between | inputs gap>=0.10 | SSIM full | body | hand | bg PSNR | eval s |')
print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
for f in sorted(glob.glob(os.path.join(HERE, 'runs', '*', 'premise.jsonl'))):
    run = os.path.basename(os.path.dirname(f))
    for line in open(f):
        r = json.loads(line)
        args = r.get('args') or {}
        tr = f"{args.get('predict','?')}, gate {args.get('gate','?')}, {args.get('t','?')}, {args.get('data','?')}"
        sampler = f"{'Euler' if r['eta'] == 0 else 'stoch eta ' + str(r['eta'])} {r['steps']}" + (f" shift {r['shift']}" if r['shift'] != 1 else '') + ('' if r.get('ema', True) else ' raw')
        print(f"| {run} | {tr} | {r['clips_seen']} | {r['train_s']} | {sampler} | {r['share']:.3f} | {r['sd_within']:.3f} / {r['sd_between']:.3f} | {r['mixed_gap10']:.2f} | "
              f"{r['ssim_full']:.3f} | {r['ssim_body']:.3f} | {r['ssim_hand']:.3f} | {r['psnr_bg']:.1f} | {r['eval_s']} |")

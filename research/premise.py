"""The premise measurement: C candidates per val input from a trained run, per-candidate hand scores, the
within-input share of their variance, and full-frame / body / hand SSIM and background PSNR.

  /usr/bin/python3 research/premise.py --run B-v-nogate-unif-shift50 --steps 16 [--eta 0.5] [--inputs 24]
Appends one JSON line per call to research/runs/<run>/premise.jsonl (with every per-candidate score, so judges can
be re-set later) and writes research/runs/<run>/cands-<tag>.png (inputs 0-3: truth, then the candidates).

Hand score of a candidate: the kit's SSIM map (Gaussian 11x11, sigma 1.5, 'same' size) of each generated frame,
averaged over each visible ground-truth hand box, then over hands and frames. Body: the map averaged outside the hand
boxes (the kit's body region). Background PSNR: pixels farther than 6 px from every pose-map pixel (a proxy).
Within-input share: mean over inputs of the (population) variance of its C hand scores / variance of all scores.
"""
import argparse
import json
import os
import struct
import time
import zlib

import numpy as np
import torch

from common import HERE, background_mask, batch_of, load_export, psnr_masked, sample, ssim_map
from unet import UNet, UNetConfig


def png(path, a):
    h, w, _ = a.shape
    raw = b''.join(b'\x00' + a[y].tobytes() for y in range(h))
    ch = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    with open(path + '.tmp', 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + ch(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + ch(b'IDAT', zlib.compress(raw)) + ch(b'IEND', b''))
    os.replace(path + '.tmp', path)


def share_stats(scores):
    """scores [inputs, C] -> within-input share, sd within, sd between, and mixed-input counts."""
    within = scores.var(axis=1).mean()
    total = scores.var()
    spread = scores.max(axis=1) - scores.min(axis=1)
    return {
        'share': float(within / total) if total > 0 else 0.0,
        'sd_within': float(np.sqrt(within)),
        'sd_between': float(scores.mean(axis=1).std()),
        'spread_mean': float(spread.mean()),
        'mixed_gap10': float((spread >= 0.10).mean()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', required=True)
    ap.add_argument('--steps', type=int, default=16)
    ap.add_argument('--eta', type=float, default=0.0)
    ap.add_argument('--shift', type=float, default=1.0)
    ap.add_argument('--inputs', type=int, default=24)
    ap.add_argument('--cands', type=int, default=4)
    ap.add_argument('--seed', type=int, default=1000)
    ap.add_argument('--raw', action='store_true', help='use the raw weights instead of the EMA')
    ap.add_argument('--ckpt', default='ckpt.pt', help='checkpoint file inside the run folder')
    a = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    run_dir = os.path.join(HERE, 'runs', a.run)
    ck = torch.load(os.path.join(run_dir, a.ckpt))
    cfg = UNetConfig(predict=ck['args']['predict'], input_gate=bool(ck['args']['gate']))
    net = UNet(cfg)
    net.load_state_dict(ck['net'] if a.raw else ck['ema'])
    net.eval()
    d, h = load_export('val')
    idx = np.arange(a.inputs)
    x0, cond, Fr = batch_of(d, idx)
    truth = d['frames'][idx].astype(np.float64) / 255      # [I, F, H, W, 3]
    boxes = np.asarray(d['handBoxes'][idx]).astype(int)     # [I, F, 2, 4]
    vis = np.asarray(d['handVisible'][idx])
    poses = np.asarray(d['poses'][idx])
    I, C = a.inputs, a.cands
    hand = np.full((I, C), np.nan)
    full = np.zeros((I, C))
    body = np.zeros((I, C))
    bg = np.zeros((I, C))
    gens = []
    bg_masks = {}
    for c in range(C):
        g = torch.Generator().manual_seed(a.seed + c)
        x = sample(net, cond, Fr, a.steps, g, eta=a.eta, shift=a.shift)
        gen = ((x.reshape(I, Fr, 3, *x.shape[-2:]).movedim(2, -1).numpy() + 1) / 2).clip(0, 1)
        gens.append(gen)
        for i in range(I):
            hs, fs, bs, ps = [], [], [], []
            for f in range(Fr):
                m = ssim_map(gen[i, f], truth[i, f])
                fs.append(m.mean())
                out = np.ones(m.shape, bool)
                for s in range(2):
                    if vis[i, f, s]:
                        x0_, y0_, x1_, y1_ = boxes[i, f, s]
                        hs.append(m[y0_:y1_, x0_:x1_].mean())
                        out[y0_:y1_, x0_:x1_] = False
                bs.append(m[out].mean())
                if (i, f) not in bg_masks:
                    bg_masks[(i, f)] = background_mask(poses[i, f])
                bgm = bg_masks[(i, f)] & out
                ps.append(psnr_masked(gen[i, f], truth[i, f], bgm))
            hand[i, c] = np.mean(hs) if hs else np.nan
            full[i, c] = np.mean(fs)
            body[i, c] = np.mean(bs)
            bg[i, c] = np.nanmean(ps)
    ok = ~np.isnan(hand).any(axis=1)
    res = {
        'run': a.run, 'args': ck['args'], 'steps': a.steps, 'eta': a.eta, 'shift': a.shift, 'inputs': int(ok.sum()), 'cands': C, 'ema': not a.raw,
        'clips_seen': ck['state']['clips'], 'train_s': round(ck['state']['seconds']),
        'ssim_full': float(full.mean()), 'ssim_body': float(body.mean()), 'ssim_hand': float(np.nanmean(hand)), 'psnr_bg': float(bg.mean()),
        **share_stats(hand[ok]), 'eval_s': round(time.time() - t0), 'hand_scores': np.round(hand, 4).tolist(),
    }
    with open(os.path.join(run_dir, 'premise.jsonl'), 'a') as f:
        f.write(json.dumps(res) + '\n')
    tag = f"s{a.steps}-e{a.eta}-sh{a.shift}-{ck['state']['clips']}{'-raw' if a.raw else ''}"
    rows = []
    for i in range(4):
        row = [truth[i, 0]] + [gens[c][i, 0] for c in range(C)]
        rows.append(np.concatenate(row, axis=1))
    img = (np.concatenate(rows, axis=0) * 255).round().astype(np.uint8).repeat(3, 0).repeat(3, 1)
    png(os.path.join(run_dir, f'cands-{tag}.png'), np.ascontiguousarray(img))
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items() if k != 'hand_scores'}))


if __name__ == '__main__':
    main()

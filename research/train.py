"""Pretrain the U-Net on exported pretraining clips (rectified flow, loss in v-space), resumable.

  /usr/bin/python3 research/train.py --name base --data pre-shift50 --predict v --gate 0 --t uniform --minutes 8
Writes research/runs/<name>/ckpt.pt (atomically, every --save-every minutes and at the end) and log.txt.
Run again with the same --name and a larger --minutes to extend a run (it resumes from the checkpoint).
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from common import HERE, batch_of, load_export, sample_t
from unet import UNet, UNetConfig, param_count, v_from_output


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', required=True)
    ap.add_argument('--data', required=True, help='export name under research/data (pretraining clips)')
    ap.add_argument('--predict', default='v', choices=['x', 'v', 'eps'])
    ap.add_argument('--gate', type=int, default=0, help='1: multiply the noisy frame by (1 - t) before the stem')
    ap.add_argument('--t', default='uniform', help="training density of t: 'uniform' or 'ln:mean:std'")
    ap.add_argument('--minutes', type=float, default=8, help='total training wall time (a resumed run trains until this)')
    ap.add_argument('--batch', type=int, default=4, help='clips per step')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=int, default=50)
    ap.add_argument('--ema', type=float, default=0.995)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--save-every', type=float, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    out = os.path.join(HERE, 'runs', a.name)
    os.makedirs(out, exist_ok=True)
    ckpt_path = os.path.join(out, 'ckpt.pt')
    log = open(os.path.join(out, 'log.txt'), 'a')

    # 1. Data: memory-mapped exported clips.
    d, h = load_export(a.data, ['ref', 'refPose', 'frames', 'poses'])
    n = h['count']

    # 2. Model, EMA copy, optimiser (resumed when a checkpoint exists).
    cfg = UNetConfig(predict=a.predict, input_gate=bool(a.gate))
    net = UNet(cfg)
    ema = UNet(cfg)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=0.01)
    g = torch.Generator().manual_seed(a.seed)
    state = {'step': 0, 'clips': 0, 'seconds': 0.0}
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        assert ck['args']['predict'] == a.predict and ck['args']['gate'] == a.gate and ck['args']['data'] == a.data, 'resume with the same model and data'
        net.load_state_dict(ck['net'])
        ema.load_state_dict(ck['ema'])
        opt.load_state_dict(ck['opt'])
        g.set_state(ck['gen'])
        state = ck['state']
    else:
        ema.load_state_dict(net.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    print(f"{a.name}: params {param_count(net)}, data {a.data} ({n} clips), resume at step {state['step']}", file=log, flush=True)

    def save():
        tmp = ckpt_path + '.tmp'
        torch.save({'net': net.state_dict(), 'ema': ema.state_dict(), 'opt': opt.state_dict(), 'gen': g.get_state(), 'state': state, 'args': vars(a)}, tmp)
        os.replace(tmp, ckpt_path)

    # 3. Train until the wall-time budget: t per clip (shared by its frames), eps, Z_t, loss on v.
    t_start = time.time() - state['seconds']
    last_save = time.time()
    losses = []
    while time.time() - t_start < a.minutes * 60:
        idx = np.sort(torch.randint(0, n, (a.batch,), generator=g).numpy())
        x0, cond, Fr = batch_of(d, idx)                     # [B*F, 3, H, W], [B*F, 9, H, W]
        t = sample_t(a.batch, a.t, g).repeat_interleave(Fr)  # [B*F]
        eps = torch.randn(x0.shape, generator=g)
        z = (1 - t[:, None, None, None]) * x0 + t[:, None, None, None] * eps
        v_hat = v_from_output(net(z, cond, t, Fr), z, t, a.predict)
        loss = (v_hat - (eps - x0)).pow(2).mean()
        lr = a.lr * min(1.0, (state['step'] + 1) / a.warmup)
        for pg in opt.param_groups:
            pg['lr'] = lr
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        decay = min(a.ema, (1 + state['step']) / (10 + state['step']))  # EMA warmup: short runs must not keep the zero-init head
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.mul_(decay).add_(p, alpha=1 - decay)
        state['step'] += 1
        state['clips'] += a.batch
        state['seconds'] = time.time() - t_start
        losses.append(loss.item())
        if state['step'] % 25 == 0:
            print(json.dumps({'step': state['step'], 'clips': state['clips'], 's': round(state['seconds']), 'loss': round(float(np.mean(losses)), 4)}), file=log, flush=True)
            losses = []
        if time.time() - last_save > a.save_every * 60:
            save()
            last_save = time.time()
    save()
    print(f"done: step {state['step']} clips {state['clips']} seconds {state['seconds']:.0f}", file=log, flush=True)


if __name__ == '__main__':
    main()

"""Time the kit's pretraining step in PyTorch: velocity-MSE loss, backward, AdamW, for a model config (JSON).

Usage: OPENBLAS_NUM_THREADS=n /usr/bin/python3 step.py '<model config json>' BATCH THREADS REPEATS
Prints one JSON line: {"params": count, "seconds": [per-step seconds], "torch": version}.
"""
import json
import sys
import time

import torch

from models import build


def main():
    config, batch, threads, repeats = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = build(config)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
    shape = (batch, config['frames'], config['height'], config['width'])
    x0, eps = torch.randn(*shape, config['channels']), torch.randn(*shape, config['channels'])
    cond = torch.rand(*shape, config['condChannels']) * 2 - 1
    seconds = []
    for i in range(repeats + 1):  # the first step is warm-up
        start = time.perf_counter()
        t = torch.rand(batch)
        z = (1 - t)[:, None, None, None, None] * x0 + t[:, None, None, None, None] * eps
        mode = torch.randn(batch) if config.get('modeNoise') else None
        loss = (net(z, cond, t, mode) - (eps - x0)).pow(2).mean() if config.get('kind') == 'unet' else (net(z, cond, t) - (eps - x0)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i > 0:
            seconds.append(time.perf_counter() - start)
    print(json.dumps({'params': sum(p.numel() for p in net.parameters()), 'seconds': seconds, 'torch': torch.__version__, 'blas': blas_library()}))


def blas_library():
    """The BLAS library file this process loaded (Debian's torch links libblas.so.3, whichever it resolves to)."""
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line}
        return ', '.join(sorted(l.split('/')[-2] + '/' + l.split('/')[-1] for l in libs)) or 'none found'
    except OSError:
        return 'unknown'


if __name__ == '__main__':
    main()

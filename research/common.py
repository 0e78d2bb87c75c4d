"""Shared pieces of the premise prototype: exported clips, timestep densities, the sampler, metrics."""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from unet import v_from_output

HERE = os.path.dirname(os.path.abspath(__file__))


def load_export(name: str, fields=None):
    """Fields of research/data/<name>.bin as numpy arrays (memory-mapped), plus the JSON header."""
    base = os.path.join(HERE, 'data', name)
    h = json.load(open(base + '.json'))
    out = {}
    for f, m in h['fields'].items():
        if fields and f not in fields:
            continue
        dt = np.uint8 if m['dtype'] == 'uint8' else np.float32
        out[f] = np.memmap(base + '.bin', dtype=dt, mode='r', offset=m['offset'], shape=tuple(m['shape']))
    return out, h


def to_unit(a: np.ndarray) -> torch.Tensor:
    """uint8 channels-last [..., H, W, 3] -> float [-1, 1] channels-first [..., 3, H, W]."""
    t = torch.from_numpy(np.ascontiguousarray(a)).float() / 127.5 - 1
    return t.movedim(-1, -3)


def batch_of(d, idx):
    """x0 [B*F, 3, H, W] and cond [B*F, 9, H, W] (ref, pose, ref pose) for clips idx; returns (x0, cond, F)."""
    frames = to_unit(d['frames'][idx])  # [B, F, 3, H, W]
    poses = to_unit(d['poses'][idx])
    ref = to_unit(d['ref'][idx])[:, None].expand_as(frames)
    rpose = to_unit(d['refPose'][idx])[:, None].expand_as(frames)
    B, Fr = frames.shape[:2]
    cond = torch.cat([ref, poses, rpose], dim=2).reshape(B * Fr, 9, *frames.shape[-2:])
    return frames.reshape(B * Fr, 3, *frames.shape[-2:]), cond, Fr


def sample_t(n: int, density: str, g: torch.Generator) -> torch.Tensor:
    """n training timesteps in (0, 1): 'uniform' or 'ln:<mean>:<std>' (logit-normal; mean > 0 leans to noise, t = 1)."""
    if density == 'uniform':
        return torch.rand(n, generator=g).clamp(1e-4, 1 - 1e-4)
    kind, mean, std = density.split(':')
    assert kind == 'ln', density
    return torch.sigmoid(float(mean) + float(std) * torch.randn(n, generator=g))


@torch.no_grad()
def sample(net, cond, frames: int, steps: int, g: torch.Generator, eta: float = 0.0, shift: float = 1.0):
    """Euler from t = 1 to 0 in `steps` steps, returning x0 [N, 3, H, W].

    eta > 0 is the stochastic variant: each step goes to Z_t' = (1 - t') x0_hat + t' (sqrt(1 - eta^2) eps_hat + eta xi)
    with fresh noise xi (eta = 0 is exactly the Euler step Z - (t - t') v_hat). `shift` > 1 spends more steps at high
    noise (t -> shift t / (1 + (shift - 1) t), as in SD3).
    """
    N = cond.shape[0]
    z = torch.randn(N, 3, cond.shape[2], cond.shape[3], generator=g)
    ts = torch.linspace(1, 0, steps + 1)
    ts = shift * ts / (1 + (shift - 1) * ts)
    for i in range(steps):
        t, t2 = float(ts[i]), float(ts[i + 1])
        tv = torch.full((N,), t)
        v = v_from_output(net(z, cond, tv, frames), z, tv, net.cfg.predict)
        if eta == 0 or t2 == 0:
            z = z - (t - t2) * v
        else:
            x0 = z - t * v
            eps = z + (1 - t) * v
            xi = torch.randn(z.shape, generator=g)
            z = (1 - t2) * x0 + t2 * (math.sqrt(1 - eta * eta) * eps + eta * xi)
    return z.clamp(-1, 1)


# ---- metrics (numpy, images in [0, 1], [H, W, 3]) ----

def _gauss(size=11, sigma=1.5):
    x = np.arange(size) - size // 2
    g = np.exp(-x * x / (2 * sigma * sigma))
    return g / g.sum()


_G = _gauss()


def _filt(img):
    """'same'-size separable Gaussian filter with truncated, renormalised windows at the border (as eval/ssim.ts)."""
    H, W = img.shape[:2]
    r = len(_G) // 2
    ones = np.ones((H, W))

    def sep(a):
        p = np.pad(a, ((r, r), (r, r)) + ((0, 0),) * (a.ndim - 2))
        out = sum(_G[k] * p[k:k + H] for k in range(len(_G)))
        out = sum(_G[k] * out[:, k:k + W] for k in range(len(_G)))
        return out
    norm = sep(ones)
    return sep(img) / (norm[..., None] if img.ndim == 3 else norm)


def ssim_map(a, b):
    """Per-pixel SSIM [H, W] (Gaussian 11x11, sigma 1.5, K1 0.01, K2 0.03, mean over channels)."""
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    ma, mb = _filt(a), _filt(b)
    va = _filt(a * a) - ma * ma
    vb = _filt(b * b) - mb * mb
    cab = _filt(a * b) - ma * mb
    s = ((2 * ma * mb + C1) * (2 * cab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2))
    return s.mean(axis=2)


def psnr_masked(a, b, mask):
    if mask.sum() == 0:
        return float('nan')
    mse = ((a - b) ** 2)[mask].mean()
    return 10 * math.log10(1 / max(mse, 1e-10))


def background_mask(pose, grow=6):
    """Pixels farther than `grow` px from every pose-map pixel (a proxy for the background: no character there)."""
    on = pose.max(axis=2) > 0
    H, W = on.shape
    ys, xs = np.nonzero(on)
    yy, xx = np.mgrid[0:H, 0:W]
    far = np.ones((H, W), bool)
    for y, x in zip(ys, xs):
        far &= (yy - y) ** 2 + (xx - x) ** 2 > grow * grow
    return far

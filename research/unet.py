"""The base-model U-Net of UNET_SPEC.md in PyTorch (research replica; the TS network lives in src/model/unet.ts).

Per generated frame the network sees 12 channels at S x S: noisy frame Z_t[f] (3), reference image (3), pose map of
frame f (3), reference pose map (3). It runs on the B*F generated frames as a batch of 2-D images; the attention
at the lowest resolution mixes the F frames of one clip. Tensors here are channels-first [N, C, H, W] (PyTorch's
layout); the kit's clips are channels-last and are permuted by the data loader.
"""
import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class UNetConfig:
    channels: tuple = (16, 32, 64, 128)  # per level, at S, S/2, S/4, S/8 px
    emb: int = 128                       # timestep embedding width E
    freq_dim: int = 64                   # sinusoidal features of t*1000
    heads: int = 4                       # attention heads at the lowest level
    groups: int = 8                      # GroupNorm groups
    attn_levels: tuple = (3,)            # levels (0 = full res) with spatio-temporal attention in the middle block
    predict: str = 'x'                   # 'x' | 'v' | 'eps': how the output o is read (see v_from_output)
    input_gate: bool = True              # multiply the noisy-frame channels by (1 - t) before the stem
    extra: dict = field(default_factory=dict)


def timestep_features(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features [B, dim] of t*1000 (t: [B])."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    a = (t * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


def zero_(m: nn.Module) -> nn.Module:
    for p in m.parameters():
        nn.init.zeros_(p)
    return m


class ResBlock(nn.Module):
    """GN-SiLU-conv, timestep FiLM (zero-init), GN-FiLM-SiLU-conv (zero-init), residual (1x1 skip when widths differ)."""

    def __init__(self, cin: int, cout: int, emb: int, groups: int):
        super().__init__()
        self.n1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.film = zero_(nn.Linear(emb, 2 * cout))
        self.n2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.c2 = zero_(nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):  # x: [N, cin, H, W], temb: [N, E]
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.film(F.silu(temb)).chunk(2, dim=1)
        h = self.n2(h) * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
        h = self.c2(F.silu(h))
        return self.skip(x) + h


class Attention(nn.Module):
    """Pre-GN spatio-temporal self-attention over the F*H*W tokens of one clip; zero-init out projection, residual."""

    def __init__(self, c: int, heads: int, groups: int):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, c, eps=1e-5)
        self.q = nn.Linear(c, c)
        self.k = nn.Linear(c, c)
        self.v = nn.Linear(c, c)
        self.out = zero_(nn.Linear(c, c))

    def forward(self, x, frames: int):  # x: [B*F, C, H, W]
        n, c, h, w = x.shape
        b = n // frames
        tok = self.norm(x).reshape(b, frames, c, h * w).permute(0, 1, 3, 2).reshape(b, frames * h * w, c)  # [B, T, C]
        split = lambda z: z.reshape(b, -1, self.heads, c // self.heads).transpose(1, 2)  # [B, heads, T, d]
        q, k, v = split(self.q(tok)), split(self.k(tok)), split(self.v(tok))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1)
        o = (att @ v).transpose(1, 2).reshape(b, frames * h * w, c)
        o = self.out(o).reshape(b, frames, h * w, c).permute(0, 1, 3, 2).reshape(n, c, h, w)
        return x + o


class UNet(nn.Module):
    """Stem, encoder (ResBlock, Down), middle (ResBlock, Attention, ResBlock), decoder (concat skip, ResBlock, Up), head."""

    def __init__(self, cfg: UNetConfig):
        super().__init__()
        self.cfg = cfg
        ch, E, G = cfg.channels, cfg.emb, cfg.groups
        self.temb = nn.Sequential(nn.Linear(cfg.freq_dim, E), nn.SiLU(), nn.Linear(E, E))
        self.stem = nn.Conv2d(12, ch[0], 3, padding=1)
        self.enc = nn.ModuleList()
        cin = ch[0]
        for c in ch:
            self.enc.append(ResBlock(cin, c, E, G))
            cin = c
        self.mid1 = ResBlock(ch[-1], ch[-1], E, G)
        self.attn = Attention(ch[-1], cfg.heads, G)
        self.mid2 = ResBlock(ch[-1], ch[-1], E, G)
        self.dec = nn.ModuleList()
        self.up = nn.ModuleList()
        cur = ch[-1]
        for lvl in reversed(range(len(ch))):
            self.dec.append(ResBlock(cur + ch[lvl], ch[lvl], E, G))
            cur = ch[lvl]
            if lvl > 0:
                self.up.append(nn.Conv2d(cur, cur, 3, padding=1))
        self.head_norm = nn.GroupNorm(G, ch[0], eps=1e-5)
        self.head = zero_(nn.Conv2d(ch[0], 3, 3, padding=1))

    def forward(self, z, cond, t, frames: int):
        """z: [N, 3, H, W] noisy frames; cond: [N, 9, H, W] (ref, pose, ref pose); t: [N]; returns o [N, 3, H, W]."""
        if self.cfg.input_gate:
            z = z * (1 - t)[:, None, None, None]
        temb = self.temb(timestep_features(t, self.cfg.freq_dim))
        h = self.stem(torch.cat([z, cond], dim=1))
        skips = []
        for i, blk in enumerate(self.enc):
            h = blk(h, temb)
            skips.append(h)
            if i < len(self.enc) - 1:
                h = F.avg_pool2d(h, 2)
        h = self.mid2(self.attn(self.mid1(h, temb), frames), temb)
        for j, blk in enumerate(self.dec):
            h = blk(torch.cat([h, skips[-1 - j]], dim=1), temb)
            if j < len(self.up):
                h = self.up[j](F.interpolate(h, scale_factor=2, mode='nearest'))
        return self.head(F.silu(self.head_norm(h)))


def v_from_output(o, z, t, predict: str):
    """Read the network output as a velocity v_hat = eps_hat - x0_hat (t: [N], broadcast)."""
    tt = t[:, None, None, None]
    if predict == 'x':
        return (z - o) / tt.clamp(min=0.05)
    if predict == 'v':
        return o
    if predict == 'eps':
        return (o - z) / (1 - tt).clamp(min=0.05)
    raise ValueError(f"predict must be 'x', 'v' or 'eps', got {predict!r}")


def x0_from_v(v, z, t):
    """Clean estimate from a velocity: x0_hat = Z_t - t v_hat."""
    return z - t[:, None, None, None] * v


def param_count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


if __name__ == '__main__':
    import time
    torch.set_num_threads(1)
    net = UNet(UNetConfig())
    print('params', param_count(net))
    Fr = 8
    z = torch.randn(Fr, 3, 64, 64)
    c = torch.randn(Fr, 9, 64, 64)
    t = torch.rand(1).repeat(Fr)
    opt = torch.optim.AdamW(net.parameters(), 1e-3)
    for i in range(4):
        t0 = time.time()
        o = net(z, c, t, Fr)
        loss = (o - z).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        print('fwd+bwd 1 clip (8 frames)', round(time.time() - t0, 3), 's')
    with torch.no_grad():
        t0 = time.time()
        net(z, c, t, Fr)
        print('fwd 1 clip', round(time.time() - t0, 3), 's')

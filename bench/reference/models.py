"""PyTorch replicas of the kit's video models, for the `reference` bench row (the kit never needs Python).

Same parameter shapes and counts as src/model/dit.ts and src/model/unet.ts (step.py checks the count against
the kit's), the same forward computation, channels-last inputs [B, F+1, H, W, C] like the kit's, and the same
loss (velocity MSE over all frames). Initialisation does not matter for timing and is PyTorch's default.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_features(t, dim):
    """Sinusoidal features [B, dim] of t*1000."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    a = (t * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


class TimeMLP(nn.Module):
    """Linear(freq, E) (+ mode * w_m with mode noise) -> SiLU -> Linear(E, E)."""

    def __init__(self, freq, E, mode_noise=False):
        super().__init__()
        self.freq, self.l1, self.l2 = freq, nn.Linear(freq, E), nn.Linear(E, E)
        self.wm = nn.Linear(1, E, bias=False) if mode_noise else None

    def forward(self, t, mode=None):
        h = self.l1(timestep_features(t, self.freq))
        if self.wm is not None:
            h = h + self.wm(mode[:, None])
        return self.l2(F.silu(h))


# ----------------------------------------------------------------------------------------------------- DiT

class DiTBlock(nn.Module):
    """adaLN-Zero block: full spatio-temporal attention and a sigmoid-GELU MLP."""

    def __init__(self, D, heads, hidden):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.out = (nn.Linear(D, D) for _ in range(4))
        self.ada = nn.Linear(D, 6 * D)
        self.fc1, self.fc2 = nn.Linear(D, hidden), nn.Linear(hidden, D)

    def forward(self, h, sc):  # h: [B, T, D], sc: [B, D]
        B, T, D = h.shape
        m = self.ada(sc)[:, None].chunk(6, dim=2)
        x = F.layer_norm(h, (D,), eps=1e-6) * (1 + m[1]) + m[0]
        split = lambda z: z.reshape(B, T, self.heads, D // self.heads).transpose(1, 2)
        a = F.softmax(split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(D // self.heads), dim=-1) @ split(self.v(x))
        h = h + m[2] * self.out(a.transpose(1, 2).reshape(B, T, D))
        x = F.layer_norm(h, (D,), eps=1e-6) * (1 + m[4]) + m[3]
        u = self.fc1(x)
        return h + m[5] * self.fc2(u * torch.sigmoid(1.702 * u))


class DiT(nn.Module):
    """The kit's DiT (src/model/dit.ts): patch tokens of all frames, x-prediction read as a velocity."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        D, P = c['dim'], c['patch'] ** 2
        self.embed_x = nn.Linear(P * c['channels'], D, bias=False)
        self.embed_c = nn.Linear(P * c['condChannels'], D, bias=False)
        self.embed_b = nn.Parameter(torch.zeros(D))
        self.pos_frame = nn.Parameter(torch.zeros(c['frames'], D))
        self.temb = TimeMLP(c['freqDim'], D)
        self.blocks = nn.ModuleList(DiTBlock(D, c['heads'], c['mlpRatio'] * D) for _ in range(c['depth']))
        self.final_ada = nn.Linear(D, 2 * D)
        self.final = nn.Linear(D, P * c['channels'])
        gh, gw = c['height'] // c['patch'], c['width'] // c['patch']
        self.register_buffer('pos', torch.randn(gh * gw, D) * 0.02)

    def patchify(self, x):  # [B, F, H, W, C] -> [B, F, T, p*p*C]
        B, Fr, H, W, C = x.shape
        p = self.c['patch']
        return x.reshape(B, Fr, H // p, p, W // p, p, C).permute(0, 1, 2, 4, 3, 5, 6).reshape(B, Fr, (H // p) * (W // p), p * p * C)

    def forward(self, z, cond, t):
        c = self.c
        B, Fr, H, W, C = z.shape
        p = c['patch']
        h = self.embed_x(self.patchify(z)) * (1 - t)[:, None, None, None] + self.embed_c(self.patchify(cond)) + self.embed_b
        h = (h + self.pos + self.pos_frame[None, :, None]).reshape(B, -1, c['dim'])
        sc = F.silu(self.temb(t))
        for blk in self.blocks:
            h = blk(h, sc)
            
        shift, scale = self.final_ada(sc)[:, None].chunk(2, dim=2)
        out = self.final(F.layer_norm(h, (c['dim'],), eps=1e-6) * (1 + scale) + shift)  # [B, F*T, p*p*C]
        x0 = out.reshape(B, Fr, H // p, W // p, p, p, C).permute(0, 1, 2, 4, 3, 5, 6).reshape(B, Fr, H, W, C)
        x0 = torch.cat([cond[:, :1, ..., :C], x0[:, 1:]], dim=1)  # frame 0: the known reference
        return (z - x0) / t.clamp(min=0.05)[:, None, None, None, None]


# --------------------------------------------------------------------------------------------------- U-Net

class ResBlock(nn.Module):
    """GN-SiLU-conv, timestep FiLM (zero-init), GN-FiLM-SiLU-conv, residual (1x1 skip when widths differ)."""

    def __init__(self, cin, cout, E, G):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(G, cin, eps=1e-5), nn.Conv2d(cin, cout, 3, padding=1)
        self.film = nn.Linear(E, 2 * cout)
        self.n2, self.c2 = nn.GroupNorm(G, cout, eps=1e-5), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, st, frames):  # x: [B*F, cin, H, W], st: SiLU(temb) [B, E]
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.film(st).repeat_interleave(frames, dim=0).chunk(2, dim=1)
        h = self.n2(h) * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
        return self.skip(x) + self.c2(F.silu(h))


class Attention(nn.Module):
    """Pre-GN spatio-temporal self-attention over the F*h*w tokens of one clip, residual."""

    def __init__(self, c, heads, G):
        super().__init__()
        self.heads, self.norm = heads, nn.GroupNorm(G, c, eps=1e-5)
        self.q, self.k, self.v, self.out = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x, frames):
        n, c, h, w = x.shape
        b = n // frames
        tok = self.norm(x).reshape(b, frames, c, h * w).permute(0, 1, 3, 2).reshape(b, frames * h * w, c)
        split = lambda z: z.reshape(b, -1, self.heads, c // self.heads).transpose(1, 2)
        a = F.softmax(split(self.q(tok)) @ split(self.k(tok)).transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1) @ split(self.v(tok))
        o = self.out(a.transpose(1, 2).reshape(b, frames * h * w, c))
        return x + o.reshape(b, frames, h * w, c).permute(0, 1, 3, 2).reshape(n, c, h, w)


class UNet(nn.Module):
    """The kit's U-Net (src/model/unet.ts): stem, encoder, middle with attention, decoder, head."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        L, E, G = c['levels'], c['embedDim'], c['groups']
        self.temb = TimeMLP(c['freqDim'], E, c.get('modeNoise', False))
        self.stem = nn.Conv2d(c['channels'] + c['condChannels'], L[0], 3, padding=1)
        self.enc = nn.ModuleList(ResBlock(L[max(i - 1, 0)], ch, E, G) for i, ch in enumerate(L))
        self.mid1, self.attn, self.mid2 = ResBlock(L[-1], L[-1], E, G), Attention(L[-1], c['heads'], G), ResBlock(L[-1], L[-1], E, G)
        self.dec, self.up = nn.ModuleList(), nn.ModuleList()
        cur = L[-1]
        for lvl in reversed(range(len(L))):
            self.dec.append(ResBlock(cur + L[lvl], L[lvl], E, G))
            cur = L[lvl]
            if lvl > 0:
                self.up.append(nn.Conv2d(cur, cur, 3, padding=1))
        self.head_norm, self.head = nn.GroupNorm(G, L[0], eps=1e-5), nn.Conv2d(L[0], c['channels'], 3, padding=1)

    def forward(self, z, cond, t, mode=None):  # channels-last [B, F+1, H, W, C] like the kit; mode [B] with modeNoise
        c = self.c
        B, F1, H, W, C = z.shape
        Fr = F1 - 1
        t5 = t[:, None, None, None, None]
        zg = z[:, 1:]
        zin = zg * (1 - t5) if c['inputGate'] else zg
        x = torch.cat([zin, cond[:, 1:]], dim=4).reshape(B * Fr, H, W, -1).permute(0, 3, 1, 2)
        st = F.silu(self.temb(t, mode))
        h = self.stem(x)
        skips = []
        for i, blk in enumerate(self.enc):
            h = blk(h, st, Fr)
            skips.append(h)
            if i < len(self.enc) - 1:
                h = F.avg_pool2d(h, 2)
        h = self.mid2(self.attn(self.mid1(h, st, Fr), Fr), st, Fr)
        for j, blk in enumerate(self.dec):
            h = blk(torch.cat([h, skips[-1 - j]], dim=1), st, Fr)
            if j < len(self.up):
                h = self.up[j](F.interpolate(h, scale_factor=2, mode='nearest'))
        o = self.head(F.silu(self.head_norm(h))).permute(0, 2, 3, 1).reshape(B, Fr, H, W, C)
        if c['predict'] == 'x':
            vg = (zg - o) / t5.clamp(min=0.05)
        elif c['predict'] == 'v':
            vg = o
        else:
            vg = (o - zg) / (1 - t5).clamp(min=0.05)
        v0 = (z[:, :1] - cond[:, :1, ..., :C]) / t5.clamp(min=0.05)
        return torch.cat([v0, vg], dim=1)


def build(config):
    """The replica of a kit model config (kind 'unet' or 'dit'/absent)."""
    return UNet(config) if config.get('kind') == 'unet' else DiT(config)

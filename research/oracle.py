"""What a perfect sampler of the pretraining data would score: hand-box SSIM of a defective clip against the same
clip without the defect (exports share clip indices, so pre-<kind> and pre-clean hold the same clean content).

  /usr/bin/python3 research/oracle.py mitten50 blur50 ghost50
Prints, per defect kind, the mean and quantiles of the hand SSIM of defective clips (1.0 = no visible defect) and the
within-input share of an ideal 50/50 sampler whose good mode is the truth (candidates: truth or defective version).
"""
import sys
import numpy as np
from common import load_export, ssim_map

clean, _ = load_export('pre-clean', ['frames'])
rng = np.random.default_rng(0)
for kind in sys.argv[1:]:
    d, h = load_export('pre-' + kind, ['frames'])
    key = [k for k in ('mitten', 'blur', 'ghost') if k in kind][0]
    bad = [i for i, c in enumerate(h['clips'][:600]) if c['defects'][key]][:120]
    scores = []
    for i in bad:
        a = d['frames'][i].astype(np.float64) / 255
        b = clean['frames'][i].astype(np.float64) / 255
        diff = np.abs(a - b).max(axis=(0, 3)) > 0  # pixels the defect touched, over both frames
        if not diff.any():
            scores.append(1.0)
            continue
        ys, xs = np.nonzero(diff)
        s = []
        for f in range(a.shape[0]):
            m = ssim_map(a[f], b[f])
            s.append(m[ys.min():ys.max() + 1, xs.min():xs.max() + 1].mean())
        scores.append(float(np.mean(s)))
    sc = np.array(scores)
    # Ideal sampler: 4 candidates per input, each the truth (score 1 - between-input offset) or the defective clip.
    cands = np.where(rng.random((len(sc), 4)) < 0.5, 1.0, sc[:, None])
    share = cands.var(axis=1).mean() / cands.var()
    print(f"{kind}: defective clips {len(sc)}, defect-region SSIM mean {sc.mean():.3f} q10 {np.quantile(sc, .1):.3f} q50 {np.median(sc):.3f} q90 {np.quantile(sc, .9):.3f}; "
          f"ideal 50/50 sampler share {share:.2f}; with model between-input sd 0.10 added: {0.25 * ((1 - sc) ** 2).mean() / (0.25 * ((1 - sc) ** 2).mean() + 0.01 + 0.25 * (1 - sc).var()):.2f}")

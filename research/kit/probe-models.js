// What the drift probes (diversity-probe.js, heldout-probe.js) share: the models they compare with the base, and a
// value paired with the base's, input by input, with its bootstrap interval.
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));

/** The study's methods whose seed-1 adapters are probed by default. */
const METHODS = ['sft', 'ipa', 'sft-halo', 'ipa-halo'];

/** Models to probe besides the base: `name=adapterDir,...`, else seed 1 of each study method. */
function modelsOf(study, arg) {
  if (!arg) return METHODS.map((m) => [m, path.join(study.paths.work, 'jobs', `${m}.s1`, 'train', 'adapter')]);
  return arg.split(',').map((kv) => {
    const [name, dir] = kv.split('=');
    if (!name || !dir) throw new Error(`models must be name=adapterDir,...; got '${kv}'`);
    return [name, dir];
  });
}

/**
 * A model's values `a` against the base's `b`, paired by index; pairs with a null on either side are left out.
 * Returns the model's mean and the paired difference's 95% bootstrap interval (2,000 resamples, seed 1), as text
 * `+d [low, high]` formatted by `f`; `vs` is null when `isBase`.
 */
function pairedVsBase(a, b, isBase, f) {
  const keep = a.map((v, i) => v !== null && b[i] !== null);
  const aa = a.filter((_, i) => keep[i]);
  const bb = b.filter((_, i) => keep[i]);
  const mean = aa.reduce((x, y) => x + y, 0) / aa.length;
  if (isBase) return { mean, vs: null };
  const ci = kit.pairedBootstrapCI(aa, bb, { resamples: 2000, seed: 1 });
  return { mean, vs: `${ci.mean >= 0 ? '+' : ''}${f(ci.mean)} [${f(ci.low)}, ${f(ci.high)}]` };
}

module.exports = { METHODS, modelsOf, pairedVsBase };

/** The registry of benches run by `ipa-kit bench`: each stage adds its rows here, in pipeline order. */
import { MATMUL_BENCHES } from '../gpu/bench';
import { PERCEPTION_BENCHES } from './bench-perception';
import { STUDY_BENCHES } from './bench-pipeline';
import { registerBench, registeredBenches } from '../gpu/bench-harness';

let registered = false;

/** Register every stage's benches once. */
export function registerAllBenches(): void {
  if (registered) return;
  registered = true;
  for (const b of [...MATMUL_BENCHES, ...STUDY_BENCHES, ...PERCEPTION_BENCHES]) registerBench(b);
}

export { registeredBenches };

/** The benches run by `ipa-kit bench`: each layer's rows, gathered here from the top layer down. */
import { MATMUL_BENCHES } from '../gpu/bench';
import { CONV_BENCHES } from '../gpu/bench-conv';
import { PERCEPTION_BENCHES } from './bench-perception';
import { STUDY_BENCHES } from './bench-pipeline';
import { PREDICT_BENCHES } from './bench-predict';
import { REFERENCE_BENCHES } from './bench-reference';
import { registerBench, registeredBenches } from '../gpu/bench-harness';

let registered = false;

/** Register every layer's benches once. */
export function registerAllBenches(): void {
  if (registered) return;
  registered = true;
  for (const b of [...MATMUL_BENCHES, ...CONV_BENCHES, ...STUDY_BENCHES, ...PREDICT_BENCHES, ...PERCEPTION_BENCHES, ...REFERENCE_BENCHES]) registerBench(b);
}

export { registeredBenches };

/** Worker threads on the kit's tfjs backend: the setup task that initialises a pool worker's own backend. */
import { WorkerSetup, defineTask } from '../core/pool';
import { initBackend } from './backend';

/** Initialise this worker thread's tfjs backend (a pool's setup task). */
export async function initWorkerBackend(input: { backend: string }): Promise<void> {
  await initBackend({ backend: input.backend });
}

const INIT_WORKER_BACKEND = defineTask(__filename, 'initWorkerBackend', initWorkerBackend);

/** The setup that gives each pool worker the backend `backend` (default: IPA_BACKEND, else auto). */
export function backendSetup(backend = process.env.IPA_BACKEND ?? 'auto'): WorkerSetup<{ backend: string }> {
  return { task: INIT_WORKER_BACKEND, input: { backend } };
}

/** Entry of a worker thread of the pool: runs its setup task once, then runs tasks until told to stop. */
import { parentPort, workerData } from 'node:worker_threads';
import { FromWorker, ToWorker, WorkerSetup, loadTask } from './pool';

const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

void (async () => {
  const { setup } = workerData as { setup: WorkerSetup | null };
  if (setup) await loadTask(setup.task)(setup.input, { progress: () => undefined });
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'stop') {
      port.close();
      return;
    }
    try {
      const output = await loadTask(m.task)(m.input, { progress: (units) => post({ type: 'progress', id: m.id, units }) });
      post({ type: 'done', id: m.id, output });
    } catch (err) {
      const e = err as Error;
      post({ type: 'failed', id: m.id, message: e?.message ?? String(err), stack: e?.stack });
    }
  });
  post({ type: 'ready' });
})();

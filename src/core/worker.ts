/** Entry of a worker thread of `parallelMap`: initialises its own backend, then runs tasks until told to stop. */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../gpu/backend';
import { FromWorker, ToWorker } from './pool';
import { TASKS } from '../study/tasks';

const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

void (async () => {
  await initBackend({ backend: (workerData as { backend: string }).backend });
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'stop') {
      port.close();
      return;
    }
    try {
      const output = await TASKS[m.task](m.input, { progress: (units) => post({ type: 'progress', id: m.id, units }) });
      post({ type: 'done', id: m.id, output });
    } catch (err) {
      const e = err as Error;
      post({ type: 'failed', id: m.id, message: e?.message ?? String(err), stack: e?.stack });
    }
  });
  post({ type: 'ready' });
})();

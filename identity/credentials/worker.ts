// Runs on a worker thread (loaded by Node directly, so only erasable TypeScript and `.ts` imports here):
// the pure-JavaScript hash loops that would otherwise block the event loop.
import { cryptRecompute } from './algorithms/crypt.ts';
import { phpassRecompute } from './algorithms/phpass.ts';

export interface OffThreadTask {
  kind: 'crypt' | 'phpass';
  password: string;
  encoded: string;
}

/** The encoding recomputed for this password with the encoding's own salt and cost, or null. */
export default function run(task: OffThreadTask): string | null {
  try {
    switch (task.kind) {
      case 'crypt':
        return cryptRecompute(task.password, task.encoded);
      case 'phpass':
        return phpassRecompute(task.password, task.encoded);
      default:
        return null;
    }
  } catch {
    return null;
  }
}

#!/usr/bin/env node
// The `causeway` command: runs cli.ts through tsx, so there is no separate compile step.
import { spawnSync } from 'node:child_process';

// A long import allocates short-lived rows by the million: V8 sizes its young generation from the
// machine's memory (hundreds of MB here); a small one keeps the import's memory flat at no cost in speed,
// and a fixed old-generation growth factor stops the heap from outgrowing what the import keeps.
const YOUNG = '--max-semi-space-size=8';
const GROWTH = '--heap-growing-percent=150';
if (process.argv[2] === 'import' && !process.execArgv.includes(YOUNG)) {
  const child = spawnSync(process.execPath, [YOUNG, GROWTH, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
await import('../cli.ts');

#!/usr/bin/env node
// The `causeway` command: runs cli.ts through tsx, so there is no separate compile step.
import { register } from 'tsx/esm/api';

register();
await import('../cli.ts');

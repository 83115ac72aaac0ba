import { pino, type DestinationStream, type Logger } from 'pino';
import { redactPaths } from './redact.ts';

export type { Logger };

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name ?? 'causeway',
      level: options.level ?? 'info',
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

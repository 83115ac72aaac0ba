// How many segments a stage's text costs, for pacing projections: the longest of its languages and of
// before/after cutover, with a link as long as the portal's real ones.
import type { WaveStage } from '../../db/schema/index.ts';
import type { Brand } from '../../emails/brand.ts';
import { transitionSmsPreview } from '../../emails/transition-sms.ts';

const cache = new Map<string, number>();

export function transitionSmsSegments(stage: WaveStage, brand: Brand, publicUrl: string): number {
  const key = `${stage}:${brand.name}:${publicUrl}`;
  let segments = cache.get(key);
  if (segments === undefined) {
    // A delivery token is at most 36 characters (an id in base 36, a dot, 22 characters of MAC).
    const link = `${publicUrl.replace(/\/+$/, '')}/cw/${'x'.repeat(36)}`;
    segments = 1;
    for (const locale of ['en', 'es'] as const)
      for (const afterCutover of [false, true])
        segments = Math.max(
          segments,
          transitionSmsPreview({ stage, locale, brand, link, cutoverDate: '2026-12-31', afterCutover })
            .segments,
        );
    cache.set(key, segments);
  }
  return segments;
}

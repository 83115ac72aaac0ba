// console.error fails a test unless the test announced it with expectConsoleError().
import { afterEach, beforeEach, expect, vi } from 'vitest';

let expected = 0;
let calls: unknown[][] = [];

export function expectConsoleError(count = 1) {
  expected += count;
}

beforeEach(() => {
  expected = 0;
  calls = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    calls.push(args);
  });
});

afterEach(() => {
  const unexpected = calls.slice(expected);
  vi.restoreAllMocks();
  expect(
    unexpected.map((args) => args.map(String).join(' ')),
    'unexpected console.error',
  ).toEqual([]);
});

// Watches the event loop while some work runs: the longest gap between 5 ms timer ticks, beside the
// work's own duration. Work done on another thread leaves the gaps short.
export async function watchEventLoop<T>(
  work: () => Promise<T>,
): Promise<{ result: T; elapsed: number; maxGap: number; ticks: number }> {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 5);
  const started = performance.now();
  try {
    const result = await work();
    const elapsed = performance.now() - started;
    maxGap = Math.max(maxGap, performance.now() - last);
    return { result, elapsed, maxGap, ticks };
  } finally {
    clearInterval(timer);
  }
}

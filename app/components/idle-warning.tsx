import { useFetcher } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { CsrfInput } from './csrf-input.tsx';

/**
 * Warns before an idle staff session ends and lets the person keep it (WCAG 2.2.1 Timing Adjustable).
 * The server enforces the timeout either way; this only makes it visible.
 */
export function IdleWarning({ expiresAt, warningMs }: { expiresAt: string; warningMs: number }) {
  const fetcher = useFetcher<{ idleExpiresAt: string }>();
  const deadline = new Date(fetcher.data?.idleExpiresAt ?? expiresAt).getTime();
  const [now, setNow] = useState<number | null>(null);

  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (now !== null && now >= deadline) window.location.assign('/staff/login?reason=idle');
  }, [now, deadline]);

  if (now === null || deadline - now > warningMs) return null;
  const seconds = Math.max(0, Math.round((deadline - now) / 1000));
  const time = seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} seconds`;
  return (
    <div className="idle-dialog" role="alertdialog" aria-labelledby="idle-title" aria-describedby="idle-desc">
      <h2 id="idle-title">Are you still there?</h2>
      <p id="idle-desc" aria-live="polite">
        For safety, you will be signed out in {time}.
      </p>
      <fetcher.Form method="post" action="/staff/session">
        <CsrfInput />
        <button type="submit" autoFocus>
          I&apos;m still here
        </button>
      </fetcher.Form>
    </div>
  );
}

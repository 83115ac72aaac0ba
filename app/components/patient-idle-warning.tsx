import { useLocation, useRevalidator } from '@remix-run/react';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CsrfInput } from './csrf-input.tsx';

/** How long before the session ends the patient is asked whether to stay (WCAG 2.2.1 asks for 20 s). */
export const PATIENT_SESSION_WARNING_MS = 2 * 60_000;

/** The signed-in session as a page's loader reports it: time left (measured on the server) and its end. */
export interface PatientSessionClock {
  expiresInMs: number;
  /** The end, already worded for the patient ("Monday 9:41 PM EST"). */
  endsAt: string;
}

/** Pages that can take the patient back after a "Stay signed in" posted without JavaScript. */
export const EXTEND_RETURN_PATHS = ['/', '/account'] as const;

/**
 * Warns before the patient's session ends and lets them keep it (WCAG 2.2.1 Timing Adjustable): a
 * modal alert dialog that takes focus, keeps it inside, and answers to the keyboard; Escape counts as
 * "Stay signed in", the answer that loses nothing. The server enforces the end either way; without
 * JavaScript the account page says when it comes and offers the same button.
 */
export function PatientIdleWarning({
  session,
  warningMs = PATIENT_SESSION_WARNING_MS,
}: {
  session: PatientSessionClock;
  warningMs?: number;
}) {
  const { t } = useTranslation();
  const location = useLocation();
  const revalidator = useRevalidator();
  const [deadline, setDeadline] = useState<number | null>(null);
  const [now, setNow] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const dialogRef = useRef<HTMLDialogElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const stayRef = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef<Element | null>(null);
  const openRef = useRef(false);
  const leaving = useRef(false);
  // A language chosen for this view (?lng=) carries on to the next page and into the dialog's answer.
  const lng = new URLSearchParams(location.search).get('lng');
  const lngQuery = lng === 'en' || lng === 'es' ? `lng=${lng}` : '';
  const timedOutUrl = `/?timed_out=1${lngQuery ? `&${lngQuery}` : ''}`;

  // Each page load (and revalidation) brings a fresh measure of the time left.
  useEffect(() => {
    setDeadline(Date.now() + session.expiresInMs);
  }, [session.expiresInMs, session.endsAt]);

  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);

  const remaining = deadline !== null && now !== null ? deadline - now : null;
  const open = remaining !== null && remaining <= warningMs && !busy;

  useEffect(() => {
    // A small margin past the end: the server has surely ended the session by then.
    if (remaining !== null && remaining <= -1_500 && !leaving.current) {
      leaving.current = true;
      window.location.assign(timedOutUrl);
    }
  }, [remaining, timedOutUrl]);

  useEffect(() => {
    openRef.current = open;
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnFocus.current = document.activeElement;
      dialog.showModal();
      stayRef.current?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
      const back = returnFocus.current;
      if (back instanceof HTMLElement && back.isConnected && back !== document.body) back.focus();
      else document.getElementById('main')?.focus();
    }
  }, [open]);

  const stay = useCallback(async () => {
    const form = formRef.current;
    if (!form) return;
    setBusy(true);
    const body = new FormData(form);
    // With JavaScript the answer comes back here; the field is for a post without it.
    body.delete('returnTo');
    try {
      const response = await fetch(form.action, {
        method: 'POST',
        body,
        headers: { accept: 'application/json' },
      });
      if (!response.ok) {
        leaving.current = true;
        window.location.assign(timedOutUrl);
        return;
      }
      const extended = (await response.json()) as PatientSessionClock;
      setDeadline(Date.now() + extended.expiresInMs);
      setAnnouncement(t('session.extended', { time: extended.endsAt }));
      // The page's own words about the session's end catch up too.
      revalidator.revalidate();
    } catch {
      // No answer (the network dropped): the warning comes back so the patient can try again.
    } finally {
      setBusy(false);
    }
  }, [t, timedOutUrl, revalidator]);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void stay();
  };

  const seconds = remaining === null ? 0 : Math.max(0, Math.ceil(remaining / 1000));
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  const time = [
    minutes > 0 ? t('session.minutes', { count: minutes }) : null,
    rest > 0 || minutes === 0 ? t('session.seconds', { count: rest }) : null,
  ]
    .filter(Boolean)
    .join(' ');
  const returnTo = (EXTEND_RETURN_PATHS as readonly string[]).includes(location.pathname)
    ? location.pathname
    : '/account';

  return (
    <>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      <dialog
        ref={dialogRef}
        className="patient-idle-dialog"
        role="alertdialog"
        aria-labelledby="session-warning-title"
        aria-describedby="session-warning-body"
        onCancel={(event) => {
          // Escape: keep the session rather than lose the patient's place.
          event.preventDefault();
          void stay();
        }}
        onClose={() => {
          // Closed by the browser itself (a repeated Escape): still the answer that loses nothing.
          if (openRef.current) void stay();
        }}
      >
        <h2 id="session-warning-title">{t('session.warningTitle')}</h2>
        <p id="session-warning-body">{open ? t('session.warningBody', { time }) : ''}</p>
        <form
          ref={formRef}
          method="post"
          action={`/session/extend${lngQuery ? `?${lngQuery}` : ''}`}
          onSubmit={onSubmit}
        >
          <CsrfInput />
          <input type="hidden" name="returnTo" value={returnTo} />
          <button ref={stayRef} type="submit">
            {t('session.stay')}
          </button>
        </form>
        <form method="post" action="/logout">
          <CsrfInput />
          <button type="submit" className="secondary">
            {t('session.signOut')}
          </button>
        </form>
      </dialog>
    </>
  );
}

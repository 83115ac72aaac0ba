// Turns a template into what a channel sends: the HTML document and its plain-text twin.
import { render, toPlainText } from '@react-email/render';
import type { ReactElement } from 'react';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export async function renderEmail(subject: string, element: ReactElement): Promise<RenderedEmail> {
  const html = await render(element);
  const text = toPlainText(html, {
    selectors: [
      // Plain language reads badly in capitals; keep headings as written.
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      // A phone number is already readable; "tel:+1555…" beside it is noise.
      { selector: 'a[href^="tel:"]', format: 'anchor', options: { ignoreHref: true } },
    ],
  });
  return { subject, html, text };
}

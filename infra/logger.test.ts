import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('logger', () => {
  it('redacts personal data and secrets whatever the log call passes', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, sink);
    logger.info(
      {
        patient: {
          email: 'maria.lopez@example.org',
          phone: '+14155550101',
          givenName: 'María',
          birthDate: '1984-02-29',
        },
        form: { password: 'Sunrise-Clinic-2019', code: '123456', token: 'abc.def.ghi' },
        req: { headers: { cookie: 'cw_staff=secret-session', authorization: 'Bearer t0ken' } },
        outcome: 'bad_password',
      },
      'sign-in attempt',
    );
    const entry = JSON.parse(lines[0]!) as Record<string, Record<string, unknown>>;
    expect(entry.patient).toEqual({
      email: '[redacted]',
      phone: '[redacted]',
      givenName: '[redacted]',
      birthDate: '[redacted]',
    });
    expect(entry.form).toEqual({ password: '[redacted]', code: '[redacted]', token: '[redacted]' });
    expect(entry.req).toEqual({ headers: { cookie: '[redacted]', authorization: '[redacted]' } });
    expect(entry.outcome).toBe('bad_password');
    for (const secret of [
      'maria',
      '4155550101',
      'María',
      'Sunrise',
      '123456',
      'abc.def',
      'secret-session',
      't0ken',
    ]) {
      expect(lines[0]).not.toContain(secret);
    }
  });
});

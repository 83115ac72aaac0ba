import { describe, expect, it } from 'vitest';
import { sanitizePath } from './redact.ts';

describe('sanitizePath', () => {
  it.each([
    ['/staff/team', '/staff/team'],
    ['/login?email=maria@example.org&token=abc', '/login'],
    ['/patients/maria.lopez%40example.org/records', '/patients/:email/records'],
    ['/appointments/4815162342', '/appointments/:id'],
    ['/chart/MRN-00012345', '/chart/:id'],
    ['/patients/3f2c1a9e-8b7d-4c6e-9f00-112233445566', '/patients/:uuid'],
    ['/auth/magic/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', '/auth/magic/:token'],
    ['/sms/+1%20(415)%20555-0101', '/sms/:phone'],
    ['/', '/'],
  ])('%s → %s', (input, expected) => {
    expect(sanitizePath(input)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { normalizePath } from './paths.ts';
import { parseSource, validateRule } from './rules.ts';

describe('normalizePath', () => {
  it.each([
    ['/billing', '/billing'],
    ['/billing/', '/billing'],
    ['//billing//statements/', '/billing/statements'],
    ['/%62illing', '/billing'],
    ['/a%7eb', '/a~b'],
    ['/search/a%3ab', '/search/a%3Ab'],
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a b', '/a%20b'],
    ['/a/./b/../c', '/a/c'],
    ['/a/%2e%2e/%2E%2E/b', '/b'],
    ['/Billing', '/Billing'],
    ['/', '/'],
    ['///', '/'],
  ])('%s → %s', (raw, path) => {
    expect(normalizePath(raw)).toEqual({ ok: true, path });
  });

  it.each([
    ['billing', 'not_a_path'],
    ['/\\evil.example', 'backslash'],
    ['/a%5cb', 'encoded_slash'],
    ['/%2F%2Fevil.example', 'encoded_slash'],
    ['/a%2fb', 'encoded_slash'],
    ['/a\tb', 'control_character'],
    ['/a%0d%0aSet-Cookie:x', 'control_character'],
    ['/a%00', 'control_character'],
    ['/a%zz', 'bad_escape'],
    ['/a%4', 'bad_escape'],
    [`/${'a'.repeat(2048)}`, 'too_long'],
  ])('refuses %j (%s)', (raw, reason) => {
    expect(normalizePath(raw)).toEqual({ ok: false, reason });
  });
});

describe('parseSource', () => {
  it('tells exact, prefix and pattern sources apart and normalises them', () => {
    expect(parseSource(' /Billing/ ')).toEqual({
      ok: true,
      value: { kind: 'exact', source: '/Billing', segments: ['Billing'], params: [], rest: false },
    });
    expect(parseSource('/messages/*')).toEqual({
      ok: true,
      value: { kind: 'prefix', source: '/messages/*', segments: ['messages'], params: [], rest: true },
    });
    expect(parseSource('/*')).toEqual({
      ok: true,
      value: { kind: 'prefix', source: '/*', segments: [], params: [], rest: true },
    });
    expect(parseSource('/records/:kind/:id')).toEqual({
      ok: true,
      value: {
        kind: 'pattern',
        source: '/records/:kind/:id',
        segments: ['records', { param: 'kind' }, { param: 'id' }],
        params: ['kind', 'id'],
        rest: false,
      },
    });
    expect(parseSource('/files/:folder/*')).toMatchObject({
      ok: true,
      value: { kind: 'pattern', source: '/files/:folder/*', params: ['folder'], rest: true },
    });
  });
});

describe('validateRule', () => {
  const ok = (source: string, target: string, extra: Record<string, string> = {}) =>
    validateRule({ source, target, ...extra });

  it('accepts the targets DESIGN §4.4 describes', () => {
    expect(ok('/billing', '{new}/billing')).toMatchObject({
      ok: true,
      rule: { kind: 'exact', source: '/billing', target: '{new}/billing', when: 'always', status: null },
    });
    expect(
      ok('/appointments/:id', '{new}/visits/{crosswalk:appointment:id}', { when: 'after_cutover' }),
    ).toMatchObject({
      ok: true,
      rule: {
        kind: 'pattern',
        when: 'after_cutover',
        parsedTarget: {
          base: 'new',
          parts: [{ text: '/visits/' }, { crosswalk: { kind: 'appointment', param: 'id' } }],
          needsPatient: true,
        },
      },
    });
    expect(ok('/messages/*', '{legacy}/inbox{rest}?from=causeway', { status: '307' })).toMatchObject({
      ok: true,
      rule: { kind: 'prefix', status: 307 },
    });
    expect(ok('/*', '{legacy}{rest}')).toMatchObject({ ok: true, rule: { kind: 'prefix' } });
    expect(ok('/help-center', '{self}/help')).toMatchObject({ ok: true });
    expect(ok('/home', '{new}')).toMatchObject({ ok: true });
  });

  it.each([
    ['https://evil.example/x', 'target must start with {new}, {legacy} or {self}'],
    ['//evil.example', 'target must start with {new}, {legacy} or {self}'],
    ['javascript:alert(1)', 'target cannot hold a javascript:, vbscript: or data: URL'],
    ['{new}/javascript:alert(1)', 'target cannot hold a javascript:, vbscript: or data: URL'],
    ['{new}.evil.example/x', 'after {new} the target must go on with /, ? or #'],
    ['{new}@evil.example', 'after {new} the target must go on with /, ? or #'],
    ['{new}:8080/x', 'after {new} the target must go on with /, ? or #'],
    ['{new}//evil.example', 'target cannot start its path with // after {new}'],
    ['{new}/\\evil.example', 'target cannot hold a backslash'],
    ['{new}/a b', 'target cannot hold spaces or control characters'],
    ['{new}/a/../admin', 'target cannot hold . or .. path segments'],
    ['{new}/{id}', '{id} is not a named part of the source /billing'],
    ['{new}/x{rest}', '{rest} needs a source that ends in /*'],
    ['{new}/{legacy}', 'only the start of a target may be {legacy}'],
    ['{new}/{nope:x}', '{nope:x} is not a placeholder'],
    ['{new}/<script>', 'holds characters a URL cannot carry as they are'],
    ['', 'target is empty'],
  ])('refuses the target %j', (target, problem) => {
    const result = ok('/billing', target);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join(' ')).toContain(problem);
  });

  it('refuses a target that starts with a captured value, even after {rest}', () => {
    const first = ok('/p/:id', '{new}{id}');
    expect(first).toEqual({
      ok: false,
      problems: ['after {new} the target must go on with /, ? or # (anything else could change the host)'],
    });
    const afterRest = ok('/p/*', '{new}{rest}.html');
    expect(afterRest.ok).toBe(false);
  });

  it.each([
    ['', ['source is empty']],
    ['https://old.example/billing', ['source must be a path on this portal such as /billing']],
    ['billing', ['source must start with /']],
    ['/billing?x=1', ['source cannot hold a query string']],
    ['/a/*/b', ['a * may only end a source']],
    ['/a/:1d', ['the named part ":1d" must be a colon and a name']],
    ['/a/:id/:id', ['the named part ":id" appears twice']],
    ['/a/:rest', ['":rest" cannot name a part']],
    ['/a%2Fb', ['source cannot hold an encoded slash or backslash']],
    ['/a\\b', ['source cannot hold a backslash']],
  ])('refuses the source %j', (source, problems) => {
    const result = ok(source, '{new}/');
    expect(result.ok).toBe(false);
    if (!result.ok) problems.forEach((p, i) => expect(result.problems[i]).toContain(p));
  });

  it('checks when and status, reporting every problem at once', () => {
    expect(
      validateRule({ source: '/a', target: 'https://x.example', when: 'sometimes', status: '300' }),
    ).toEqual({
      ok: false,
      problems: [
        'when must be always, before_cutover or after_cutover',
        'status must be empty, 301, 302, 303, 307 or 308',
        'target must start with {new}, {legacy} or {self}: rules only send patients to the new platform, the legacy platform or this portal (got "https://x.example")',
      ],
    });
    for (const status of ['', '301', '302', '303', '307', '308'])
      expect(ok('/a', '{new}/a', { status }).ok, status).toBe(true);
  });

  it('keeps permanent statuses for rules that do not depend on the cohort', () => {
    expect(ok('/a', '{new}/a', { when: 'after_cutover', status: '308' })).toEqual({
      ok: false,
      problems: [
        "a permanent status (308) only fits a rule for always: browsers keep permanent redirects, so a cohort's rollback could not reach them",
      ],
    });
    expect(ok('/a', '{new}/a', { when: 'after_cutover', status: '302' }).ok).toBe(true);
    expect(ok('/a', '{new}/a', { when: 'always', status: '301' }).ok).toBe(true);
  });
});

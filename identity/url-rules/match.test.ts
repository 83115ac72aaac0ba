import { describe, expect, it } from 'vitest';
import { compileRules, type RuleMatch, type RuleRecord, type SkippedRule } from './match.ts';
import { validateRule } from './rules.ts';

const rule = (source: string, target: string, extra: Partial<RuleRecord> = {}): RuleRecord => ({
  source,
  target,
  when: 'always',
  status: null,
  ...extra,
});

const anyRule = () => true;
const summary = (m: RuleMatch | null) =>
  m && {
    via: m.via,
    source: (m.rules.always ?? m.rules.before ?? m.rules.after)!.source,
    target: (m.rules.always ?? m.rules.before ?? m.rules.after)!.target,
    params: m.params,
    rest: m.rest,
  };

describe('compileRules', () => {
  const matcher = compileRules([
    rule('/*', '{legacy}{rest}'),
    rule('/appointments/*', '{legacy}/appts{rest}'),
    rule('/appointments/upcoming/*', '{new}/visits/upcoming{rest}'),
    rule('/appointments/:id', '{new}/visits/{id}', { position: 20 }),
    rule('/appointments/new', '{new}/visits/book'),
    rule('/records/:kind/:id', '{new}/records/{kind}/{id}', { position: 10 }),
    rule('/records/lab/:id', '{new}/labs/{id}', { position: 30 }),
    rule('/files/:folder/*', '{new}/documents/{folder}{rest}', { position: 40 }),
  ]);

  it('answers exact before pattern before prefix', () => {
    expect(summary(matcher.find('/appointments/new', anyRule))).toEqual({
      via: 'exact',
      source: '/appointments/new',
      target: '{new}/visits/book',
      params: {},
      rest: '',
    });
    expect(summary(matcher.find('/appointments/123', anyRule))).toEqual({
      via: 'pattern',
      source: '/appointments/:id',
      target: '{new}/visits/{id}',
      params: { id: '123' },
      rest: '',
    });
    // Deeper than the pattern: the longest prefix.
    expect(summary(matcher.find('/appointments/123/notes', anyRule))).toMatchObject({
      via: 'prefix',
      source: '/appointments/*',
      rest: '/123/notes',
    });
    expect(summary(matcher.find('/appointments/upcoming/week/2', anyRule))).toMatchObject({
      via: 'prefix',
      source: '/appointments/upcoming/*',
      rest: '/week/2',
    });
    expect(summary(matcher.find('/somewhere/else', anyRule))).toMatchObject({
      via: 'prefix',
      source: '/*',
      rest: '/somewhere/else',
    });
  });

  it('matches a prefix on whole segments, and the prefix itself with an empty rest', () => {
    expect(summary(matcher.find('/appointments', anyRule))).toMatchObject({
      via: 'prefix',
      source: '/appointments/*',
      rest: '',
    });
    expect(summary(matcher.find('/appointmentsX', anyRule))).toMatchObject({
      source: '/*',
      rest: '/appointmentsX',
    });
  });

  it('tries patterns by position, then by source', () => {
    // Both /records/:kind/:id (position 10) and /records/lab/:id (30) match: the lower position wins.
    expect(summary(matcher.find('/records/lab/77', anyRule))).toMatchObject({
      source: '/records/:kind/:id',
      params: { kind: 'lab', id: '77' },
    });
    const reordered = compileRules([
      rule('/records/:kind/:id', '{new}/records/{kind}/{id}', { position: 50 }),
      rule('/records/lab/:id', '{new}/labs/{id}', { position: 5 }),
    ]);
    expect(summary(reordered.find('/records/lab/77', anyRule))).toMatchObject({
      source: '/records/lab/:id',
      params: { id: '77' },
    });
  });

  it('keeps the order between patterns that start with a named part and those that do not', () => {
    const list = (first: number, second: number) =>
      compileRules([
        rule('/:lang/help', '{new}/{lang}/help', { position: first }),
        rule('/es/:page', '{new}/es/{page}', { position: second }),
      ]);
    expect(summary(list(5, 10).find('/es/help', anyRule))).toMatchObject({
      source: '/:lang/help',
      params: { lang: 'es' },
    });
    expect(summary(list(10, 5).find('/es/help', anyRule))).toMatchObject({
      source: '/es/:page',
      params: { page: 'help' },
    });
    expect(summary(list(10, 5).find('/en/help', anyRule))).toMatchObject({ source: '/:lang/help' });
  });

  it('captures a pattern’s named parts and what follows its /*', () => {
    expect(summary(matcher.find('/files/forms/2024/intake.pdf', anyRule))).toMatchObject({
      via: 'pattern',
      params: { folder: 'forms' },
      rest: '/2024/intake.pdf',
    });
    expect(summary(matcher.find('/files/forms', anyRule))).toMatchObject({
      params: { folder: 'forms' },
      rest: '',
    });
  });

  it('is case-sensitive, as URLs are', () => {
    const only = compileRules([rule('/Billing', '{new}/billing')]);
    expect(only.find('/Billing', anyRule)?.via).toBe('exact');
    expect(only.find('/billing', anyRule)).toBeNull();
  });

  it('passes over a candidate the caller does not accept, to the next in precedence', () => {
    const phased = compileRules([
      rule('/billing', '{new}/billing', { when: 'after_cutover' }),
      rule('/*', '{legacy}{rest}'),
    ]);
    const beforeOnly = phased.find('/billing', (set) => set.before !== null || set.always !== null);
    expect(summary(beforeOnly)).toMatchObject({ via: 'prefix', source: '/*', rest: '/billing' });
  });

  it('keeps one rule per source and when, grouping a source’s whens', () => {
    const phased = compileRules([
      rule('/billing', '{legacy}/billing', { when: 'before_cutover' }),
      rule('/billing', '{new}/billing', { when: 'after_cutover', status: 302 }),
      rule('/billing', '{self}/billing-help'),
    ]);
    const found = phased.find('/billing', anyRule)!;
    expect(found.rules.before).toMatchObject({
      target: '{legacy}/billing',
      when: 'before_cutover',
      status: null,
    });
    expect(found.rules.after).toMatchObject({ target: '{new}/billing', when: 'after_cutover', status: 302 });
    expect(found.rules.always).toMatchObject({ target: '{self}/billing-help', base: 'self' });
    expect(phased.size).toEqual({ exact: 3, prefix: 0, pattern: 0, skipped: 0 });
  });

  it('skips rows that no longer validate, and says why', () => {
    const skipped: SkippedRule[] = [];
    const result = compileRules(
      [
        rule('/ok', '{new}/ok'),
        rule('/bad', 'https://evil.example/'),
        rule('/old', '{legacy}/old'),
        rule('/odd', '{new}/odd', { status: 200 }),
      ],
      { onSkip: (s) => skipped.push(s), legacyConfigured: false },
    );
    expect(result.size).toEqual({ exact: 1, prefix: 0, pattern: 0, skipped: 3 });
    expect(skipped.map((s) => [s.source, s.problem.split(':')[0]])).toEqual([
      ['/bad', 'target must start with {new}, {legacy} or {self}'],
      ['/old', 'the target is on the legacy platform, and LEGACY_PLATFORM_URL is not set'],
      ['/odd', 'status 200 is not a redirect status'],
    ]);
  });

  it.each([
    '{new}',
    '{new}/',
    '{new}/a?b=c#d',
    '{legacy}/%7Euser',
    '{self}/help',
    '{new}//evil.example',
    '{new}/./a',
    '{new}/.%2e/admin',
    '{new}/%2E%2E',
    '{new}/x?next=/../y',
    '{new}/javascript:x',
    '{new}/a b',
    '{new}/a%zz',
    '{new}.evil.example',
    '{new}@evil.example',
    '{new}/{id}',
    'https://evil.example/',
    '{other}/x',
  ])('compiles the exact target %j exactly when validation accepts it', (target) => {
    const compiled = compileRules([rule('/x', target)]);
    const accepted = validateRule({ source: '/x', target }).ok;
    expect(compiled.size).toEqual({
      exact: accepted ? 1 : 0,
      prefix: 0,
      pattern: 0,
      skipped: accepted ? 0 : 1,
    });
  });

  it.each(['/x', '/a/b', '/a%20b', '/a b', '/A/./b', '/a/*', '/a/:id', '/a/'])(
    'compiles the source %j exactly as validation reads it',
    (source) => {
      const checked = validateRule({ source, target: '{new}/' });
      const compiled = compileRules([rule(source, '{new}/')]);
      expect(checked.ok).toBe(true);
      if (checked.ok)
        expect(compiled.find(checked.rule.source.replace(/\/\*$|\/:id$/, '/z'), anyRule)).not.toBeNull();
    },
  );
});

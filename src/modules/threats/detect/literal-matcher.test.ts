import { describe, expect, it } from 'vitest';
import { createLiteralMatcher, createSignatureSet } from './literal-matcher.ts';
import { builtinSignatureLists, parseSignatureList } from './signature-lists.ts';

describe('createLiteralMatcher', () => {
  it('finds every signature, including ones overlapping inside others (Aho–Corasick failure links)', () => {
    const m = createLiteralMatcher(['he', 'she', 'hers', 'his']);
    expect(m.find('ushers', false)).toBe('she');
    expect(m.test('ahishers', false)).toBe(true);
    expect(m.find('xhxhxhis', false)).toBe('his');
    expect(m.test('hxexrxs', false)).toBe(false);
    const n = createLiteralMatcher(['abcd', 'bc']);
    expect(n.find('xabcx', false)).toBe('bc');
  });

  it('folds case, squeezes whitespace and percent-decodes once when asked', () => {
    const m = createLiteralMatcher(['union select']);
    expect(m.test('/p?id=1 UNION SELECT 1', false)).toBe(true);
    expect(m.test('/p?id=1%20UnIoN%20sElEcT%201', true)).toBe(true);
    expect(m.test('/p?id=1+union+select+1', true)).toBe(true);
    expect(m.test('/p?id=1%09union%0a%0d++select', true)).toBe(true);
    // Without decoding, the encoded form is not seen.
    expect(m.test('/p?id=1%20union%20select', false)).toBe(false);
    // Decoded once only: a double-encoded space stays `%20`.
    expect(m.test('/p?id=1%2520union%2520select', true)).toBe(false);
    expect(createLiteralMatcher(['%2e%2e%2f']).test('/%252e%252e%252fetc', true)).toBe(true);
  });

  it('treats a malformed or cut percent escape as literal text', () => {
    const m = createLiteralMatcher(['%zz', 'a%']);
    expect(m.test('/x%zz', true)).toBe(true);
    expect(m.test('/a%', true)).toBe(true);
    expect(m.test('/a%4', true)).toBe(true);
  });

  it('matches nothing when it has no signatures, and skips non-ASCII input safely', () => {
    expect(createLiteralMatcher([]).test('anything', true)).toBe(false);
    expect(createLiteralMatcher(['<script']).test('ÆØÅ<ScRiPt>', true)).toBe(true);
  });
});

describe('createSignatureSet', () => {
  it('answers every list in one pass, as bits, and stays right when the text changes', () => {
    const set = createSignatureSet(
      new Map([
        ['a', ['union select', 'sleep(']],
        ['b', ['<script', 'select']],
        ['c', ['../']],
      ]),
    );
    const [a, b, c] = ['a', 'b', 'c'].map((n) => set.bit(n) ?? 0) as [number, number, number];
    expect(set.bit('nope')).toBeUndefined();
    expect(set.scan('/x?q=1%20UNION%20SELECT', true)).toBe(a | b);
    // Not decoded: `%20` hides "union select", but "select" (list b) is still there.
    expect(set.scan('/x?q=1%20UNION%20SELECT', false)).toBe(b);
    expect(set.scan('/../<SCRIPT>', true)).toBe(b | c);
    expect(set.scan('/x?q=1%20UNION%20SELECT', true)).toBe(a | b);
    expect(set.scan('/plain', true)).toBe(0);
  });
});

describe('signature lists', () => {
  it('parses one signature per line with # comments and blank lines skipped', () => {
    expect(parseSignatureList('# comment\n\n  sqlmap  \nnikto\n#x\n')).toEqual(['sqlmap', 'nikto']);
  });

  it('catches the real sqlmap user agent a case-sensitive \\bSqlmap\\b misses', () => {
    const ua = builtinSignatureLists().get('bad-user-agents');
    expect(ua?.test('sqlmap/1.7.2#stable (https://sqlmap.org)', false)).toBe(true);
    expect(ua?.test('SqLmAp/1.7', false)).toBe(true);
    expect(ua?.test('Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)', false)).toBe(true);
    expect(ua?.test('Fuzz Faster U Fool v2.1.0-dev', false)).toBe(true);
    // Documented exclusions: everyday clients are not scanners.
    expect(ua?.test('python-requests/2.31.0', false)).toBe(false);
    expect(ua?.test('curl/8.5.0', false)).toBe(false);
    expect(ua?.test('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', false)).toBe(false);
  });

  it('ships every list the built-in scenarios name, non-empty', () => {
    const lists = builtinSignatureLists();
    for (const n of ['sqli', 'xss', 'path-traversal', 'sensitive-files', 'bad-user-agents']) {
      expect(lists.get(n)?.size, n).toBeGreaterThan(20);
    }
    expect(lists.get('sqli')?.test('/x?id=1%27%20OR%201=1--', true)).toBe(true);
    expect(lists.get('path-traversal')?.test('/static/..%2f..%2fetc%2fpasswd', true)).toBe(true);
    expect(lists.get('xss')?.test('/q=%3CSCRIPT%3Ealert(1)', true)).toBe(true);
    expect(lists.get('sensitive-files')?.test('/.GIT/config', true)).toBe(true);
  });
});

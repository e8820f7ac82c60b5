import { describe, expect, it } from 'vitest';
import { da } from './da.ts';
import { en } from './en.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  it('Danish has every English key and no extra ones', () => {
    expect(Object.keys(da).sort()).toEqual(Object.keys(en).sort());
  });

  it('every Danish text is filled in and has the same placeholders as the English', () => {
    const wrong = (Object.keys(en) as (keyof typeof en)[]).filter(
      (key) => da[key].trim() === '' || placeholders(da[key]).join() !== placeholders(en[key]).join(),
    );
    expect(wrong).toEqual([]);
  });

  it('every plural has both forms', () => {
    for (const key of Object.keys(en)) {
      if (key.endsWith('.one')) expect(Object.keys(en)).toContain(key.replace(/\.one$/, '.other'));
    }
  });
});

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { da } from './da.ts';
import { en, type MessageKey, type Messages } from './en.ts';
import { deviceTimeZone, formatDateTime } from './format.ts';

export type Lang = 'en' | 'da';
export const LANGS: readonly Lang[] = ['da', 'en'];
export const LANG_NAMES: Record<Lang, string> = { da: 'Dansk', en: 'English' };

/** Time zones offered in the header; the first is the default. 'local' means the device's zone. */
export const TIME_ZONES = ['Europe/Copenhagen', 'UTC', 'local'] as const;
export type TimeZoneChoice = (typeof TIME_ZONES)[number];

const CATALOGUES: Record<Lang, Messages> = { en, da };
const LANG_KEY = 'skjold.lang';
const TZ_KEY = 'skjold.timeZone';

function readStored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStored(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only.
  }
}

/** The saved language, else the browser's first preference that we speak, else English. */
export function initialLang(): Lang {
  const saved = readStored(LANG_KEY);
  if (saved === 'da' || saved === 'en') return saved;
  for (const l of navigator.languages?.length ? navigator.languages : [navigator.language]) {
    const base = l.toLowerCase().split('-')[0];
    // Norwegian and Swedish readers get Danish rather than English.
    if (base === 'da' || base === 'nb' || base === 'no' || base === 'nn') return 'da';
    if (base === 'en') return 'en';
  }
  return 'en';
}

function initialTimeZone(): TimeZoneChoice {
  const saved = readStored(TZ_KEY);
  return (TIME_ZONES as readonly string[]).includes(saved ?? '') ? (saved as TimeZoneChoice) : 'Europe/Copenhagen';
}

export type Vars = Record<string, string | number>;

/** Keys that come in `.one` / `.other` forms. */
export type PluralBase = MessageKey extends infer K ? (K extends `${infer B}.one` ? B : never) : never;

export interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  /** BCP 47 locale for numbers and dates. */
  locale: string;
  timeZoneChoice: TimeZoneChoice;
  /** Resolved IANA zone used for display. */
  timeZone: string;
  setTimeZone: (tz: TimeZoneChoice) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  /** A translation if the catalogue has one for this dynamic key, else undefined. */
  tMaybe: (key: string, vars?: Vars) => string | undefined;
  /** A UTC timestamp in the chosen locale and zone. */
  dateTime: (value: string | number | null | undefined, withSeconds?: boolean) => string;
  number: (n: number) => string;
  /** `{base}.one` or `{base}.other` by the language's plural rules, with `{n}` filled in. */
  plural: (base: PluralBase, n: number) => string;
}

const Ctx = createContext<I18n | null>(null);

function interpolate(text: string, vars?: Vars): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

function localeFor(lang: Lang): string {
  if (lang === 'da') return 'da-DK';
  const nav = navigator.language;
  return nav.toLowerCase().startsWith('en') ? nav : 'en-GB';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [timeZoneChoice, setTz] = useState<TimeZoneChoice>(initialTimeZone);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const setLang = useCallback((l: Lang) => {
    writeStored(LANG_KEY, l);
    setLangState(l);
  }, []);
  const setTimeZone = useCallback((tz: TimeZoneChoice) => {
    writeStored(TZ_KEY, tz);
    setTz(tz);
  }, []);

  const value = useMemo<I18n>(() => {
    const cat = CATALOGUES[lang];
    const locale = localeFor(lang);
    const timeZone = timeZoneChoice === 'local' ? deviceTimeZone() : timeZoneChoice;
    const numberFormat = new Intl.NumberFormat(locale);
    const pluralRules = new Intl.PluralRules(locale);
    return {
      lang,
      setLang,
      locale,
      timeZoneChoice,
      timeZone,
      setTimeZone,
      t: (key, vars) => interpolate(cat[key], vars),
      tMaybe: (key, vars) => (Object.hasOwn(cat, key) ? interpolate(cat[key as MessageKey], vars) : undefined),
      dateTime: (v, withSeconds = true) => formatDateTime(v, locale, timeZone, withSeconds),
      number: (n) => numberFormat.format(n),
      plural: (base, n) =>
        interpolate(cat[`${base}.${pluralRules.select(n) === 'one' ? 'one' : 'other'}` as MessageKey], {
          n: numberFormat.format(n),
        }),
    };
  }, [lang, timeZoneChoice, setLang, setTimeZone]);

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** Translation, locale and time zone for the current user. */
export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}

export type { MessageKey };

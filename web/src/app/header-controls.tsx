import { LANGS, LANG_NAMES, TIME_ZONES, useI18n, type TimeZoneChoice } from '../i18n/i18n.tsx';
import { deviceTimeZone } from '../i18n/format.ts';

/** Dansk | English, one press away on every page, also before sign-in. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="segmented" role="group" aria-label={t('app.language')}>
      {LANGS.map((l) => (
        <button
          key={l}
          type="button"
          lang={l}
          aria-pressed={lang === l}
          className={lang === l ? 'on' : undefined}
          onClick={() => setLang(l)}
          data-testid={`lang-${l}`}
        >
          {LANG_NAMES[l]}
        </button>
      ))}
    </div>
  );
}

/** The zone in which times are shown: Copenhagen by default, UTC for auditors, or the device's zone. */
export function TimeZoneSelect() {
  const { t, timeZoneChoice, setTimeZone } = useI18n();
  return (
    <label className="header-select">
      <span className="header-select-label">{t('app.timeZone')}</span>
      <select value={timeZoneChoice} onChange={(e) => setTimeZone(e.target.value as TimeZoneChoice)}>
        {TIME_ZONES.map((z) => (
          <option key={z} value={z}>
            {z === 'local' ? t('tz.local', { zone: deviceTimeZone() }) : t(`tz.${z}`)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Brand() {
  const { t } = useI18n();
  return (
    <span className="brand">
      <span className="brand-mark" aria-hidden="true" />
      <span className="brand-name">{t('app.name')}</span>
    </span>
  );
}

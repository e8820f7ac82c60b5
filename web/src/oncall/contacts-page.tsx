import { useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../app/session.tsx';
import { Notice, PageHeader, ProblemAlert, SelectField, TextField } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { pagingApi, type Contact, type NotificationChannel } from './paging.api.ts';
import { KindIcon, errorAt, errorPaths, useKindLabel, usePeople } from './paging-ui.tsx';

/** How each person is paged: e-mail, phone and the order of channels to try (a failed channel falls back to the next). */
export function ContactsPage() {
  const { t } = useI18n();
  const session = useSession();
  const { people, complete } = usePeople();
  const [userId, setUserId] = useState(session.me.user.id);
  const [channels, setChannels] = useState<NotificationChannel[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    void pagingApi.channels().then(
      (r) => setChannels(r.items),
      (err: unknown) => setError(err),
    );
  }, []);
  const person = people.find((p) => p.id === userId);
  return (
    <>
      <PageHeader title={t('paging.contacts.title')} />
      <p className="muted">{t('paging.contacts.intro')}</p>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {complete ? (
        <div className="form-inline contact-person">
          <SelectField label={t('paging.contacts.person')} value={userId} onChange={(e) => setUserId(e.target.value)}>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name === p.username ? p.name : `${p.name} (${p.username})`}
              </option>
            ))}
          </SelectField>
        </div>
      ) : null}
      <ContactForm key={userId} userId={userId} name={person?.name ?? userId} channels={channels} />
    </>
  );
}

function ContactForm({ userId, name, channels }: { userId: string; name: string; channels: NotificationChannel[] }) {
  const { t, dateTime } = useI18n();
  const kindLabel = useKindLabel();
  const canWrite = useSession().can('oncall.write');
  const [contact, setContact] = useState<Contact | null>(null);
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [order, setOrder] = useState<string[]>([]);
  const [adding, setAdding] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const show = (c: Contact) => {
    setContact(c);
    setEmail(c.email ?? '');
    setPhone(c.phone ?? '');
    setOrder(c.channels);
  };
  useEffect(() => {
    void pagingApi.contact(userId).then(show, (err: unknown) => setError(err));
  }, [userId]);

  const move = (i: number, by: -1 | 1) =>
    setOrder((o) => {
      const next = [...o];
      const [x] = next.splice(i, 1);
      if (x !== undefined) next.splice(i + by, 0, x);
      return next;
    });
  const kindOf = (n: string) => channels.find((c) => c.name === n)?.kind ?? '';
  const available = channels.filter((c) => !order.includes(c.name));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      show(await pagingApi.setContact(userId, { email: email.trim() || null, phone: phone.trim() || null, channels: order }));
      setNotice(t('paging.contacts.saved', { name }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!contact) return error ? <ProblemAlert error={error} /> : <p className="muted">{t('app.loading')}</p>;
  return (
    <form className="panel form-stack contact-form" onSubmit={(e) => void submit(e)} data-testid="contact-form">
      <h2>{t('paging.contacts.for', { name })}</h2>
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <ProblemAlert error={error} claimed={errorPaths(error)} />
      <div className="form-grid">
        <TextField
          label={t('paging.contacts.email')}
          type="email"
          value={email}
          optional
          maxLength={254}
          disabled={!canWrite}
          onChange={(e) => setEmail(e.target.value)}
          error={errorAt(error, 'email')}
        />
        <TextField
          label={t('paging.contacts.phone')}
          type="tel"
          value={phone}
          optional
          placeholder="+4512345678"
          pattern="\+[1-9][0-9]{6,14}"
          hint={t('paging.contacts.phoneHint')}
          disabled={!canWrite}
          onChange={(e) => setPhone(e.target.value.replace(/[\s-]/g, ''))}
          error={errorAt(error, 'phone')}
        />
      </div>
      <fieldset className="channel-order">
        <legend>{t('paging.contacts.order')}</legend>
        <p className="field-hint">{t('paging.contacts.orderHint')}</p>
        {order.length === 0 ? <p className="muted small">{t('paging.contacts.orderEmpty')}</p> : null}
        <ol className="order-list" data-testid="channel-order">
          {order.map((n, i) => (
            <li key={n} className={errorAt(error, `channels.${i}`) ? 'order-item field-invalid' : 'order-item'}>
              <span className="order-rank">{i + 1}</span>
              <KindIcon kind={kindOf(n)} />
              <span className="strong">{n}</span>
              <span className="muted small">{kindLabel(kindOf(n))}</span>
              {errorAt(error, `channels.${i}`) ? <span className="field-error">{errorAt(error, `channels.${i}`)}</span> : null}
              <span className="spacer" />
              {canWrite ? (
                <span className="button-row">
                  <button
                    type="button"
                    className="btn btn-small"
                    disabled={i === 0}
                    aria-label={t('paging.contacts.up', { name: n })}
                    onClick={() => move(i, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="btn btn-small"
                    disabled={i === order.length - 1}
                    aria-label={t('paging.contacts.down', { name: n })}
                    onClick={() => move(i, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="btn btn-small"
                    aria-label={t('paging.contacts.remove', { name: n })}
                    onClick={() => setOrder((o) => o.filter((x) => x !== n))}
                  >
                    ×
                  </button>
                </span>
              ) : null}
            </li>
          ))}
        </ol>
        {canWrite && available.length > 0 ? (
          <div className="form-inline">
            <SelectField label={t('paging.contacts.addChannel')} value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">{t('paging.target.choose')}</option>
              {available.map((c) => (
                <option key={c.id} value={c.name}>
                  {`${c.name} · ${kindLabel(c.kind)}`}
                </option>
              ))}
            </SelectField>
            <button
              type="button"
              className="btn"
              disabled={!adding}
              onClick={() => {
                setOrder((o) => [...o, adding]);
                setAdding('');
              }}
            >
              {t('paging.contacts.add')}
            </button>
          </div>
        ) : null}
      </fieldset>
      {contact.updatedAt ? (
        <p className="muted small">{t('paging.contacts.updated', { time: dateTime(contact.updatedAt) })}</p>
      ) : null}
      {canWrite ? (
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t('common.save')}
          </button>
        </div>
      ) : null}
    </form>
  );
}

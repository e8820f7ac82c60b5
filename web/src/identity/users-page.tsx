import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import {
  Badge,
  ConfirmButton,
  Notice,
  PageHeader,
  ProblemAlert,
  SelectField,
  TextField,
  fieldError,
  ListTable,
} from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ROLES, identityApi, type Role, type User } from './identity.api.ts';

/** Users: list, create, change role or name, disable, reset MFA. */
export function UsersPage() {
  const { t, plural } = useI18n();
  const session = useSession();
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);

  const canCreate = session.can('users.create');
  const canUpdate = session.can('users.update');
  // MFA reset is part of users.update on the server.
  const canResetMfa = canUpdate;
  const canAudit = session.can('audit.read');
  const showActions = canUpdate || canAudit;

  const load = useCallback(async () => {
    try {
      const res = await identityApi.users();
      setUsers([...res.items].sort((a, b) => a.username.localeCompare(b.username)));
      setLoadError(null);
    } catch (err) {
      setLoadError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const act = async (fn: () => Promise<unknown>, success: string) => {
    setActionError(null);
    setNotice(null);
    try {
      await fn();
      setNotice(success);
      setEditing(null);
      await load();
    } catch (err) {
      setActionError(err);
    }
  };

  const name = (u: User) => u.displayName || u.username;

  return (
    <>
      <PageHeader title={t('users.title')}>
        {users ? <span className="muted">{plural('users.count', users.length)}</span> : null}
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
        {canCreate ? (
          <button type="button" className="btn btn-primary" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
            {t('users.new')}
          </button>
        ) : null}
      </PageHeader>
      {creating ? (
        <CreateUserForm
          onCancel={() => setCreating(false)}
          onCreated={(u) => {
            setCreating(false);
            setNotice(t('users.created', { name: u.username }));
            void load();
          }}
        />
      ) : null}
      {notice ? (
        <Notice onDismiss={() => setNotice(null)}>
          <span data-testid="users-notice">{notice}</span>
        </Notice>
      ) : null}
      <ProblemAlert error={actionError} onDismiss={() => setActionError(null)} />
      <ProblemAlert error={loadError} />
      {users === null && !loadError ? <p className="muted">{t('app.loading')}</p> : null}
      {users ? (
        <ListTable
          testId="users-table"
          columns={[
            t('users.col.user'),
            t('users.col.role'),
            t('users.col.mfa'),
            t('users.col.status'),
            t('users.col.created'),
            t('users.col.lastLogin'),
            ...(showActions ? [t('users.col.actions')] : []),
          ]}
          empty={t('users.empty')}
          isEmpty={users.length === 0}
        >
          {users.map((u) =>
            editing === u.id ? (
              <EditUserRow
                key={u.id}
                user={u}
                onCancel={() => setEditing(null)}
                onSave={(patch) => act(() => identityApi.updateUser(u.id, patch), t('users.updated', { name: name(u) }))}
              />
            ) : (
              <tr key={u.id} data-username={u.username} className={u.disabled ? 'row-muted' : undefined}>
                <td className="nowrap">
                  <span className="strong">{u.username}</span>
                  {u.id === session.me.user.id ? <span className="tag">{t('users.you')}</span> : null}
                  {u.displayName && u.displayName !== u.username ? <span className="sub">{u.displayName}</span> : null}
                </td>
                <td className="nowrap">{t(`roles.${u.role}`)}</td>
                <td>
                  {u.mfaEnabled ? <Badge tone="ok">{t('users.mfaOn')}</Badge> : <Badge tone="neutral">{t('users.mfaOff')}</Badge>}
                </td>
                <td>
                  {u.disabled ? <Badge tone="bad">{t('users.disabled')}</Badge> : <Badge tone="ok">{t('users.active')}</Badge>}
                </td>
                <td className="nowrap">
                  <Time value={u.createdAt} />
                </td>
                <td className="nowrap">
                  {u.lastLoginAt ? <Time value={u.lastLoginAt} /> : <span className="muted">{t('common.never')}</span>}
                </td>
                {showActions ? (
                  <td className="actions">
                    {canUpdate ? (
                      <button type="button" className="btn btn-small" onClick={() => setEditing(u.id)}>
                        {t('common.edit')}
                      </button>
                    ) : null}
                    {canUpdate && u.id !== session.me.user.id ? (
                      u.disabled ? (
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() =>
                            void act(
                              () => identityApi.updateUser(u.id, { disabled: false }),
                              t('users.updated', { name: name(u) }),
                            )
                          }
                        >
                          {t('users.enable')}
                        </button>
                      ) : (
                        <ConfirmButton
                          label={t('users.disable')}
                          question={t('users.confirmDisable', { name: name(u) })}
                          onConfirm={() =>
                            void act(
                              () => identityApi.updateUser(u.id, { disabled: true }),
                              t('users.updated', { name: name(u) }),
                            )
                          }
                        />
                      )
                    ) : null}
                    {canResetMfa && u.mfaEnabled && u.id !== session.me.user.id ? (
                      <ConfirmButton
                        label={t('users.resetMfa')}
                        question={t('users.confirmResetMfa', { name: name(u) })}
                        onConfirm={() => void act(() => identityApi.resetMfa(u.id), t('users.mfaWasReset', { name: name(u) }))}
                      />
                    ) : null}
                    {canAudit ? (
                      <Link className="btn btn-small btn-plain" to={`/audit?target=${encodeURIComponent(`user:${u.id}`)}`}>
                        {t('users.auditTrail')}
                      </Link>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ),
          )}
        </ListTable>
      ) : null}
    </>
  );
}

function Time({ value }: { value: string }) {
  const { dateTime } = useI18n();
  return (
    <time dateTime={value} title={value}>
      {dateTime(value, false)}
    </time>
  );
}

function RoleOptions() {
  const { t } = useI18n();
  return (
    <>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {t(`roles.${r}`)}
        </option>
      ))}
    </>
  );
}

function CreateUserForm({ onCreated, onCancel }: { onCreated: (u: User) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const u = await identityApi.createUser({
        username: username.trim(),
        role,
        password,
        ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
      });
      onCreated(u);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="new-user-title">
      <h2 id="new-user-title">{t('users.new')}</h2>
      <ProblemAlert error={error} claimed={['username', 'displayName', 'role', 'password']} />
      <form className="form-grid" onSubmit={(e) => void submit(e)} noValidate data-testid="create-user-form">
        <TextField
          autoFocus
          label={t('users.username')}
          name="username"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          error={fieldError(error, 'username')}
        />
        <TextField
          label={t('users.displayName')}
          name="displayName"
          optional
          autoComplete="off"
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          error={fieldError(error, 'displayName')}
        />
        <SelectField
          label={t('users.role')}
          name="role"
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          error={fieldError(error, 'role')}
        >
          <RoleOptions />
        </SelectField>
        <TextField
          label={t('users.password')}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(error, 'password')}
          hint={t('users.passwordHint')}
          className="span-2"
        />
        <div className="button-row span-all">
          <button type="submit" className="btn btn-primary" disabled={busy || !username.trim() || !password}>
            {busy ? t('common.working') : t('users.create')}
          </button>
          <button type="button" className="btn" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}

function EditUserRow({
  user,
  onSave,
  onCancel,
}: {
  user: User;
  onSave: (patch: { displayName?: string; role?: Role }) => Promise<void>;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [displayName, setDisplayName] = useState(user.displayName ?? '');
  const [role, setRole] = useState<Role>(user.role);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const patch: { displayName?: string; role?: Role } = {};
    if (displayName.trim() && displayName.trim() !== (user.displayName ?? '')) patch.displayName = displayName.trim();
    if (role !== user.role) patch.role = role;
    if (Object.keys(patch).length === 0) onCancel();
    else await onSave(patch);
    setBusy(false);
  };
  return (
    <tr className="row-editing">
      <td colSpan={7}>
        <form className="form-inline" onSubmit={(e) => void submit(e)} onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
          <span className="strong edit-name">{user.username}</span>
          <TextField
            label={t('users.displayName')}
            name="displayName"
            value={displayName}
            autoFocus
            onChange={(e) => setDisplayName(e.target.value)}
          />
          <SelectField label={t('users.role')} name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <RoleOptions />
          </SelectField>
          <button type="submit" className="btn btn-primary btn-small" disabled={busy}>
            {t('common.save')}
          </button>
          <button type="button" className="btn btn-small" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        </form>
      </td>
    </tr>
  );
}

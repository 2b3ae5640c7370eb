// Admin: users. Create, make admin, disable, set a password, delete (confirmed).
import { useState } from 'preact/hooks';
import { api, messageOf, type User } from '../api';
import { Age, ConfirmDialog, ErrorBox, Loading, Notice, PageTitle, TableHead, useAction, useAsync } from '../ui';

type Pending = { kind: 'delete' | 'password'; user: User };

export function AdminUsersPage({ self }: { self: User }) {
  const users = useAsync(() => api.users(), []);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [pending, setPending] = useState<Pending | null>(null);
  const [newPassword, setNewPassword] = useState('');

  const change = async (what: () => Promise<unknown>, done: string) => {
    setError('');
    setNotice('');
    try {
      await what();
      setNotice(done);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      users.reload(); // also puts a checkbox back when the change was refused
    }
  };

  return (
    <>
      <PageTitle title="Users">Users</PageTitle>
      <CreateUser onCreated={(u) => change(async () => {}, `Created ${u.name}.`)} />
      <h2>Everyone</h2>
      <ErrorBox error={error || users.error} />
      <Notice>{notice}</Notice>
      {users.data === undefined ? (
        !users.error && <Loading what="users" />
      ) : (
        <table class="list">
          <TableHead columns={['User', 'Email', 'Groups', 'Account', 'Admin', 'Since']} actions />
          <tbody>
            {users.data.map((u) => (
              <tr key={u.name} data-user={u.name}>
                <td data-label="User">
                  <strong>{u.name}</strong>
                  {u.display_name && u.display_name !== u.name && <div class="muted">{u.display_name}</div>}
                  {u.name === self.name && <div class="muted">(you)</div>}
                </td>
                <td data-label="Email">{u.email || <span class="muted">none</span>}</td>
                <td data-label="Groups">{u.groups.length ? u.groups.join(', ') : <span class="muted">none</span>}</td>
                <td data-label="Account">
                  {u.disabled ? <span class="badge badge-failed">Disabled</span> : <span class="badge badge-running">Active</span>}
                  {u.provider && u.provider !== 'local' && <div class="muted">from {u.provider}</div>}
                </td>
                <td data-label="Admin">
                  <label class="inline">
                    <input
                      type="checkbox"
                      checked={u.admin}
                      onChange={(e) => {
                        const admin = e.currentTarget.checked;
                        change(() => api.updateUser(u.name, { admin }), `${u.name} is ${admin ? 'now' : 'no longer'} an admin.`);
                      }}
                    />
                    <span class="visually-hidden">{u.name} is an </span>admin
                  </label>
                </td>
                <td data-label="Since">
                  <Age iso={u.created_at} />
                </td>
                <td class="row-actions">
                  <button
                    type="button"
                    onClick={() =>
                      change(
                        () => api.updateUser(u.name, { disabled: !u.disabled }),
                        u.disabled ? `${u.name} can sign in again.` : `${u.name} is disabled: signed out everywhere, tokens stopped.`,
                      )
                    }
                  >
                    {u.disabled ? 'Enable' : 'Disable'}
                    <span class="visually-hidden"> {u.name}</span>
                  </button>
                  {u.provider === 'local' || !u.provider ? (
                    <button type="button" onClick={() => setPending({ kind: 'password', user: u })}>
                      Set password<span class="visually-hidden"> for {u.name}</span>
                    </button>
                  ) : null}
                  <button type="button" class="danger" onClick={() => setPending({ kind: 'delete', user: u })}>
                    Delete<span class="visually-hidden"> {u.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pending?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete the user ${pending.user.name}?`}
          confirmLabel="Delete user"
          danger
          onConfirm={async () => {
            await api.deleteUser(pending.user.name);
            setNotice(`Deleted ${pending.user.name}. Their volumes are kept.`);
            users.reload();
          }}
          onClose={() => setPending(null)}
        >
          <p>
            They are signed out everywhere, their tokens stop working, and their workspaces are deleted. Their volumes
            are kept, with their files. To only lock them out for now, disable the account instead.
          </p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'password' && (
        <ConfirmDialog
          title={`Set a new password for ${pending.user.name}`}
          confirmLabel="Set password"
          onConfirm={async () => {
            await api.updateUser(pending.user.name, { password: newPassword });
            setNewPassword('');
            setNotice(`Set a new password for ${pending.user.name}.`);
          }}
          onClose={() => {
            setNewPassword('');
            setPending(null);
          }}
        >
          <label for="new-password">New password</label>
          <input
            id="new-password"
            type="password"
            autocomplete="new-password"
            value={newPassword}
            onInput={(e) => setNewPassword(e.currentTarget.value)}
          />
        </ConfirmDialog>
      )}
    </>
  );
}

function CreateUser({ onCreated }: { onCreated: (u: User) => void }) {
  const empty = { name: '', display_name: '', email: '', password: '', admin: false };
  const [form, setForm] = useState(empty);
  const { busy, error, run } = useAction();
  const set = (key: keyof typeof empty) => (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    setForm({ ...form, [key]: input.type === 'checkbox' ? input.checked : input.value });
  };
  const submit = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const user = await api.createUser({
        name: form.name.trim(),
        password: form.password || undefined,
        display_name: form.display_name.trim() || undefined,
        email: form.email.trim() || undefined,
        admin: form.admin,
      });
      setForm(empty);
      onCreated(user);
    });
  };
  return (
    <details class="panel">
      <summary>Add a user</summary>
      <form onSubmit={submit} class="grid-form">
        <div>
          <label for="user-name">User name</label>
          <input id="user-name" required autocapitalize="none" spellcheck={false} value={form.name} onInput={set('name')} />
        </div>
        <div>
          <label for="user-display">Full name</label>
          <input id="user-display" value={form.display_name} onInput={set('display_name')} />
        </div>
        <div>
          <label for="user-email">Email</label>
          <input id="user-email" type="email" value={form.email} onInput={set('email')} />
        </div>
        <div>
          <label for="user-password">Password</label>
          <input id="user-password" type="password" autocomplete="new-password" value={form.password} onInput={set('password')} />
        </div>
        <label class="inline">
          <input type="checkbox" checked={form.admin} onChange={set('admin')} /> Admin (can manage users, groups and every
          workspace)
        </label>
        <ErrorBox error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Add user
          </button>
        </div>
      </form>
    </details>
  );
}

// Sharing a workspace with users or groups. Removing a share closes their open connections.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Loading, useAction, useAsync } from '../ui';

export function Shares({ owner, name }: { owner: string; name: string }) {
  const shares = useAsync(() => api.shares(owner, name), [owner, name]);
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [who, setWho] = useState('');
  const [notice, setNotice] = useState('');
  const action = useAction();
  const { busy, error } = action;

  const run = async (what: () => Promise<unknown>, done: string) => {
    setNotice('');
    if (await action.run(what)) {
      setNotice(done);
      shares.reload();
    }
  };

  const submit = (e: Event) => {
    e.preventDefault();
    // "bob, carol" shares with both; "group:analysts" picks the kind itself.
    const principals = who
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((p) => (p.includes(':') ? p : `${kind}:${p}`));
    if (principals.length === 0) return;
    run(async () => {
      await api.share(owner, name, principals);
      setWho('');
    }, `Shared with ${principals.map((p) => p.replace(':', ' ')).join(', ')}.`);
  };

  return (
    <section aria-labelledby="shares-title">
      <h2 id="shares-title">Sharing</h2>
      <p class="hint">
        People you share with open it at its address and work in it as you can: they run code and read and change its
        files. Removing a share cuts them off at once, open tabs included.
      </p>
      {shares.data === undefined ? (
        shares.error ? null : <Loading what="shares" />
      ) : shares.data.length === 0 ? (
        <p class="empty">Not shared with anyone.</p>
      ) : (
        <ul class="shares">
          {shares.data.map((s) => (
            <li key={s.with}>
              <span>
                <span class="muted">{s.kind === 'group' ? 'group' : 'user'}</span> <strong>{s.principal}</strong>
              </span>
              <button
                type="button"
                disabled={busy}
                onClick={() => run(() => api.unshare(owner, name, s.with), `No longer shared with ${s.kind} ${s.principal}.`)}
              >
                Remove<span class="visually-hidden"> share with {s.kind} {s.principal}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" onSubmit={submit}>
        <div>
          <label for="share-kind">Share with a</label>
          <select id="share-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as 'user' | 'group')}>
            <option value="user">user</option>
            <option value="group">group</option>
          </select>
        </div>
        <div class="grow">
          <label for="share-who">{kind === 'user' ? 'User name' : 'Group name'}</label>
          <input
            id="share-who"
            value={who}
            required
            autocapitalize="none"
            spellcheck={false}
            onInput={(e) => setWho(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Share
        </button>
      </form>
      <ErrorBox error={error || shares.error} />
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
    </section>
  );
}

// Personal API tokens for scripts and the command line. The secret is shown once, at creation.
import { useRef, useState } from 'preact/hooks';
import { api, type Token } from '../api';
import { Age, ConfirmDialog, ErrorBox, Loading, PageTitle, TableHead, useAction, useAsync, When } from '../ui';

export function TokensPage() {
  const tokens = useAsync(() => api.tokens(), []);
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<Token | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const { busy, error, run } = useAction();

  const create = (e: Event) => {
    e.preventDefault();
    setCreated(null);
    run(async () => {
      setCreated(await api.createToken(name.trim(), days ? Number(days) : undefined));
      setName('');
      tokens.reload();
    });
  };

  return (
    <>
      <PageTitle title="My tokens">My tokens</PageTitle>
      <p class="hint">
        A token lets a script or the <code>k4ds</code> command act as you. Anyone who has it can do what you can, so
        keep it secret, and revoke it when it is no longer needed.
      </p>

      <form class="inline-form" onSubmit={create}>
        <div class="grow">
          <label for="token-name">Name (what it is for)</label>
          <input id="token-name" value={name} required maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div>
          <label for="token-days">Expires</label>
          <select id="token-days" value={days} onChange={(e) => setDays(e.currentTarget.value)}>
            <option value="7">in 7 days</option>
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="">never</option>
          </select>
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Create token
        </button>
      </form>
      <ErrorBox error={error} />
      {created?.token && <NewSecret token={created} onDone={() => setCreated(null)} />}

      <h2>Tokens</h2>
      <ErrorBox error={tokens.error} />
      {tokens.data === undefined ? (
        !tokens.error && <Loading what="your tokens" />
      ) : tokens.data.length === 0 ? (
        <p class="empty">You have no tokens.</p>
      ) : (
        <table class="list">
          <TableHead columns={['Name', 'Starts with', 'Created', 'Expires', 'Last used']} actions />
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id}>
                <td data-label="Name">{t.name}</td>
                <td data-label="Starts with" class="mono">
                  {t.prefix}…
                </td>
                <td data-label="Created">
                  <Age iso={t.created_at} ago />
                </td>
                <td data-label="Expires">
                  <When iso={t.expires_at} />
                </td>
                <td data-label="Last used">
                  <When iso={t.last_used_at} />
                </td>
                <td class="row-actions">
                  <button type="button" class="danger" onClick={() => setRevoking(t)}>
                    Revoke<span class="visually-hidden"> token {t.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke the token "${revoking.name}"?`}
          confirmLabel="Revoke"
          danger
          onConfirm={async () => {
            await api.revokeToken(revoking.id);
            tokens.reload();
          }}
          onClose={() => setRevoking(null)}
        >
          <p>Scripts and commands that use it stop working at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function NewSecret({ token, onDone }: { token: Token; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState('');
  const copy = async () => {
    field.current?.select();
    try {
      await navigator.clipboard.writeText(token.token ?? '');
      setCopied('Copied.');
    } catch {
      setCopied('Your browser did not allow copying; the text is selected, press Ctrl+C.');
    }
  };
  return (
    <div class="secret" role="region" aria-labelledby="secret-title">
      <h2 id="secret-title">Your new token "{token.name}"</h2>
      <p>Copy it now: k4ds shows it only this once and keeps only a fingerprint of it.</p>
      <div class="inline-form">
        <label for="token-secret" class="visually-hidden">
          Token secret
        </label>
        <input id="token-secret" class="mono grow" readOnly value={token.token} ref={field} onFocus={() => field.current?.select()} />
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      <p role="status" class="muted">
        {copied}
      </p>
    </div>
  );
}

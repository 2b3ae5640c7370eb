// Admin: quotas. Limits on what users' active workspaces hold at once, for everyone ("default"),
// a group or one user. A user's limit comes from their own quota, else the most generous of
// their groups', else the default (docs/api.md, "Quotas").
import { useState } from 'preact/hooks';
import { api, messageOf, type Quota } from '../api';
import { ConfirmDialog, ErrorBox, Loading, Notice, PageTitle, TableHead, useAsync, When } from '../ui';

const kEmpty = { subject: 'default', workspaces: '', cpu: '', memory: '', gpus: '' };

const shown = (v: string | number | null) => (v === null ? 'no limit' : String(v));

function whole(field: string, text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d+$/.test(t)) throw new Error(`${field} must be a whole number, or empty for no limit.`);
  return Number(t);
}

export function AdminQuotasPage() {
  const quotas = useAsync(() => api.quotas(), []);
  const users = useAsync(() => api.users(), []);
  const groups = useAsync(() => api.groups(), []);
  const [form, setForm] = useState(kEmpty);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [removing, setRemoving] = useState<Quota | null>(null);
  const set = (key: keyof typeof kEmpty) => (e: Event) =>
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value });

  const save = async (e: Event) => {
    e.preventDefault();
    setError('');
    setNotice('');
    try {
      const quota: Quota = {
        subject: form.subject.trim(),
        workspaces: whole('Workspaces', form.workspaces),
        cpu: form.cpu.trim() || null,
        memory: form.memory.trim() || null,
        gpus: whole('GPUs', form.gpus),
      };
      await api.putQuota(quota);
      setNotice(`Saved the quota for ${quota.subject}. It applies from the next launch.`);
      setForm(kEmpty);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      quotas.reload();
    }
  };

  const edit = (q: Quota) =>
    setForm({
      subject: q.subject,
      workspaces: q.workspaces === null ? '' : String(q.workspaces),
      cpu: q.cpu ?? '',
      memory: q.memory ?? '',
      gpus: q.gpus === null ? '' : String(q.gpus),
    });

  return (
    <>
      <PageTitle title="Quotas">Quotas</PageTitle>
      <p class="hint">
        A quota limits what one user's active workspaces hold at once; stopped workspaces count for nothing. Each limit
        comes from the user's own quota, else the most generous of their groups', else the default. Leave a field
        empty for no limit.
      </p>
      <form class="inline-form" onSubmit={save} aria-label="Set a quota">
        <div>
          <label for="quota-subject">For</label>
          <input
            id="quota-subject"
            list="quota-subjects"
            required
            autocapitalize="none"
            spellcheck={false}
            value={form.subject}
            onInput={set('subject')}
            aria-describedby="quota-subject-help"
          />
          <span id="quota-subject-help" class="hint">
            default, user:NAME or group:NAME
          </span>
        </div>
        <div>
          <label for="quota-workspaces">Workspaces</label>
          <input id="quota-workspaces" inputMode="numeric" value={form.workspaces} onInput={set('workspaces')} />
        </div>
        <div>
          <label for="quota-cpu">CPUs</label>
          <input id="quota-cpu" placeholder="8" value={form.cpu} onInput={set('cpu')} />
        </div>
        <div>
          <label for="quota-memory">Memory</label>
          <input id="quota-memory" placeholder="32Gi" value={form.memory} onInput={set('memory')} />
        </div>
        <div>
          <label for="quota-gpus">GPUs</label>
          <input id="quota-gpus" inputMode="numeric" value={form.gpus} onInput={set('gpus')} />
        </div>
        <button type="submit" class="primary">
          Save quota
        </button>
      </form>
      <datalist id="quota-subjects">
        <option value="default" />
        {(groups.data ?? []).map((g) => (
          <option key={g.name} value={`group:${g.name}`} />
        ))}
        {(users.data ?? []).map((u) => (
          <option key={u.name} value={`user:${u.name}`} />
        ))}
      </datalist>
      <ErrorBox error={error || quotas.error} />
      <Notice>{notice}</Notice>
      {quotas.data === undefined ? (
        !quotas.error && <Loading what="quotas" />
      ) : quotas.data.length === 0 ? (
        <p class="empty">No quotas are set: nobody is limited.</p>
      ) : (
        <table class="list">
          <TableHead columns={['For', 'Workspaces', 'CPUs', 'Memory', 'GPUs', 'Changed']} actions />
          <tbody>
            {quotas.data.map((q) => (
              <tr key={q.subject} data-quota={q.subject}>
                <td data-label="For">{q.subject === 'default' ? 'everyone (default)' : q.subject}</td>
                <td data-label="Workspaces">{shown(q.workspaces)}</td>
                <td data-label="CPUs">{shown(q.cpu)}</td>
                <td data-label="Memory">{shown(q.memory)}</td>
                <td data-label="GPUs">{shown(q.gpus)}</td>
                <td data-label="Changed">
                  <When iso={q.updated_at} /> {q.updated_by && `by ${q.updated_by}`}
                </td>
                <td class="row-actions">
                  <button type="button" onClick={() => edit(q)}>
                    Edit<span class="visually-hidden"> the quota for {q.subject}</span>
                  </button>
                  <button type="button" class="danger" onClick={() => setRemoving(q)}>
                    Remove<span class="visually-hidden"> the quota for {q.subject}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove the quota for ${removing.subject}?`}
          confirmLabel="Remove quota"
          danger
          onConfirm={async () => {
            await api.deleteQuota(removing.subject);
            setNotice(`Removed the quota for ${removing.subject}.`);
            quotas.reload();
          }}
          onClose={() => setRemoving(null)}
        >
          <p>
            Its users fall back to their groups' quotas or the default. Running workspaces are not affected.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

// Admin: the access rules, in order. The first rule that matches decides; what no rule allows
// is refused. Changes take effect within a second, without a restart.
import { useState } from 'preact/hooks';
import { api, messageOf, type PolicyCheck, type Rule, type RuleInput } from '../api';
import { ConfirmDialog, ErrorBox, Loading, Notice, PageTitle, TableHead, useAsync } from '../ui';

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function AdminRulesPage() {
  const rules = useAsync(() => api.rules(), []);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [removing, setRemoving] = useState<Rule | null>(null);
  const [effect, setEffect] = useState<RuleInput['effect']>('deny');
  const [action, setAction] = useState<RuleInput['action']>('launch');
  const [who, setWho] = useState('');
  const [targets, setTargets] = useState('');
  const [sizes, setSizes] = useState('');
  const [position, setPosition] = useState('1');
  const [description, setDescription] = useState('');

  const add = async (e: Event) => {
    e.preventDefault();
    setError('');
    setNotice('');
    const rule: RuleInput & { position?: number } = { effect, action, who: list(who), description: description.trim() || undefined };
    if (action === 'launch') {
      if (list(targets).length) rule.environments = list(targets);
      if (list(sizes).length) rule.sizes = list(sizes);
    } else if (action === 'access' && list(targets).length) {
      rule.owners = list(targets);
    }
    if (position.trim()) rule.position = Number(position);
    try {
      const after = await api.addRule(rule);
      const added = after.items[(rule.position ?? after.items.length) - 1];
      setNotice(added ? `Added rule ${added.position}: ${added.summary}.` : 'Added the rule.');
      setWho('');
      setTargets('');
      setSizes('');
      setDescription('');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      rules.reload();
    }
  };

  return (
    <>
      <PageTitle title="Access rules">Access rules</PageTitle>
      <p class="hint">
        Rules are read from the top: the first one that matches decides, and what no rule allows is refused. Owners always reach
        their own workspaces and admins reach every workspace. Changes apply within a second, also to open connections.
      </p>
      <ErrorBox error={error || rules.error} />
      <Notice>{notice}</Notice>
      {rules.data === undefined ? (
        !rules.error && <Loading what="rules" />
      ) : rules.data.items.length === 0 ? (
        <p class="empty">No rules: nobody may launch anything. Add a rule below.</p>
      ) : (
        <table class="list">
          <TableHead columns={['#', 'Rule', 'Why']} actions />
          <tbody>
            {rules.data.items.map((r) => (
              <tr key={r.id} data-rule={r.id}>
                <td data-label="#">{r.position}</td>
                <td data-label="Rule">
                  <strong class={r.effect === 'deny' ? 'deny' : 'allow'}>{r.summary}</strong>
                  <div class="muted">{r.id}</div>
                </td>
                <td data-label="Why">{r.description || <span class="muted">no description</span>}</td>
                <td>
                  <button type="button" class="danger" onClick={() => setRemoving(r)} aria-label={`Remove rule ${r.position} (${r.id})`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Add a rule</h2>
      <form class="stacked-form" onSubmit={add}>
        <div class="inline-form">
          <div>
            <label for="rule-effect">Effect</label>
            <select id="rule-effect" value={effect} onChange={(e) => setEffect(e.currentTarget.value as RuleInput['effect'])}>
              <option value="deny">deny</option>
              <option value="allow">allow</option>
            </select>
          </div>
          <div>
            <label for="rule-action">What</label>
            <select id="rule-action" value={action} onChange={(e) => setAction(e.currentTarget.value as RuleInput['action'])}>
              <option value="launch">launching environments and sizes</option>
              <option value="access">reaching others' workspaces</option>
              <option value="admin">administering k4ds</option>
            </select>
          </div>
          <div>
            <label for="rule-position">Position</label>
            <input id="rule-position" type="number" min="1" value={position} onInput={(e) => setPosition(e.currentTarget.value)} />
          </div>
        </div>
        <div>
          <label for="rule-who">Who (* for everyone, user:NAME, group:NAME; separate with commas)</label>
          <input id="rule-who" required autocapitalize="none" spellcheck={false} value={who} onInput={(e) => setWho(e.currentTarget.value)} />
        </div>
        {action !== 'admin' && (
          <div>
            <label for="rule-targets">
              {action === 'launch' ? 'Environments (empty or * for every one)' : "Whose workspaces (*, user:NAME, group:NAME; empty = everyone's)"}
            </label>
            <input id="rule-targets" autocapitalize="none" spellcheck={false} value={targets} onInput={(e) => setTargets(e.currentTarget.value)} />
          </div>
        )}
        {action === 'launch' && (
          <div>
            <label for="rule-sizes">Sizes (empty or * for every one)</label>
            <input id="rule-sizes" autocapitalize="none" spellcheck={false} value={sizes} onInput={(e) => setSizes(e.currentTarget.value)} />
          </div>
        )}
        <div>
          <label for="rule-description">Why (shown to admins)</label>
          <input id="rule-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary">
          Add rule
        </button>
      </form>

      <CheckForm />

      {removing && (
        <ConfirmDialog
          title={`Remove rule ${removing.position}?`}
          confirmLabel="Remove rule"
          danger
          onConfirm={async () => {
            await api.deleteRule(removing.id);
            setNotice(`Removed rule ${removing.id}.`);
            rules.reload();
          }}
          onClose={() => setRemoving(null)}
        >
          <p>{removing.summary}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

// "What would k4ds decide?" — the same answer as `k4ds policy check`.
function CheckForm() {
  const [user, setUser] = useState('');
  const [target, setTarget] = useState('');
  const [answer, setAnswer] = useState<PolicyCheck | null>(null);
  const [error, setError] = useState('');

  const check = async (e: Event) => {
    e.preventDefault();
    setError('');
    setAnswer(null);
    const query: Record<string, string> = { user: user.trim() };
    for (const t of list(target)) {
      if (t === 'admin') query.admin = 'true';
      else if (t.startsWith('env:')) query.environment = t.slice(4);
      else if (t.startsWith('size:')) query.size = t.slice(5);
      else query.workspace = t;
    }
    try {
      setAnswer(await api.policyCheck(query));
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <>
      <h2>Check a decision</h2>
      <form class="inline-form" onSubmit={check}>
        <div>
          <label for="check-user">User</label>
          <input id="check-user" required autocapitalize="none" spellcheck={false} value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </div>
        <div class="grow">
          <label for="check-target">Workspace (owner/name), env:NAME and size:NAME, or admin</label>
          <input id="check-target" required autocapitalize="none" spellcheck={false} value={target} onInput={(e) => setTarget(e.currentTarget.value)} />
        </div>
        <button type="submit">Check</button>
      </form>
      <ErrorBox error={error} />
      {answer && (
        <p class={answer.allowed ? 'notice' : 'error'} role="status" data-verdict={answer.allowed ? 'allowed' : 'denied'}>
          <strong>{answer.allowed ? 'Allowed' : 'Denied'}:</strong> {answer.explanation}
        </p>
      )}
    </>
  );
}

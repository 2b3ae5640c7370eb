// Launch: pick an environment, a size and a name; the API refuses early, with its reason, what
// cannot be done (a name in use, an environment this server cannot run, a size past the quota).
// Sizes the quota does not leave room for are shown with the reason. Then live progress.
import { useState } from 'preact/hooks';
import { api, type Environment, type Size, type User, type Workspace } from '../api';
import { Link } from '../router';
import { ErrorBox, Loading, PageTitle, useAction, useAsync } from '../ui';
import { Progress, useWatch } from './progress';
import { QuotaSummary } from './quota';

export function LaunchPage({ user }: { user: User }) {
  const [launched, setLaunched] = useState<Workspace | null>(null);
  if (launched) return <Launched workspace={launched} onAnother={() => setLaunched(null)} />;
  return <LaunchForm user={user} onLaunched={setLaunched} />;
}

function LaunchForm({ user, onLaunched }: { user: User; onLaunched: (w: Workspace) => void }) {
  const catalog = useAsync(() => Promise.all([api.environments(), api.sizes()]), []);
  const quota = useAsync(() => api.quota(), []);
  const volumes = useAsync(() => api.volumes(), []);
  const [envChoice, setEnvChoice] = useState('');
  const [extra, setExtra] = useState<string[]>([]);
  const [sizeChoice, setSizeChoice] = useState('');
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();

  if (!catalog.data) {
    return (
      <>
        <PageTitle title="Launch a workspace">Launch a workspace</PageTitle>
        {catalog.error ? <ErrorBox error={catalog.error} /> : <Loading what="environments and sizes" />}
      </>
    );
  }
  const [envs, sizes] = catalog.data as [Environment[], Size[]];
  const firstAvailable = envs.find((e) => e.available);
  const env = envs.find((e) => e.name === envChoice) ?? firstAvailable;
  // Environments sharing a display name are versions of one: one choice with a version menu.
  const families = envs.reduce<Environment[][]>((out, e) => {
    const family = out.find((f) => f[0].display_name === e.display_name);
    if (family) family.push(e);
    else out.push([e]);
    return out;
  }, []);
  const others = (volumes.data ?? []).filter((v) => v.name !== 'home');
  const fit = (name: string) => quota.data?.sizes.find((s) => s.name === name);
  const fits = (name: string) => fit(name)?.fits ?? true;
  const preferred = env?.default_size || sizes[0]?.name || '';
  const size = sizeChoice || (fits(preferred) ? preferred : sizes.find((s) => fits(s.name))?.name ?? preferred);
  const refusal = fits(size) ? null : fit(size)?.reason ?? null;
  const host = `${user.name}-${name.trim() || env?.name || 'name'}`;

  const submit = (e: Event) => {
    e.preventDefault();
    if (!env) return;
    const request = { environment: env.name, size, name: name.trim() || undefined, volumes: extra.length ? extra : undefined };
    run(async () => onLaunched(await api.launch(request)), true);
  };

  return (
    <>
      <PageTitle title="Launch a workspace">Launch a workspace</PageTitle>
      <QuotaSummary quota={quota.data} />
      <form onSubmit={submit} class="launch">
        <fieldset>
          <legend>Environment</legend>
          {envs.length === 0 && <p class="empty">This server offers no environments yet; ask your admin to add one.</p>}
          <div class="choices">
            {families.map((family) => {
              const chosen = family.find((e) => e.name === env?.name);
              const e = chosen ?? family.find((f) => f.available) ?? family[0];
              const pick = (name: string) => {
                setEnvChoice(name);
                setSizeChoice('');
              };
              return (
                <label key={family[0].name} class={`choice${e.available ? '' : ' unavailable'}`}>
                  <input
                    type="radio"
                    name="environment"
                    value={e.name}
                    checked={chosen !== undefined}
                    disabled={!family.some((f) => f.available)}
                    onChange={() => pick(e.name)}
                  />
                  <span class="choice-title">{e.display_name}</span>
                  {family.length === 1
                    ? e.version && <span class="muted"> version {e.version}</span>
                    : (
                      <select
                        class="version"
                        aria-label={`Version of ${e.display_name}`}
                        value={e.name}
                        onChange={(ev) => pick(ev.currentTarget.value)}
                      >
                        {family.map((f) => (
                          <option key={f.name} value={f.name} disabled={!f.available}>
                            version {f.version || f.name}
                            {f.available ? '' : ' (not available)'}
                          </option>
                        ))}
                      </select>
                    )}
                  <span class="choice-text">{e.description}</span>
                  {!e.available && <span class="choice-text reason">Not available: {e.unavailable_reason}</span>}
                </label>
              );
            })}
          </div>
        </fieldset>

        <label for="launch-size">Size</label>
        <select
          id="launch-size"
          value={size}
          aria-describedby={refusal ? 'launch-size-refusal' : undefined}
          onChange={(e) => setSizeChoice(e.currentTarget.value)}
        >
          {sizes.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name}: {s.description || `${s.cpu} CPU, ${s.memory} memory${s.gpus > 0 ? `, ${s.gpus} GPU` : ''}`}
              {fits(s.name) ? '' : ' (past your quota)'}
            </option>
          ))}
        </select>
        {refusal && (
          <p id="launch-size-refusal" class="reason" role="status">
            {refusal}
          </p>
        )}

        <label for="launch-name">Name</label>
        <input
          id="launch-name"
          value={name}
          placeholder={env?.name}
          autocapitalize="none"
          spellcheck={false}
          aria-describedby="launch-name-help"
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <p id="launch-name-help" class="hint">
          Lower-case letters, digits and dashes. Its address will be <code>{host}</code>. Leave empty to use the
          environment's name.
        </p>

        <fieldset>
          <legend>Volumes</legend>
          <p class="hint">
            Your home volume is attached. Files in it are kept when the workspace is stopped or deleted.
            {others.length === 0 && (
              <>
                {' '}
                To share files between workspaces, <Link href="/volumes">create another volume</Link>.
              </>
            )}
          </p>
          {others.map((v) => (
            <label key={v.id} class="check">
              <input
                type="checkbox"
                name="volume"
                value={v.name}
                checked={extra.includes(v.name)}
                onChange={(ev) =>
                  setExtra(ev.currentTarget.checked ? [...extra, v.name] : extra.filter((n) => n !== v.name))
                }
              />{' '}
              Also attach <strong>{v.name}</strong>, as <code>~/volumes/{v.name}</code>
            </label>
          ))}
        </fieldset>
        <ErrorBox error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !env || refusal !== null}>
            {busy ? 'Launching…' : 'Launch'}
          </button>
          <Link href="/">Cancel</Link>
        </div>
      </form>
    </>
  );
}

function Launched({ workspace, onAnother }: { workspace: Workspace; onAnother: () => void }) {
  const watch = useWatch(workspace.owner, workspace.name);
  const detail = `/w/${encodeURIComponent(workspace.owner)}/${encodeURIComponent(workspace.name)}`;
  return (
    <>
      <PageTitle title={`Launching ${workspace.name}`}>Launching {workspace.name}</PageTitle>
      <p>
        It will be at <code>{workspace.url}</code>. You can leave this page; it keeps starting.
      </p>
      <Progress watch={watch} />
      <p class="actions">
        <Link href={detail}>Details, sharing and logs</Link>
        <button type="button" onClick={onAnother}>
          Launch another
        </button>
      </p>
    </>
  );
}

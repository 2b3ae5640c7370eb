// One workspace: its state live, stop/start/delete (confirmed), sharing and logs.
import { useState } from 'preact/hooks';
import { api, type User } from '../api';
import { Link, navigate } from '../router';
import { Age, ConfirmDialog, envName, ErrorBox, Loading, OpenLink, PageTitle, StateBadge, useAction, useAsync } from '../ui';
import { LogViewer } from './logs';
import { Progress, useWatch } from './progress';
import { Shares } from './shares';

export function WorkspacePage({ owner, name, user }: { owner: string; name: string; user: User }) {
  const watch = useWatch(owner, name);
  const envs = useAsync(() => api.environments(), []);
  const volumes = useAsync(() => api.volumes(), []);
  const [confirm, setConfirm] = useState<'stop' | 'delete' | null>(null);
  const { busy, error, run } = useAction();
  const w = watch.workspace;
  const title = owner === user.name ? name : `${owner} / ${name}`;

  if (watch.deleted) {
    return (
      <>
        <PageTitle title={title}>{title}</PageTitle>
        <p role="status">
          This workspace was deleted. Its volumes are kept. <Link href="/">Back to your workspaces</Link>
        </p>
      </>
    );
  }
  if (!w) {
    return (
      <>
        <PageTitle title={title}>{title}</PageTitle>
        {watch.problem ? <ErrorBox error={watch.problem} /> : <Loading what="the workspace" />}
        {watch.problem && (
          <p>
            <Link href="/">Back to your workspaces</Link>
          </p>
        )}
      </>
    );
  }

  const start = () => run(() => api.start(owner, name));
  const volumeNames = w.volumes.map((id) => volumes.data?.find((v) => v.id === id)?.name ?? id);
  const canStart = w.desired === 'stopped' || w.phase === 'failed';

  return (
    <>
      <div class="page-head">
        <PageTitle title={title}>{title}</PageTitle>
        <StateBadge workspace={w} />
      </div>
      <div class="actions">
        {w.phase === 'running' && <OpenLink workspace={w} />}
        {canStart && (
          <button type="button" class="primary" onClick={start} disabled={busy}>
            Start
          </button>
        )}
        {w.desired === 'running' && (
          <button type="button" onClick={() => setConfirm('stop')} disabled={busy}>
            Stop
          </button>
        )}
        <button type="button" class="danger" onClick={() => setConfirm('delete')} disabled={busy}>
          Delete
        </button>
      </div>
      <ErrorBox error={error} />

      <dl class="facts">
        <dt>Address</dt>
        <dd>
          <a href={w.url} target="_blank" rel="noopener">
            {w.url}
          </a>
        </dd>
        <dt>Environment</dt>
        <dd>{envName(envs.data, w.environment)}</dd>
        <dt>Size</dt>
        <dd>{w.size}</dd>
        <dt>Volumes</dt>
        <dd>{volumeNames.length ? volumeNames.join(', ') : 'none'}</dd>
        <dt>Created</dt>
        <dd>
          <Age iso={w.created_at} ago />
        </dd>
        <dt>Last active</dt>
        <dd>
          <Age iso={w.last_activity_at} ago />
        </dd>
      </dl>

      <Progress watch={watch} />
      <Shares owner={owner} name={name} />
      <LogViewer owner={owner} name={name} />

      {confirm === 'stop' && (
        <ConfirmDialog
          title={`Stop ${w.name}?`}
          confirmLabel="Stop"
          onConfirm={() => api.stop(owner, name)}
          onClose={() => setConfirm(null)}
        >
          <p>
            Running notebooks and programs end, and unsaved changes in open tabs are lost. Your volumes are kept, with
            every file saved in them; start it again at any time.
          </p>
        </ConfirmDialog>
      )}
      {confirm === 'delete' && (
        <ConfirmDialog
          title={`Delete ${w.name}?`}
          confirmLabel="Delete workspace"
          danger
          onConfirm={async () => {
            await api.remove(owner, name);
            navigate('/');
          }}
          onClose={() => setConfirm(null)}
        >
          <p>
            The workspace stops and its address goes away; people it is shared with lose access. Your volumes (
            {volumeNames.join(', ') || 'none'}) are kept, with their files: a new workspace gets them back.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

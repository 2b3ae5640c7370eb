// Home: my workspaces, and the ones colleagues shared with me.
import { api, type Environment, type User, type Workspace } from '../api';
import { Link } from '../router';
import { Age, envName, ErrorBox, Loading, OpenLink, PageTitle, StateBadge, TableHead, useAsync, useInterval } from '../ui';
import { QuotaSummary } from './quota';

export function HomePage({ user }: { user: User }) {
  const mine = useAsync(() => api.workspaces(), []);
  const shared = useAsync(() => api.sharedWithMe(), []);
  const envs = useAsync(() => api.environments(), []);
  const quota = useAsync(() => api.quota(), []);
  // States move on their own (a launch, a crash, an admin's stop): refresh while looking.
  useInterval(() => {
    mine.reload();
    shared.reload();
    quota.reload();
  }, 5000);

  return (
    <>
      <div class="page-head">
        <PageTitle title="My workspaces">My workspaces</PageTitle>
        <Link href="/launch" class="button primary">
          Launch a workspace
        </Link>
      </div>
      <QuotaSummary quota={quota.data} />
      <ErrorBox error={mine.error} />
      {mine.data === undefined ? (
        !mine.error && <Loading what="your workspaces" />
      ) : mine.data.length === 0 ? (
        <p class="empty">
          You have no workspaces yet. <Link href="/launch">Launch one</Link>: pick an environment such as Jupyter, and
          it gets its own address, {`${user.name}-<name>`}.
        </p>
      ) : (
        <WorkspaceTable workspaces={mine.data} envs={envs.data} />
      )}

      <h2>Shared with me</h2>
      <ErrorBox error={shared.error} />
      {shared.data === undefined ? (
        !shared.error && <Loading what="shared workspaces" />
      ) : shared.data.length === 0 ? (
        <p class="empty">Nobody has shared a workspace with you. When a colleague does, it shows up here.</p>
      ) : (
        <WorkspaceTable workspaces={shared.data} envs={envs.data} showOwner linkDetails={false} />
      )}
    </>
  );
}

interface TableProps {
  workspaces: Workspace[];
  envs?: Environment[];
  showOwner?: boolean;
  linkDetails?: boolean; // the owner (or an admin) has a details page; someone it is shared with has not
}

export function WorkspaceTable({ workspaces, envs, showOwner, linkDetails = true }: TableProps) {
  const sorted = [...workspaces].sort((a, b) => (a.owner + a.name).localeCompare(b.owner + b.name));
  return (
    <table class="list">
      <TableHead columns={[...(showOwner ? ['Owner'] : []), 'Name', 'State', 'Address', 'Environment', 'Size', 'Age', 'Last active']} actions />
      <tbody>
        {sorted.map((w) => (
          <tr key={w.id} data-workspace={`${w.owner}/${w.name}`}>
            {showOwner && <td data-label="Owner">{w.owner}</td>}
            <td data-label="Name">
              {linkDetails ? (
                <Link href={`/w/${encodeURIComponent(w.owner)}/${encodeURIComponent(w.name)}`}>{w.name}</Link>
              ) : (
                w.name
              )}
            </td>
            <td data-label="State">
              <StateBadge workspace={w} />
              {(w.phase === 'failed' || (w.phase === 'stopped' && w.reason !== 'stopped on request')) && w.reason && (
                <div class="reason">{w.reason}</div>
              )}
            </td>
            <td data-label="Address" class="url">
              <a href={w.url} target="_blank" rel="noopener">
                {w.url.replace(/^https?:\/\//, '').replace(/\/$/, '')}
              </a>
            </td>
            <td data-label="Environment">{envName(envs, w.environment)}</td>
            <td data-label="Size">{w.size}</td>
            <td data-label="Age">
              <Age iso={w.created_at} />
            </td>
            <td data-label="Last active">
              <Age iso={w.last_activity_at} ago />
            </td>
            <td class="row-actions">{w.phase === 'running' && <OpenLink workspace={w} />}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

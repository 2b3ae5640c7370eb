// Admin: every workspace on the server, with its owner.
import { api } from '../api';
import { ErrorBox, Loading, PageTitle, useAsync, useInterval } from '../ui';
import { WorkspaceTable } from './home';

export function AdminWorkspacesPage() {
  const all = useAsync(() => api.allWorkspaces(), []);
  const envs = useAsync(() => api.environments(), []);
  useInterval(() => all.reload(), 5000);
  const running = all.data?.filter((w) => w.phase === 'running').length ?? 0;
  return (
    <>
      <PageTitle title="All workspaces">All workspaces</PageTitle>
      <ErrorBox error={all.error} />
      {all.data === undefined ? (
        !all.error && <Loading what="workspaces" />
      ) : all.data.length === 0 ? (
        <p class="empty">Nobody has a workspace yet.</p>
      ) : (
        <>
          <p class="muted">
            {all.data.length} workspaces, {running} running.
          </p>
          <WorkspaceTable workspaces={all.data} envs={envs.data} showOwner />
        </>
      )}
    </>
  );
}

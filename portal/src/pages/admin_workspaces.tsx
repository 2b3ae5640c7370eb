// Admin: the capacity of the machines and who uses it, then every workspace with its owner.
import { api, type Capacity } from '../api';
import { ErrorBox, Loading, PageTitle, TableHead, useAsync, useInterval } from '../ui';
import { WorkspaceTable } from './home';

export function AdminWorkspacesPage() {
  const all = useAsync(() => api.allWorkspaces(), []);
  const envs = useAsync(() => api.environments(), []);
  const capacity = useAsync(() => api.capacity(), []);
  useInterval(() => {
    all.reload();
    capacity.reload();
  }, 5000);
  const running = all.data?.filter((w) => w.phase === 'running').length ?? 0;
  return (
    <>
      <PageTitle title="All workspaces">All workspaces</PageTitle>
      <ErrorBox error={capacity.error} />
      {capacity.data && <CapacityView capacity={capacity.data} />}
      <h2>Workspaces</h2>
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

// 25275187200 → "23.5 GiB"
function bytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}

function Use({ label, used, total, usedText, totalText }: { label: string; used: number; total: number; usedText: string; totalText: string }) {
  const share = total > 0 ? Math.round((100 * used) / total) : 0;
  return (
    <div class="use">
      <span class="use-label">{label}</span>
      <meter min={0} max={total} high={total * 0.9} value={Math.min(used, total)} aria-label={`${label} held by active workspaces`} />
      <span>
        {usedText} of {totalText} ({share}%)
        {used > total && label === 'CPUs' && ' — more than the machine has: they share it in time'}
      </span>
    </div>
  );
}

function CapacityView({ capacity }: { capacity: Capacity }) {
  const { machines, in_use } = capacity;
  const busy = capacity.users.filter((u) => u.workspaces > 0);
  return (
    <section aria-labelledby="capacity-title" class="capacity">
      <h2 id="capacity-title">Capacity</h2>
      {machines ? (
        <>
          <p class="muted">
            Sizes of the {in_use.workspaces} active workspaces against {machines.description}.
          </p>
          <Use label="CPUs" used={in_use.cpu_millis} total={machines.cpu_millis} usedText={in_use.cpu} totalText={machines.cpu} />
          <Use
            label="Memory"
            used={in_use.memory_bytes}
            total={machines.memory_bytes}
            usedText={bytes(in_use.memory_bytes)}
            totalText={bytes(machines.memory_bytes)}
          />
          {machines.gpus > 0 && <Use label="GPUs" used={in_use.gpus} total={machines.gpus} usedText={String(in_use.gpus)} totalText={String(machines.gpus)} />}
        </>
      ) : (
        <p class="muted">
          The runtime does not report its machines; active workspaces hold {in_use.cpu} CPUs and {bytes(in_use.memory_bytes)} of memory.
        </p>
      )}
      {busy.length > 0 && (
        <table class="list" aria-label="Use per user">
          <TableHead columns={['User', 'Active workspaces', 'CPUs', 'Memory', 'GPUs']} />
          <tbody>
            {busy.map((u) => (
              <tr key={u.user} data-usage={u.user}>
                <td data-label="User">{u.user}</td>
                <td data-label="Active workspaces">
                  {u.workspaces} of {u.all}: {u.active.join(', ')}
                </td>
                <td data-label="CPUs">{u.cpu}</td>
                <td data-label="Memory">{bytes(u.memory_bytes)}</td>
                <td data-label="GPUs">{u.gpus}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

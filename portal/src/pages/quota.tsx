// What a user's quota leaves: one line per limit ("1 of 3 workspaces"), shown on the home and
// launch pages. The limits themselves are set by admins (admin_quotas.tsx).
import type { QuotaUse, QuotaUsage } from '../api';

function part<T>(use: QuotaUse<T>, unit: string): string | null {
  if (use.limit === null) return null;
  return `${use.used} of ${use.limit} ${unit}`;
}

export function quotaParts(q: QuotaUsage): string[] {
  return [
    part(q.workspaces, 'active workspaces'),
    part(q.cpu, 'CPUs'),
    part(q.memory, 'memory'),
    part(q.gpus, 'GPUs'),
  ].filter((p): p is string => p !== null);
}

export function QuotaSummary({ quota }: { quota?: QuotaUsage }) {
  if (!quota) return null;
  const parts = quotaParts(quota);
  return (
    <p class="quota" data-testid="quota">
      <strong>Your quota:</strong>{' '}
      {parts.length === 0 ? 'no limits.' : `${parts.join(' · ')} in use.`}
      {parts.length > 0 && ' Stopped workspaces count for nothing.'}
    </p>
  );
}

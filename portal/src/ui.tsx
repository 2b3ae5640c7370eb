// Building blocks shared by the pages: loading data, showing errors, confirming destructive
// steps, and the plain-language rendering of states and times.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf, type Environment, type Phase, type Workspace } from './api';

export interface Async<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

// Runs `load` when `deps` change (and on reload()); keeps the last data while reloading.
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (e) => live && setState((s) => ({ data: s.data, error: messageOf(e), loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

// An action a person started (a form sent, a button pressed): `busy` while it runs, `error` in
// plain words when it failed. run(fn) clears the error, runs fn and answers whether it worked;
// with keepBusy the form stays disabled after success (the page is about to change).
export interface Action {
  busy: boolean;
  error: string;
  setError: (message: string) => void;
  run: (fn: () => Promise<unknown>, keepBusy?: boolean) => Promise<boolean>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = async (fn: () => Promise<unknown>, keepBusy = false) => {
    setBusy(true);
    setError('');
    try {
      await fn();
      if (!keepBusy) setBusy(false);
      return true;
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
      return false;
    }
  };
  return { busy, error, setError, run };
}

// Calls `fn` every `ms` while the page is visible (workspace states change on their own).
export function useInterval(fn: () => void, ms: number, enabled = true) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!enabled) return;
    const id = window.setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => window.clearInterval(id);
  }, [ms, enabled]);
}

// The page's heading. It takes focus when the page opens, so keyboard and screen-reader
// users start at the top of the new page rather than on a link that no longer exists.
export function PageTitle({ children, title, focus = true }: { children: ComponentChildren; title: string; focus?: boolean }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · k4ds`;
    if (focus) ref.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function ErrorBox({ error }: { error?: string | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Notice({ children }: { children?: ComponentChildren }) {
  if (!children) return null;
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  // Resolves when done; a rejection shows its message in the dialog and keeps it open.
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}

// A modal <dialog>: the browser traps focus inside and closes it on Escape. Cancel has the
// focus first, so Enter never destroys anything by accident.
export function ConfirmDialog({ title, children, confirmLabel, danger, onConfirm, onClose }: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const { busy, error, run } = useAction();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  const confirm = () => run(async () => {
    await onConfirm();
    onClose();
  }, true);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onClose={onClose} onCancel={onClose}>
      <h2 id="confirm-title">{title}</h2>
      <div>{children}</div>
      <ErrorBox error={error} />
      <div class="actions">
        <button type="button" autofocus onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" class={danger ? 'danger' : 'primary'} onClick={confirm} disabled={busy}>
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

const kPhaseWords: Record<Phase, string> = {
  pending: 'Queued',
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  stopped: 'Stopped',
  failed: 'Failed',
};

export function phaseWord(phase: Phase): string {
  return kPhaseWords[phase] ?? phase;
}

export function StateBadge({ workspace }: { workspace: Workspace }) {
  return (
    <span class={`badge badge-${workspace.phase}`} data-phase={workspace.phase}>
      {phaseWord(workspace.phase)}
    </span>
  );
}

// "5 min", "3 h", "2 days" (with `ago`: "5 min ago"): the age of a thing, exact time on hover.
export function Age({ iso, ago }: { iso: string | null | undefined; ago?: boolean }) {
  if (!iso) return <span class="muted">never</span>;
  const then = new Date(iso);
  const seconds = Math.max(0, (Date.now() - then.getTime()) / 1000);
  let text: string;
  if (seconds < 60) text = 'just now';
  else if (seconds < 3600) text = `${Math.floor(seconds / 60)} min`;
  else if (seconds < 86400) text = `${Math.floor(seconds / 3600)} h`;
  else text = `${Math.floor(seconds / 86400)} days`;
  if (ago && seconds >= 60) text += ' ago';
  return (
    <time dateTime={iso} title={then.toLocaleString()}>
      {text}
    </time>
  );
}

export function When({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">never</span>;
  const then = new Date(iso);
  return <time dateTime={iso}>{then.toLocaleString()}</time>;
}

export function envName(envs: Environment[] | undefined, name: string): string {
  return envs?.find((e) => e.name === name)?.display_name ?? name;
}

// The workspace's address, opened in a new tab: the portal stays where it was.
export function OpenLink({ workspace, label }: { workspace: Workspace; label?: string }) {
  return (
    <a class="button primary" href={workspace.url} target="_blank" rel="noopener">
      {label ?? 'Open'}
      <span class="visually-hidden"> {workspace.name} (opens in a new tab)</span>
    </a>
  );
}

// The header row of a list table: one column header per name, and a last, visually hidden
// "Actions" column for the row buttons when `actions` is set.
export function TableHead({ columns, actions = false }: { columns: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

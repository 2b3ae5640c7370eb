// Live progress of one workspace, from the API's Server-Sent Events watch: the workspace
// whenever it changes, and each event (the same plain-language lines as `k4ds status`).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf, workspacePath, type Workspace, type WorkspaceEvent } from '../api';
import { ErrorBox, OpenLink, phaseWord } from '../ui';

export interface Watch {
  workspace: Workspace | null;
  events: WorkspaceEvent[];
  deleted: boolean;
  problem: string; // why the live view is not live, in words; '' while it is
}

export function useWatch(owner: string, name: string): Watch {
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [events, setEvents] = useState<WorkspaceEvent[]>([]);
  const [deleted, setDeleted] = useState(false);
  const [problem, setProblem] = useState('');

  useEffect(() => {
    setWorkspace(null);
    setEvents([]);
    setDeleted(false);
    setProblem('');
    // The browser reconnects on its own after a drop, sending the last event's id, so the
    // server resumes after it; the seq check below drops any repeat.
    const source = new EventSource(`/api/v1${workspacePath(owner, name)}/watch`);
    source.addEventListener('workspace', (e) => {
      setWorkspace(JSON.parse((e as MessageEvent).data));
      setProblem('');
    });
    source.addEventListener('event', (e) => {
      const event: WorkspaceEvent = JSON.parse((e as MessageEvent).data);
      setEvents((list) => (list.some((x) => x.seq === event.seq) ? list : [...list, event]));
    });
    source.addEventListener('deleted', () => {
      setDeleted(true);
      source.close();
    });
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) {
        setProblem('Lost the connection to k4ds; reconnecting…');
        return;
      }
      // The server refused the stream (EventSource hides why): ask it once more for its words.
      api.workspace(owner, name).then(
        () => setProblem('The live view stopped. Reload the page to resume it.'),
        (err) => setProblem(messageOf(err)),
      );
    };
    return () => source.close();
  }, [owner, name]);

  return { workspace, events, deleted, problem };
}

const kStartSteps = ['pending', 'starting', 'running'] as const;
const kStopSteps = ['stopping', 'stopped'] as const;

export function Progress({ watch }: { watch: Watch }) {
  const { workspace, events, problem } = watch;
  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [events.length]);

  if (!workspace) return <ErrorBox error={problem} />;
  const steps: readonly string[] = workspace.desired === 'stopped' ? kStopSteps : kStartSteps;
  const at = steps.indexOf(workspace.phase);
  const last = events.length > 0 ? events[events.length - 1].message : workspace.reason;

  return (
    <section class="progress" aria-labelledby="progress-title">
      <h2 id="progress-title">Progress</h2>
      {workspace.phase !== 'failed' && (
        <ol class="steps">
          {steps.map((step, i) => (
            <li
              key={step}
              class={i < at ? 'done' : i === at ? 'current' : 'todo'}
              aria-current={i === at ? 'step' : undefined}
            >
              {phaseWord(step as Workspace['phase'])}
            </li>
          ))}
        </ol>
      )}
      <p class="now" role="status" aria-live="polite" data-phase={workspace.phase}>
        {workspace.phase === 'running' ? (
          <>
            <strong>{workspace.name} is running.</strong> <OpenLink workspace={workspace} label="Open workspace" />
          </>
        ) : workspace.phase === 'failed' ? null : (
          <>
            <strong>{phaseWord(workspace.phase)}.</strong> {last}
          </>
        )}
      </p>
      {workspace.phase === 'failed' && (
        <p class="error" role="alert">
          It failed: {workspace.reason || 'no reason was given'}. Start it again, or look at the logs below for what
          went wrong.
        </p>
      )}
      <ErrorBox error={problem} />
      {events.length > 0 && (
        <details open={workspace.phase !== 'running'}>
          <summary>What happened ({events.length})</summary>
          <ol class="events" ref={listRef}>
            {events.map((e) => (
              <li key={e.seq} class={e.warning ? 'warning' : undefined}>
                <time dateTime={e.time}>{new Date(e.time).toLocaleTimeString()}</time> {e.message}
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}

// The workspace's own output (what Jupyter prints), once or followed live.
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorFrom, messageOf, workspacePath } from '../api';

const kKeep = 256 * 1024; // characters kept on screen; older lines scroll away

export function LogViewer({ owner, name }: { owner: string; name: string }) {
  const [text, setText] = useState('');
  const [follow, setFollow] = useState(false);
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  const [tick, setTick] = useState(0);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    const read = async () => {
      setError('');
      setNote('');
      const url = `/api/v1${workspacePath(owner, name)}/logs${follow ? '?follow=true' : ''}`;
      const res = await fetch(url, { signal: abort.signal, headers: { Accept: 'text/plain' } });
      if (!res.ok) {
        setError((await errorFrom(res)).message);
        return;
      }
      if (!follow || !res.body) {
        setText((await res.text()).slice(-kKeep));
        return;
      }
      setText('');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const piece = decoder.decode(value, { stream: true });
        setText((t) => (t + piece).slice(-kKeep));
      }
      setNote('The log stream ended. Turn Follow off and on again to resume it.');
    };
    read().catch((e) => {
      if (abort.signal.aborted) return;
      setError(e instanceof TypeError ? 'Could not reach k4ds to read the log; check your connection and try again.' : messageOf(e));
    });
    return () => abort.abort();
  }, [owner, name, follow, tick]);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);

  return (
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <div class="toolbar">
        <label class="inline">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow
          (show new lines as they come)
        </label>
        {!follow && (
          <button type="button" onClick={() => setTick((t) => t + 1)}>
            Refresh
          </button>
        )}
      </div>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : (
        <pre class="log" ref={pre} tabIndex={0} aria-label="Workspace log" data-following={follow ? 'true' : 'false'}>
          {text || (follow ? 'Waiting for output…' : 'Nothing logged yet.')}
        </pre>
      )}
      {note && <p class="muted">{note}</p>}
    </section>
  );
}

// My volumes: storage that outlives workspaces.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Link } from '../router';
import { Age, ErrorBox, Loading, PageTitle, TableHead, useAction, useAsync } from '../ui';

export function VolumesPage() {
  const volumes = useAsync(() => api.volumes(), []);
  const workspaces = useAsync(() => api.workspaces(), []);
  const usedBy = (id: string) => (workspaces.data ?? []).filter((w) => w.volumes.includes(id));
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();

  const create = (e: Event) => {
    e.preventDefault();
    run(async () => {
      await api.createVolume(name.trim());
      setName('');
      volumes.reload();
    });
  };

  return (
    <>
      <PageTitle title="My volumes">My volumes</PageTitle>
      <p class="hint">
        Volumes keep your files. They are attached to your workspaces and kept when a workspace is stopped or deleted.
        Every workspace has your home volume; choose others when you launch, and they appear as{' '}
        <code>~/volumes/NAME</code>.
      </p>
      <form class="inline-form" onSubmit={create}>
        <div class="grow">
          <label for="volume-name">New volume</label>
          <input
            id="volume-name"
            value={name}
            required
            maxLength={63}
            autocapitalize="none"
            spellcheck={false}
            placeholder="data"
            aria-describedby="volume-name-help"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Create volume
        </button>
      </form>
      <p id="volume-name-help" class="hint">
        Lower-case letters, digits and dashes.
      </p>
      <ErrorBox error={error || volumes.error || workspaces.error} />
      {volumes.data === undefined ? (
        !volumes.error && <Loading what="your volumes" />
      ) : volumes.data.length === 0 ? (
        <p class="empty">
          No volumes yet. Your home volume is made when you <Link href="/launch">launch your first workspace</Link>.
        </p>
      ) : (
        <table class="list">
          <TableHead columns={['Name', 'Used by', 'Created', 'Identifier']} />
          <tbody>
            {volumes.data.map((v) => (
              <tr key={v.id}>
                <td data-label="Name">{v.name}</td>
                <td data-label="Used by">
                  {usedBy(v.id).length === 0
                    ? 'no workspace'
                    : usedBy(v.id).map((w, i) => (
                        <Fragment key={w.id}>
                          {i > 0 && ', '}
                          <Link href={`/w/${encodeURIComponent(w.owner)}/${encodeURIComponent(w.name)}`}>{w.name}</Link>
                        </Fragment>
                      ))}
                </td>
                <td data-label="Created">
                  <Age iso={v.created_at} ago />
                </td>
                <td data-label="Identifier" class="mono">
                  {v.id}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

// Admin: groups and their members. Workspaces can be shared with a whole group.
import { useState } from 'preact/hooks';
import { api, messageOf, type Group } from '../api';
import { ConfirmDialog, ErrorBox, Loading, Notice, PageTitle, useAsync } from '../ui';

export function AdminGroupsPage() {
  const groups = useAsync(() => api.groups(), []);
  const users = useAsync(() => api.users(), []);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [deleting, setDeleting] = useState<Group | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');

  const change = async (what: () => Promise<unknown>, done: string) => {
    setError('');
    setNotice('');
    try {
      await what();
      setNotice(done);
      return true;
    } catch (e) {
      setError(messageOf(e));
      return false;
    } finally {
      groups.reload();
    }
  };

  const create = async (e: Event) => {
    e.preventDefault();
    const group = name.trim();
    if (await change(() => api.createGroup({ name: group, description: description.trim() || undefined }), `Created the group ${group}.`)) {
      setName('');
      setDescription('');
    }
  };

  return (
    <>
      <PageTitle title="Groups">Groups</PageTitle>
      <p class="hint">Share a workspace with a group, and everyone in it can open it.</p>
      <form class="inline-form" onSubmit={create}>
        <div>
          <label for="group-name">New group</label>
          <input id="group-name" required autocapitalize="none" spellcheck={false} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="grow">
          <label for="group-description">Description</label>
          <input id="group-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary">
          Add group
        </button>
      </form>
      <ErrorBox error={error || groups.error} />
      <Notice>{notice}</Notice>
      <datalist id="user-names">
        {(users.data ?? []).map((u) => (
          <option key={u.name} value={u.name} />
        ))}
      </datalist>
      {groups.data === undefined ? (
        !groups.error && <Loading what="groups" />
      ) : groups.data.length === 0 ? (
        <p class="empty">No groups yet.</p>
      ) : (
        <div class="cards">
          {groups.data.map((g) => (
            <GroupCard key={g.name} group={g} change={change} onDelete={() => setDeleting(g)} />
          ))}
        </div>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the group ${deleting.name}?`}
          confirmLabel="Delete group"
          danger
          onConfirm={async () => {
            await api.deleteGroup(deleting.name);
            setNotice(`Deleted the group ${deleting.name}.`);
            groups.reload();
          }}
          onClose={() => setDeleting(null)}
        >
          <p>
            Its members lose what was shared with the group. The users themselves, their workspaces and volumes are
            kept.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

interface CardProps {
  group: Group;
  change: (what: () => Promise<unknown>, done: string) => Promise<boolean>;
  onDelete: () => void;
}

function GroupCard({ group, change, onDelete }: CardProps) {
  const [member, setMember] = useState('');
  const inputId = `add-member-${group.name}`;
  const add = async (e: Event) => {
    e.preventDefault();
    const user = member.trim();
    if (await change(() => api.addMember(group.name, user), `Added ${user} to ${group.name}.`)) setMember('');
  };
  return (
    <section class="card" aria-labelledby={`group-${group.name}`}>
      <h2 id={`group-${group.name}`}>{group.name}</h2>
      {group.description && <p class="muted">{group.description}</p>}
      {group.members.length === 0 ? (
        <p class="empty">No members.</p>
      ) : (
        <ul class="shares">
          {group.members.map((m) => (
            <li key={m}>
              <span>{m}</span>
              <button type="button" onClick={() => change(() => api.removeMember(group.name, m), `Removed ${m} from ${group.name}.`)}>
                Remove<span class="visually-hidden"> {m} from {group.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" onSubmit={add}>
        <div class="grow">
          <label for={inputId}>Add a member</label>
          <input id={inputId} list="user-names" required autocapitalize="none" value={member} onInput={(e) => setMember(e.currentTarget.value)} />
        </div>
        <button type="submit">Add</button>
      </form>
      <button type="button" class="danger" onClick={onDelete}>
        Delete group<span class="visually-hidden"> {group.name}</span>
      </button>
    </section>
  );
}

// Admin: the environments and sizes this server offers (set in the configuration file).
import { api } from '../api';
import { ErrorBox, Loading, PageTitle, TableHead, useAsync } from '../ui';

export function AdminCatalogPage() {
  const envs = useAsync(() => api.environments(), []);
  const sizes = useAsync(() => api.sizes(), []);
  return (
    <>
      <PageTitle title="Environments and sizes">Environments and sizes</PageTitle>
      <p class="hint">
        These come from the server's configuration file (<code>environments:</code> and <code>sizes:</code>); change
        them there.
      </p>
      <h2>Environments</h2>
      <ErrorBox error={envs.error} />
      {envs.data === undefined ? (
        !envs.error && <Loading what="environments" />
      ) : (
        <table class="list">
          <TableHead columns={['Environment', 'Name', 'Version', 'Default size', 'Available']} />
          <tbody>
            {envs.data.map((e) => (
              <tr key={e.name}>
                <td data-label="Environment">
                  <strong>{e.display_name}</strong>
                  <div class="muted">{e.description}</div>
                </td>
                <td data-label="Name" class="mono">
                  {e.name}
                </td>
                <td data-label="Version">{e.version || <span class="muted">none</span>}</td>
                <td data-label="Default size">{e.default_size}</td>
                <td data-label="Available">{e.available ? 'yes' : <span class="reason">no: {e.unavailable_reason}</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Sizes</h2>
      <ErrorBox error={sizes.error} />
      {sizes.data === undefined ? (
        !sizes.error && <Loading what="sizes" />
      ) : (
        <table class="list">
          <TableHead columns={['Size', 'CPU', 'Memory', 'GPUs', 'Description']} />
          <tbody>
            {sizes.data.map((s) => (
              <tr key={s.name}>
                <td data-label="Size">
                  <strong>{s.name}</strong>
                </td>
                <td data-label="CPU">{s.cpu}</td>
                <td data-label="Memory">{s.memory}</td>
                <td data-label="GPUs">{s.gpus}</td>
                <td data-label="Description">{s.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

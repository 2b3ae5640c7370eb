// Admin: the environments and sizes this server offers (set in the configuration file).
import { api } from '../api';
import { ErrorBox, Loading, PageTitle, useAsync } from '../ui';

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
          <thead>
            <tr>
              <th scope="col">Environment</th>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Default size</th>
              <th scope="col">Available</th>
            </tr>
          </thead>
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
          <thead>
            <tr>
              <th scope="col">Size</th>
              <th scope="col">CPU</th>
              <th scope="col">Memory</th>
              <th scope="col">GPUs</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
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

// Sign in with a k4ds or directory account. The server sets an HttpOnly session cookie; the
// portal never sees or stores the secret.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type User } from '../api';
import { ErrorBox, Notice, PageTitle, useAction } from '../ui';

export function LoginPage({ onSignedIn, notice }: { onSignedIn: (user: User) => void; notice?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const userField = useRef<HTMLInputElement>(null);
  useEffect(() => userField.current?.focus(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    run(async () => onSignedIn((await api.login(username.trim(), password)).user), true);
  };

  return (
    <main id="main" class="login">
      <div class="card">
        <p class="brand">k4ds</p>
        <PageTitle title="Sign in" focus={false}>
          Sign in
        </PageTitle>
        <p class="muted">Use your k4ds or directory account.</p>
        {!error && <Notice>{notice}</Notice>}
        <form onSubmit={submit}>
          <label for="login-user">User name</label>
          <input
            id="login-user"
            ref={userField}
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
          <label for="login-password">Password</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <ErrorBox error={error} />
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}

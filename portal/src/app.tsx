// The portal's shell: who is signed in, the navigation, and which page a path shows.
import { useEffect, useState } from 'preact/hooks';
import { api, setSignedOutHandler, type User } from './api';
import { Link, match, navigate, usePath } from './router';
import { ErrorBox, Loading } from './ui';
import { LoginPage } from './pages/login';
import { HomePage } from './pages/home';
import { LaunchPage } from './pages/launch';
import { WorkspacePage } from './pages/workspace';
import { VolumesPage } from './pages/volumes';
import { TokensPage } from './pages/tokens';
import { AdminUsersPage } from './pages/admin_users';
import { AdminGroupsPage } from './pages/admin_groups';
import { AdminCatalogPage } from './pages/admin_catalog';
import { AdminWorkspacesPage } from './pages/admin_workspaces';
import { AdminRulesPage } from './pages/admin_rules';
import { AdminQuotasPage } from './pages/admin_quotas';

type Session = { state: 'checking' } | { state: 'signed-out'; error?: string } | { state: 'signed-in'; user: User };

export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const path = usePath();

  useEffect(() => {
    setSignedOutHandler(() => setSession({ state: 'signed-out', error: 'You were signed out. Sign in again to go on.' }));
    api.whoami().then(
      (user) => setSession({ state: 'signed-in', user }),
      (e) => setSession(e.status === 401 ? { state: 'signed-out' } : { state: 'signed-out', error: e.message }),
    );
  }, []);

  if (session.state === 'checking') return <Loading what="the portal" />;
  if (session.state === 'signed-out') {
    return <LoginPage notice={session.error} onSignedIn={(user) => setSession({ state: 'signed-in', user })} />;
  }
  const user = session.user;
  const signOut = async () => {
    try {
      await api.logout();
    } finally {
      setSession({ state: 'signed-out' });
      navigate('/', true);
    }
  };
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/" class="brand">
          k4ds
        </Link>
        <nav aria-label="Main">
          <ul>
            <NavItem path={path} href="/" label="My workspaces" />
            <NavItem path={path} href="/launch" label="Launch" />
            <NavItem path={path} href="/volumes" label="Volumes" />
            <NavItem path={path} href="/tokens" label="Tokens" />
          </ul>
          {user.admin && (
            <ul aria-label="Administration" class="admin-nav">
              <NavItem path={path} href="/admin/users" label="Users" />
              <NavItem path={path} href="/admin/groups" label="Groups" />
              <NavItem path={path} href="/admin/catalog" label="Environments" />
              <NavItem path={path} href="/admin/workspaces" label="All workspaces" />
              <NavItem path={path} href="/admin/rules" label="Access rules" />
              <NavItem path={path} href="/admin/quotas" label="Quotas" />
            </ul>
          )}
        </nav>
        <div class="who">
          <span>
            Signed in as <strong>{user.display_name || user.name}</strong>
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Page path={path} user={user} />
      </main>
    </>
  );
}

function NavItem({ path, href, label }: { path: string; href: string; label: string }) {
  const current = href === '/' ? path === '/' : path === href || path.startsWith(href + '/');
  return (
    <li>
      <Link href={href} aria-current={current ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );
}

function Page({ path, user }: { path: string; user: User }) {
  if (path === '/' || path === '') return <HomePage user={user} />;
  if (match('/launch', path)) return <LaunchPage user={user} />;
  const ws = match('/w/:owner/:name', path);
  if (ws) return <WorkspacePage owner={ws.owner} name={ws.name} user={user} />;
  if (match('/volumes', path)) return <VolumesPage />;
  if (match('/tokens', path)) return <TokensPage />;
  if (path.startsWith('/admin')) {
    if (!user.admin) {
      return <ErrorBox error="These pages are for admins. Ask an admin if you need something changed." />;
    }
    if (match('/admin/users', path)) return <AdminUsersPage self={user} />;
    if (match('/admin/groups', path)) return <AdminGroupsPage />;
    if (match('/admin/catalog', path)) return <AdminCatalogPage />;
    if (match('/admin/workspaces', path)) return <AdminWorkspacesPage />;
    if (match('/admin/rules', path)) return <AdminRulesPage />;
    if (match('/admin/quotas', path)) return <AdminQuotasPage />;
  }
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/">Go to your workspaces</Link>.
      </p>
    </>
  );
}

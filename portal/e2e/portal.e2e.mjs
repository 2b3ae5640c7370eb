// End to end: the portal in headless Chromium against a real `k4ds up` with the local runtime
// and a real Jupyter. Alice signs in, launches "Jupyter · Python 3", watches it start, opens it
// and sees Jupyter, shares it with bob; bob signs in, finds it under "Shared with me" and opens
// it; alice stops it. Screenshots of the main pages go to $K4DS_SCREENSHOT_DIR (and, with
// K4DS_UPDATE_SCREENSHOTS=1, to docs/screenshots/ for the README).
//
// Run by ctest (tests/CMakeLists.txt) as: node <build>/portal/e2e/portal.e2e.mjs, with
// K4DS_BINARY set. It starts and stops its own server (by PID), on a fresh data dir it removes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const binary = process.env.K4DS_BINARY;
const sourceDir = process.env.K4DS_SOURCE_DIR;
const chromiumPath = process.env.K4DS_CHROMIUM || '/usr/bin/chromium';
const passwords = { admin: 'admin-e2e-password-1', alice: 'alice-e2e-password-1', bob: 'bob-e2e-password-1' };
const kLaunchTimeout = 120_000;

const started = Date.now();
const timings = [];
let passed = 0;

async function step(name, fn) {
  const t0 = Date.now();
  process.stdout.write(`- ${name} … `);
  await fn();
  const ms = Date.now() - t0;
  timings.push([name, ms]);
  passed++;
  console.log(`ok (${ms} ms)`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// ---- the server -------------------------------------------------------------------------

// The built-in catalog, plus the Python notebook a second time under the same display name: two
// versions of one environment, which the Launch page offers as one choice with a version menu.
function notebook(extra = []) {
  const args = ['/usr/bin/python3', '-m', 'notebook', '--no-browser', '--sock={socket}', '--notebook-dir={home}',
    '--NotebookApp.token=', '--NotebookApp.password=', '--NotebookApp.allow_remote_access=True', ...extra];
  return JSON.stringify(args);
}
const catalog = `environments:
  - {name: jupyter-python, display_name: "Jupyter · Python 3", version: "6.4", health_path: /api, default_size: small,
     description: "Jupyter Notebook with the Python 3 kernel", command: ${notebook()}}
  - {name: jupyter-python-next, display_name: "Jupyter · Python 3", version: "6.4 (next)", health_path: /api,
     default_size: small, description: "The same, offered as a second version", command: ${notebook()}}
  - {name: jupyter-r, display_name: "Jupyter · R", version: "6.4", health_path: /api, default_size: small,
     description: "Jupyter Notebook with the R kernel (IRkernel)",
     command: ${notebook(['--MultiKernelManager.default_kernel_name=ir'])}}
`;

function startServer(dir) {
  const log = fs.openSync(path.join(dir, 'server.log'), 'w');
  fs.writeFileSync(path.join(dir, 'k4ds.yaml'), catalog);
  const child = spawn(binary, ['up', '-c', path.join(dir, 'k4ds.yaml'), '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')], {
    env: { ...process.env, HOME: dir, K4DS_ADMIN_PASSWORD: passwords.admin },
    stdio: ['ignore', 'pipe', log],
  });
  fs.closeSync(log);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`k4ds up did not report its URL in 30 s; it printed: ${out}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`k4ds up exited (${code}) before serving; see ${dir}/server.log`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/k4ds: serving on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        child.stdout.on('data', () => {}); // keep draining so the server never blocks on stdout
        resolve({ child, url: m[1] });
      }
    });
  });
}

async function stopServer(child) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM'); // this process only, by its PID
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// A signed-in API client (cookie session), for the admin's set-up and the clean-up.
async function apiClient(url, user) {
  const res = await fetch(`${url}/api/v1/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: passwords[user] }),
  });
  check(res.ok, `${user} could not sign in through the API: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return async (method, route, body) => {
    const r = await fetch(`${url}/api/v1${route}`, {
      method,
      headers: { Cookie: cookie, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null, text };
  };
}

function processesMentioning(needle) {
  const found = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

// ---- the browser ------------------------------------------------------------------------

async function newUser(browser, name, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  const page = await context.newPage();
  page.k4dsProblems = [];
  page.on('pageerror', (e) => page.k4dsProblems.push(`${name}: script error: ${e.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) page.k4dsProblems.push(`${name}: ${msg.text()}`);
  });
  return { context, page };
}

async function signIn(page, url, user) {
  await page.goto(url + '/');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(passwords[user]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'My workspaces' }).waitFor();
}

// Opens the workspace from a link with target=_blank; returns the new tab showing Jupyter.
async function openJupyter(page, link, host) {
  const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
  await tab.waitForURL((u) => u.host.startsWith(host), { timeout: 60_000 });
  // Classic Notebook's file list (or JupyterLab's shell on a newer host).
  await tab.waitForSelector('#notebook_list, #ipython-main-app, .jp-LabShell, #jp-top-panel', { timeout: 60_000 });
  const title = await tab.title();
  const html = await tab.content();
  check(/jupyter/i.test(html), `the workspace tab (${tab.url()}, "${title}") does not look like Jupyter`);
  return tab;
}

// ---- the test ---------------------------------------------------------------------------

async function main() {
  check(binary && fs.existsSync(binary), `K4DS_BINARY (${binary}) is not the built k4ds; run through ctest`);
  check(fs.existsSync(chromiumPath), `${chromiumPath} is missing; install it with scripts/install-deps.sh test`);
  const shots = process.env.K4DS_SCREENSHOT_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'k4ds_portal_shots_'));
  fs.mkdirSync(shots, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k4ds_portal_e2e_'));
  fs.chmodSync(dir, 0o711); // workspace accounts must reach their volumes under it
  const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`) });

  let server = null;
  let browser = null;
  let admin = null;
  let failed = null;
  let bobPage = null;
  const pages = [];
  try {
    await step('k4ds up starts', async () => {
      server = await startServer(dir);
    });
    const url = server.url;
    const port = new URL(url).port;

    await step('the portal is served with its security headers', async () => {
      const index = await fetch(url + '/', { headers: { Accept: 'text/html' } });
      check(index.status === 200, `GET / answered ${index.status}`);
      const csp = index.headers.get('content-security-policy') || '';
      check(csp.includes("default-src 'self'") && !csp.includes('unsafe'), `weak CSP: ${csp}`);
      check(index.headers.get('x-frame-options') === 'DENY', 'no X-Frame-Options: DENY');
      const html = await index.text();
      const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
      check(asset, `index.html has no script: ${html}`);
      const js = await fetch(url + asset);
      check(js.status === 200 && /immutable/.test(js.headers.get('cache-control')), 'asset not immutable');
      const again = await fetch(url + asset, { headers: { 'If-None-Match': js.headers.get('etag') } });
      check(again.status === 304, `If-None-Match answered ${again.status}, not 304`);
      const deep = await fetch(url + '/w/alice/analysis', { headers: { Accept: 'text/html' } });
      check(deep.status === 200 && (await deep.text()) === html, 'a deep link does not get the app');
      const api404 = await fetch(url + '/api/v1/nothing-here', { headers: { Accept: 'text/html' } });
      check(api404.status === 404 && (await api404.json()).code === 'not_found', 'the API lost its 404');
    });

    await step('admin adds alice and bob through the API', async () => {
      admin = await apiClient(url, 'admin');
      for (const [name, display] of [['alice', 'Alice Example'], ['bob', 'Bob Example']]) {
        const r = await admin('POST', '/users', { name, password: passwords[name], display_name: display });
        check(r.status === 201, `creating ${name}: ${r.status} ${r.text}`);
      }
    });

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      // Playwright gives every launch a fresh, temporary profile (--user-data-dir) of its own.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             '--no-proxy-server'],
    });
    const alice = await newUser(browser, 'alice');
    pages.push(alice.page);
    const a = alice.page;

    await step('alice signs in', async () => {
      await a.goto(url + '/');
      await a.getByRole('heading', { name: 'Sign in' }).waitFor();
      await shot(a, 'login');
      await a.getByLabel('User name').fill('alice');
      await a.getByLabel('Password').fill('wrong password');
      await a.getByRole('button', { name: 'Sign in' }).click();
      await a.getByRole('alert').waitFor(); // the API's own words
      await a.getByLabel('Password').fill(passwords.alice);
      await a.getByRole('button', { name: 'Sign in' }).click();
      await a.getByRole('heading', { name: 'My workspaces' }).waitFor();
      await a.getByText('You have no workspaces yet').waitFor();
    });

    await step('alice creates a volume for shared data', async () => {
      await a.goto(url + '/volumes');
      await a.getByRole('heading', { name: 'My volumes' }).waitFor();
      await a.getByLabel('New volume').fill('Bad Name');
      await a.getByRole('button', { name: 'Create volume' }).click();
      await a.getByRole('alert').waitFor(); // the API's own words about the name
      await a.getByLabel('New volume').fill('data');
      await a.getByRole('button', { name: 'Create volume' }).click();
      await a.locator('td[data-label="Name"]', { hasText: 'data' }).waitFor();
      await a.goto(url + '/');
      await a.getByRole('heading', { name: 'My workspaces' }).waitFor();
    });

    await step('alice launches Jupyter · Python 3 with her data volume and watches it start', async () => {
      await a.getByRole('link', { name: 'Launch a workspace' }).click();
      await a.getByRole('heading', { name: 'Launch a workspace' }).waitFor();
      // Two versions of Jupyter · Python 3 are one choice with a version menu.
      const version = a.getByLabel('Version of Jupyter · Python 3');
      await version.selectOption('jupyter-python-next');
      check(await a.getByRole('radio', { name: /Jupyter · Python 3/ }).isChecked(), 'choosing a version chooses its environment');
      await version.selectOption('jupyter-python');
      await a.getByRole('radio', { name: /Jupyter · Python 3/ }).check();
      await a.getByLabel('Size').selectOption('small');
      await a.getByLabel('Name', { exact: true }).fill('analysis');
      await a.getByRole('checkbox', { name: /Also attach data/ }).check();
      await a.getByRole('button', { name: 'Launch', exact: true }).click();
      await a.getByRole('heading', { name: 'Launching analysis' }).waitFor();
      await a.locator('.progress .now').waitFor();
      await shot(a, 'launch');
      await a.getByRole('link', { name: /Open workspace/ }).waitFor({ timeout: kLaunchTimeout });
      await shot(a, 'launch-running');
    });

    await step('the same name again is refused with the reason', async () => {
      await a.getByRole('button', { name: 'Launch another' }).click();
      await a.getByRole('radio', { name: /Jupyter · Python 3/ }).check();
      await a.getByLabel('Name', { exact: true }).fill('analysis');
      await a.getByRole('button', { name: 'Launch', exact: true }).click();
      const alert = a.getByRole('alert');
      await alert.waitFor();
      const words = await alert.innerText();
      check(/analysis/.test(words), `the refusal does not say why: "${words}"`);
    });

    await step('alice opens it and sees Jupyter', async () => {
      await a.getByRole('link', { name: 'My workspaces' }).click();
      const row = a.locator('tr[data-workspace="alice/analysis"]');
      await row.getByText('Running').waitFor();
      await shot(a, 'home');
      const tab = await openJupyter(a, row.getByRole('link', { name: /Open/ }), `alice-analysis.localhost:${port}`);
      await shot(tab, 'jupyter');
      await tab.close();
    });

    await step('alice shares it with bob and follows its log', async () => {
      await a.locator('tr[data-workspace="alice/analysis"]').getByRole('link', { name: 'analysis', exact: true }).click();
      await a.getByRole('heading', { name: 'analysis', exact: true }).waitFor();
      await a.getByLabel('Share with a').selectOption('user');
      await a.getByLabel('User name').fill('bob');
      await a.getByRole('button', { name: 'Share', exact: true }).click();
      await a.locator('ul.shares li', { hasText: 'bob' }).waitFor();
      await a.getByLabel(/Follow/).check();
      await a.locator('pre.log').filter({ hasText: /\S/ }).waitFor();
      await a.waitForFunction(() => !/^Waiting for output/.test(document.querySelector('pre.log')?.textContent ?? ''), null, { timeout: 20_000 });
      await a.evaluate(() => window.scrollTo(0, 0));
      await a.screenshot({ path: path.join(shots, 'workspace.png'), fullPage: true });
      await a.getByLabel(/Follow/).uncheck();
    });

    await step('bob signs in, finds it under "Shared with me" and opens it', async () => {
      const bob = await newUser(browser, 'bob');
      bobPage = bob.page;
      pages.push(bob.page);
      // With the keyboard alone: the user name has the focus, Tab to the password, Enter.
      await bob.page.goto(url + '/');
      await bob.page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await bob.page.keyboard.type('bob');
      await bob.page.keyboard.press('Tab');
      await bob.page.keyboard.type(passwords.bob);
      await bob.page.keyboard.press('Enter');
      await bob.page.getByRole('heading', { name: 'My workspaces' }).waitFor();
      const row = bob.page.locator('tr[data-workspace="alice/analysis"]');
      await row.waitFor();
      await shot(bob.page, 'home-shared');
      const tab = await openJupyter(bob.page, row.getByRole('link', { name: /Open/ }), `alice-analysis.localhost:${port}`);
      await tab.close();
    });

    await step('admin pages: users, all workspaces, access rules and quotas', async () => {
      const adm = await newUser(browser, 'admin');
      pages.push(adm.page);
      await signIn(adm.page, url, 'admin');
      await adm.page.getByRole('link', { name: 'Users' }).click();
      await adm.page.locator('tr[data-user="bob"]').waitFor();
      await shot(adm.page, 'admin-users');
      await adm.page.getByRole('link', { name: 'All workspaces' }).click();
      await adm.page.locator('tr[data-workspace="alice/analysis"]').waitFor();
      // The capacity of this machine and who holds it: alice's one active workspace.
      await adm.page.getByRole('heading', { name: 'Capacity' }).waitFor();
      await adm.page.getByRole('meter', { name: /Memory held/ }).waitFor();
      await adm.page.locator('tr[data-usage="alice"]').getByText('1 of 1: analysis').waitFor();
      await shot(adm.page, 'admin-capacity');
      // Access rules: add one in front, see it decide, remove it again.
      await adm.page.getByRole('link', { name: 'Access rules' }).click();
      await adm.page.locator('tr[data-rule="r1"]').waitFor();
      await adm.page.getByLabel('Effect').selectOption('deny');
      await adm.page.getByLabel('What').selectOption('launch');
      await adm.page.getByLabel(/^Who/).fill('user:bob');
      await adm.page.getByLabel(/^Sizes/).fill('large');
      await adm.page.getByLabel(/^Why/).fill('bob uses small sizes');
      await adm.page.getByRole('button', { name: 'Add rule' }).click();
      await adm.page.locator('tr[data-rule="r2"]').getByText('deny user:bob to launch any environment in size large').waitFor();
      await adm.page.getByLabel('User', { exact: true }).fill('bob');
      await adm.page.getByLabel(/^Workspace \(owner/).fill('size:large');
      await adm.page.getByRole('button', { name: 'Check', exact: true }).click();
      await adm.page.locator('[data-verdict="denied"]').getByText('rule 1 (r2').waitFor();
      await shot(adm.page, 'admin-rules');
      await adm.page.getByRole('button', { name: /Remove rule 1 \(r2\)/ }).click();
      await adm.page.getByRole('dialog').getByRole('button', { name: 'Remove rule' }).click();
      await adm.page.locator('tr[data-rule="r2"]').waitFor({ state: 'detached' });
      // Quotas: one active workspace for everyone; alice's launch page then explains why not.
      await adm.page.getByRole('link', { name: 'Quotas' }).click();
      await adm.page.getByText('No quotas are set').waitFor();
      await adm.page.getByLabel('For', { exact: true }).fill('default');
      await adm.page.getByLabel('Workspaces').fill('1');
      await adm.page.getByLabel('Memory').fill('32Gi');
      await adm.page.getByRole('button', { name: 'Save quota' }).click();
      await adm.page.locator('tr[data-quota="default"]').getByText('32Gi').waitFor();
      await shot(adm.page, 'admin-quotas');
      await a.bringToFront();
      await a.getByRole('link', { name: 'Launch', exact: true }).click();
      await a.getByTestId('quota').getByText('1 of 1 active workspaces').waitFor();
      const refusal = a.locator('#launch-size-refusal');
      await refusal.waitFor();
      const why = await refusal.innerText();
      check(/the limit is 1 active workspace/.test(why) && /analysis/.test(why), `the quota refusal does not say why: "${why}"`);
      check(await a.getByRole('button', { name: 'Launch', exact: true }).isDisabled(), 'Launch is not disabled past the quota');
      await shot(a, 'launch-quota');
      await a.getByRole('link', { name: 'My workspaces' }).click();
      await a.locator('tr[data-workspace="alice/analysis"]').getByRole('link', { name: 'analysis', exact: true }).click();
      await a.getByRole('button', { name: 'Stop', exact: true }).waitFor();
      await adm.page.bringToFront();
      await adm.page.getByRole('button', { name: 'Remove the quota for default' }).click();
      await adm.page.getByRole('dialog').getByRole('button', { name: 'Remove quota' }).click();
      await adm.page.getByText('No quotas are set').waitFor();
      await adm.page.setViewportSize({ width: 390, height: 844 });
      await adm.page.getByRole('link', { name: 'My workspaces' }).click();
      await adm.page.getByRole('heading', { name: 'My workspaces' }).waitFor();
      await alice.page.bringToFront();
    });

    await step('alice stops it, after a confirmation that keeps her volumes', async () => {
      const stop = a.getByRole('button', { name: 'Stop', exact: true });
      const dialog = a.getByRole('dialog');
      await stop.click();
      await dialog.getByText('Your volumes are kept').waitFor();
      await a.keyboard.press('Escape'); // changing her mind closes it, and nothing happens
      await dialog.waitFor({ state: 'hidden' });
      check((await a.locator('.page-head .badge').innerText()) === 'Running', 'Escape did not cancel the stop');
      await stop.click();
      await dialog.getByText('Your volumes are kept').waitFor();
      await shot(a, 'confirm-stop');
      await dialog.getByRole('button', { name: 'Stop' }).click();
      await a.locator('.page-head .badge', { hasText: 'Stopped' }).waitFor({ timeout: 60_000 });
    });

    await step('alice stops sharing; bob no longer sees it', async () => {
      await a.getByRole('button', { name: 'Remove share with user bob' }).click();
      await a.getByText('Not shared with anyone.').waitFor();
      await bobPage.reload();
      await bobPage.getByText('Nobody has shared a workspace with you').waitFor();
    });

    await step('a phone-width view of the home page', async () => {
      const phone = await newUser(browser, 'alice-phone', { width: 390, height: 844 });
      pages.push(phone.page);
      await signIn(phone.page, url, 'alice');
      await phone.page.locator('tr[data-workspace="alice/analysis"]').getByText('Stopped').waitFor();
      await shot(phone.page, 'phone-home');
    });

    await step('alice deletes it, confirmed; her home and data volumes stay', async () => {
      await a.getByRole('link', { name: 'My workspaces' }).click();
      await a.locator('tr[data-workspace="alice/analysis"]').getByRole('link', { name: 'analysis', exact: true }).click();
      await a.getByRole('button', { name: 'Delete', exact: true }).click();
      const dialog = a.getByRole('dialog');
      await dialog.getByText(/Your volumes \(home, data\) are kept/).waitFor();
      await dialog.getByRole('button', { name: 'Delete workspace' }).click();
      await a.getByText('You have no workspaces yet').waitFor({ timeout: 30_000 });
      await a.getByRole('link', { name: 'Volumes' }).click();
      await a.locator('table.list td[data-label="Name"]', { hasText: 'home' }).waitFor();
      await a.locator('table.list td[data-label="Name"]', { hasText: 'data' }).waitFor();
      await shot(a, 'volumes');
    });

    await step('no script errors or blocked content in any page', async () => {
      const problems = pages.flatMap((p) => p.k4dsProblems);
      check(problems.length === 0, problems.join('\n'));
    });
  } catch (e) {
    failed = e;
    console.log('FAILED');
    console.error(e.stack || e);
    for (const p of pages) await p.screenshot({ path: path.join(shots, `failure-${pages.indexOf(p)}.png`) }).catch(() => {});
  }

  // Clean up: the workspace is stopped and deleted through the API before k4ds stops, so
  // nothing is left running; then k4ds (by its PID), then the temp dir.
  await browser?.close().catch(() => {});
  try {
    if (server && admin) {
      const list = await admin('GET', '/workspaces?all=true');
      for (const w of list.body?.items ?? []) await admin('DELETE', `/workspaces/${w.owner}/${w.name}`);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const now = await admin('GET', '/workspaces?all=true');
        if ((now.body?.items ?? []).length === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (e) {
    failed ??= e;
  }
  await stopServer(server?.child);
  const deadline = Date.now() + 15_000;
  let leftovers = processesMentioning(dir);
  while (leftovers.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    leftovers = processesMentioning(dir);
  }
  if (leftovers.length) failed ??= new Error(`left running:\n${leftovers.join('\n')}`);
  if (failed) {
    const log = fs.existsSync(path.join(dir, 'server.log')) ? fs.readFileSync(path.join(dir, 'server.log'), 'utf8') : '';
    console.error('--- server.log (last 60 lines) ---\n' + log.split('\n').slice(-60).join('\n'));
  }
  fs.rmSync(dir, { recursive: true, force: true });

  if (!failed && process.env.K4DS_UPDATE_SCREENSHOTS === '1' && sourceDir) {
    const out = path.join(sourceDir, 'docs', 'screenshots');
    fs.mkdirSync(out, { recursive: true });
    for (const name of ['login', 'home', 'launch', 'workspace', 'home-shared', 'admin-users', 'admin-rules', 'confirm-stop', 'phone-home']) {
      fs.copyFileSync(path.join(shots, `${name}.png`), path.join(out, `${name}.png`));
    }
    console.log(`screenshots copied to ${out}`);
  }
  console.log(`screenshots in ${shots}`);
  console.log(`total ${Date.now() - started} ms`);
  console.log(`${passed} passed, ${failed ? 1 : 0} failed`);
  process.exit(failed ? 1 : 0);
}

main();

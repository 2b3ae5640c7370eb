// The k4ds REST API (docs/api.md) as the portal uses it. The browser authenticates with the
// HttpOnly session cookie that POST /api/v1/login sets; every request that changes something
// sends Content-Type: application/json, which the server requires of cookie-authenticated
// writes (a cross-site form cannot send it).

export interface User {
  name: string;
  display_name: string;
  email: string;
  provider: string;
  admin: boolean;
  disabled: boolean;
  groups: string[];
  created_at: string;
  updated_at: string;
  version: number;
  auth?: 'session' | 'token';
}

export interface Group {
  name: string;
  description: string;
  members: string[];
  created_at: string;
  updated_at: string;
  version: number;
}

export interface Environment {
  name: string;
  display_name: string;
  description: string;
  version: string;
  default_size: string;
  available: boolean;
  unavailable_reason: string;
}

export interface Size {
  name: string;
  description: string;
  cpu: string;
  memory: string;
  gpus: number;
}

export type Phase = 'pending' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface Workspace {
  id: string;
  owner: string;
  name: string;
  environment: string;
  size: string;
  volumes: string[];
  desired: 'running' | 'stopped';
  phase: Phase;
  reason: string;
  url: string;
  created_at: string;
  updated_at: string;
  last_activity_at: string | null; // the last request or WebSocket traffic through the gateway
  version: number;
}

export interface WorkspaceEvent {
  seq: number;
  time: string;
  warning: boolean;
  message: string;
}

export interface Volume {
  id: string;
  owner: string;
  name: string;
  created_at: string;
}

export interface Token {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  token?: string; // the secret, only in the answer to its creation
}

export interface Share {
  with: string; // "user:bob" or "group:analysts"
  kind: 'user' | 'group';
  principal: string;
  created_at: string;
}

// A quota as an admin sets it; null = no limit from this quota (inherited).
export interface Quota {
  subject: string; // "default", "user:alice", "group:analysts"
  workspaces: number | null;
  cpu: string | null; // "8", "500m"
  memory: string | null; // "32Gi"
  gpus: number | null;
  updated_by?: string;
  updated_at?: string | null;
  version?: number;
}

export interface QuotaUse<T> {
  limit: T | null; // null = no limit
  from: string | null; // "the default for everyone", "set for group analysts"
  used: T;
}

// GET /quota: a user's limits, what is in use, and which sizes one more workspace may have.
export interface QuotaUsage {
  user: string;
  workspaces: QuotaUse<number>;
  cpu: QuotaUse<string>;
  memory: QuotaUse<string>;
  gpus: QuotaUse<number>;
  active: string[];
  sizes: { name: string; fits: boolean; reason: string | null }[];
}

// GET /capacity (admins): what the machines offer and what active workspaces hold, per user.
export interface Capacity {
  machines: { description: string; cpu: string; memory: string; gpus: number; cpu_millis: number; memory_bytes: number } | null;
  in_use: { workspaces: number; cpu: string; memory: string; gpus: number; cpu_millis: number; memory_bytes: number };
  users: { user: string; workspaces: number; cpu: string; memory: string; memory_bytes: number; gpus: number; active: string[]; all: number }[];
}

interface List<T> {
  items: T[];
}

// An answer that was not a success: the server's own words when it gave any.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onSignedOut: (() => void) | null = null;
// Called when the server says the session is gone (expired, revoked, user disabled).
export function setSignedOutHandler(handler: () => void) {
  onSignedOut = handler;
}

const kUnreachable =
  'Could not reach k4ds. Check your network connection and that the server is running, then try again.';

export async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let code = 'unknown';
  let message = '';
  try {
    const body = JSON.parse(text);
    code = typeof body.code === 'string' ? body.code : code;
    message = typeof body.message === 'string' ? body.message : '';
  } catch {
    // not JSON: a proxy's page, for example; fall through to the generic words
  }
  if (!message) {
    message = `k4ds answered ${res.status} ${res.statusText}. Try again; if it keeps happening, tell your admin.`;
  }
  return new ApiError(res.status, code, message);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (method !== 'DELETE') init.body = JSON.stringify(body ?? {});
  }
  let res: Response;
  try {
    res = await fetch('/api/v1' + path, init);
  } catch {
    throw new ApiError(0, 'unavailable', kUnreachable);
  }
  if (!res.ok) {
    const error = await errorFrom(res);
    // A failed sign-in, or the first look at who is signed in, is not "you were signed out".
    if (res.status === 401 && path !== '/login' && path !== '/whoami' && onSignedOut) onSignedOut();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

// One path segment; ':' stays readable ("user:bob"), everything else is escaped.
export function seg(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':');
}

export function workspacePath(owner: string, name: string): string {
  return `/workspaces/${seg(owner)}/${seg(name)}`;
}

const items = async <T>(p: Promise<List<T>>) => (await p).items;

export const api = {
  login: (username: string, password: string) =>
    request<{ user: User; expires_at: string }>('POST', '/login', { username, password }),
  logout: () => request<void>('POST', '/logout'),
  whoami: () => request<User>('GET', '/whoami'),

  environments: () => items(request<List<Environment>>('GET', '/environments')),
  sizes: () => items(request<List<Size>>('GET', '/sizes')),

  workspaces: () => items(request<List<Workspace>>('GET', '/workspaces')),
  allWorkspaces: () => items(request<List<Workspace>>('GET', '/workspaces?all=true')),
  sharedWithMe: () => items(request<List<Workspace>>('GET', '/workspaces?shared=true')),
  workspace: (owner: string, name: string) => request<Workspace>('GET', workspacePath(owner, name)),
  launch: (spec: { environment: string; name?: string; size?: string; volumes?: string[] }) =>
    request<Workspace>('POST', '/workspaces', spec),
  start: (owner: string, name: string) =>
    request<Workspace>('POST', workspacePath(owner, name) + '/start'),
  stop: (owner: string, name: string) =>
    request<Workspace>('POST', workspacePath(owner, name) + '/stop'),
  remove: (owner: string, name: string) => request<void>('DELETE', workspacePath(owner, name)),

  shares: (owner: string, name: string) =>
    items(request<List<Share>>('GET', workspacePath(owner, name) + '/shares')),
  share: (owner: string, name: string, principals: string[]) =>
    items(request<List<Share>>('POST', workspacePath(owner, name) + '/shares', { with: principals })),
  unshare: (owner: string, name: string, principal: string) =>
    request<void>('DELETE', workspacePath(owner, name) + '/shares/' + seg(principal)),

  volumes: () => items(request<List<Volume>>('GET', '/volumes')),
  createVolume: (name: string) => request<Volume>('POST', '/volumes', { name }),

  tokens: () => items(request<List<Token>>('GET', '/tokens')),
  createToken: (name: string, expiresInDays?: number) =>
    request<Token>('POST', '/tokens', { name, expires_in_days: expiresInDays }),
  revokeToken: (id: string) => request<void>('DELETE', '/tokens/' + seg(id)),

  users: () => items(request<List<User>>('GET', '/users')),
  createUser: (user: { name: string; password?: string; display_name?: string; email?: string; admin?: boolean }) =>
    request<User>('POST', '/users', user),
  updateUser: (
    name: string,
    patch: { display_name?: string; email?: string; admin?: boolean; disabled?: boolean; password?: string },
  ) => request<User>('PATCH', '/users/' + seg(name), patch),
  deleteUser: (name: string) => request<void>('DELETE', '/users/' + seg(name)),

  groups: () => items(request<List<Group>>('GET', '/groups')),
  createGroup: (group: { name: string; description?: string }) => request<Group>('POST', '/groups', group),
  addMember: (group: string, user: string) =>
    request<Group>('PUT', '/groups/' + seg(group) + '/members/' + seg(user)),
  removeMember: (group: string, user: string) =>
    request<Group>('DELETE', '/groups/' + seg(group) + '/members/' + seg(user)),
  deleteGroup: (name: string) => request<void>('DELETE', '/groups/' + seg(name)),

  quota: (user?: string) => request<QuotaUsage>('GET', '/quota' + (user ? '?user=' + seg(user) : '')),
  capacity: () => request<Capacity>('GET', '/capacity'),
  quotas: () => items(request<List<Quota>>('GET', '/quotas')),
  putQuota: (quota: Quota) => request<Quota>('PUT', '/quotas/' + seg(quota.subject), quota),
  deleteQuota: (subject: string) => request<void>('DELETE', '/quotas/' + seg(subject)),

  rules: () => request<RuleList>('GET', '/rules'),
  addRule: (rule: RuleInput & { position?: number }) => request<RuleList>('POST', '/rules', rule),
  deleteRule: (id: string) => request<void>('DELETE', '/rules/' + seg(id)),
  policyCheck: (query: Record<string, string>) =>
    request<PolicyCheck>('GET', '/policy/check?' + new URLSearchParams(query).toString()),
};

export interface RuleInput {
  effect: 'allow' | 'deny';
  action: 'launch' | 'access' | 'admin';
  who: string[];
  environments?: string[];
  sizes?: string[];
  owners?: string[];
  description?: string;
}

export interface Rule extends RuleInput {
  id: string;
  position: number;
  summary: string;
}

export interface RuleList {
  items: Rule[];
  version: number;
  updated_by: string;
  updated_at: string | null;
}

export interface PolicyCheck {
  allowed: boolean;
  explanation: string;
  rule: Rule | null;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

// fetch with the session cookie and, on every state change, the anti-forgery token header.
let token = null;
const header = 'X-CSRF-TOKEN';

export async function refreshToken() {
  const response = await fetch('/api/v1/auth/antiforgery', { credentials: 'same-origin', cache: 'no-store' });
  token = (await response.json()).token;
  return token;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function toLogin() {
  const back = location.pathname + location.search;
  location.assign('/login?returnUrl=' + encodeURIComponent(back));
}

async function parse(response) {
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export async function get(path) {
  const response = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (response.status === 401) { toLogin(); throw new ApiError(401, null); }
  return parse(response);
}

export async function post(path, body, { redirectOn401 = true } = {}) {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (!token || attempt > 0) await refreshToken();
    const response = await fetch(path, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', [header]: token },
      body: JSON.stringify(body ?? {}),
    });
    if (response.status === 400 && attempt === 0) {
      const copy = response.clone();
      const problem = await copy.json().catch(() => null);
      if (problem?.error === 'antiforgery') continue; // token was for another session: fetch a new one once
    }
    if (response.status === 401 && redirectOn401) { toLogin(); throw new ApiError(401, null); }
    return parse(response);
  }
  throw new ApiError(400, { error: 'antiforgery', message: 'anti-forgery token refused' });
}

import { post, refreshToken } from './api.js';
import { applyStatic, t, toggleLang } from './i18n.js';
import { formatTime, onSubmit, setTimeZone } from './dom.js';

const message = document.getElementById('message');
applyStatic();
document.title = `${t('login.title')} · ${t('app.title')}`;
document.getElementById('lang').addEventListener('click', toggleLang);
if (location.pathname === '/denied') message.textContent = t('login.denied');

function landing(roles) {
  // A local path only: never send a fresh session to another site.
  const back = new URLSearchParams(location.search).get('returnUrl') || new URLSearchParams(location.search).get('ReturnUrl');
  if (back) {
    // Resolve as the browser will (it strips tabs and newlines), then accept only this origin, and no path that
    // would read as another site on its own ("/.//evil.example" resolves to the path "//evil.example").
    const target = new URL(back, location.origin);
    if (target.origin === location.origin && !target.pathname.startsWith('//')) return target.pathname + target.search + target.hash;
  }
  if (roles.includes('operator') || roles.includes('admin')) return '/';
  if (roles.includes('maintenance')) return '/maintenance';
  return '/reports';
}

onSubmit(document.getElementById('login'), async event => {
  event.preventDefault();
  message.textContent = '';
  try {
    await refreshToken();
    const me = await post('/api/v1/auth/login', {
      userName: document.getElementById('user').value,
      password: document.getElementById('password').value,
    }, { redirectOn401: false });
    location.assign(landing(me.roles));
  } catch (e) {
    message.textContent = refusal(e);
  }
});

/** Why a login was refused, in the page's language; a lock-out's end in the console's time zone, as every time it shows. */
function refusal(e) {
  if (e.status === 401) return t('login.invalid');
  if (e.status === 423 && e.body?.lockedUntil) {
    setTimeZone(e.body.timeZone);
    return t('login.locked', { until: formatTime(e.body.lockedUntil, true) });
  }
  if (e.status === 429) return t('login.throttled');
  return t('login.error', { msg: e.status ? e.message : t('act.no-answer') });
}

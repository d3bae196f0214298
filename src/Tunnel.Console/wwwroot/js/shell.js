// The header every signed-in page shares: title, navigation by role, user, language, log out.
import { get, post } from './api.js';
import { applyStatic, t, toggleLang } from './i18n.js';
import { el, replace, setTimeZone } from './dom.js';

export async function startPage(titleKey) {
  applyStatic();
  const me = await get('/api/v1/auth/me');
  setTimeZone(me.timeZone);
  drawHeader(titleKey, me);
  return me;
}

/** The header and the page's title in the current language: at the start, and again when the wall switches language in place. */
export function drawHeader(titleKey, me) {
  document.title = `${t(titleKey)} · ${t('app.title')}`;
  const has = (...roles) => roles.some(r => me.roles.includes(r));
  // From the wall, other pages open beside it: leaving it would silence its alarms while the operator looks a driver up.
  const away = location.pathname === '/' ? { target: '_blank', rel: 'noopener' } : {};
  const links = [
    has('operator', 'manager', 'admin') && el('a', { href: '/', text: t('nav.wall') }),
    has('maintenance', 'admin') && el('a', { href: '/maintenance', text: t('nav.maint'), ...away }),
    has('manager', 'admin') && el('a', { href: '/reports', text: t('nav.reports'), ...away }),
    has('operator', 'admin') && el('a', { href: '/contacts', text: t('nav.contacts'), ...away }),
    has('admin') && el('a', { href: '/users', text: t('nav.users'), ...away }),
  ];
  const header = document.getElementById('top');
  replace(header,
    el('h1', {}, t('app.title'), el('span', { class: 'sub', text: ' · ' + t(titleKey) })),
    el('nav', {}, links),
    el('span', { class: 'spacer' }),
    el('span', { id: 'conn', class: 'conn' }),
    el('a', { class: 'user', href: '/account', title: t('account.title'), 'data-testid': 'user', text: me.displayName || me.userName }),
    el('button', { type: 'button', class: 'link', 'data-testid': 'lang-toggle', onclick: toggleLang, text: t('lang.toggle') }),
    el('button', {
      type: 'button', class: 'link', text: t('logout'),
      onclick: async () => { await post('/api/v1/auth/logout', {}); location.assign('/login'); },
    }));
}

// Admin: console users. Create with roles, reset a password, unlock, retire; the server audits each.
import { get, post } from './api.js';
import { t } from './i18n.js';
import { el, formatTime, onSubmit, replace } from './dom.js';
import { startPage } from './shell.js';

const me = await startPage('users.title');
const roles = ['operator', 'maintenance', 'manager', 'admin'];
const form = document.getElementById('user-form');
const message = document.getElementById('user-message');
replace(document.getElementById('role-boxes'), [...roles, 'plates'].map(r =>
  el('label', {}, el('input', { type: 'checkbox', name: 'role', value: r }), ' ', t(r === 'plates' ? 'users.plates' : 'role.' + r))));

function say(text, ok = false) { message.textContent = text; message.className = ok ? 'message ok' : 'message'; }

async function run(path, body, done) {
  try { await post(path, body); say(done, true); // The audit log: who signed in and from where, who looked at plates, acted on alarms, changed users and sites.
const auditForm = document.getElementById('audit-form');
async function showAudit() {
  const query = new URLSearchParams({ days: auditForm.elements.days.value });
  for (const name of ['actor', 'subject']) if (auditForm.elements[name].value.trim()) query.set(name, auditForm.elements[name].value.trim());
  try {
    const audit = await get(`/api/v1/audit?${query}`);
    document.getElementById('audit-more').hidden = !audit.truncated;
    replace(document.getElementById('audit'), el('table', { class: 'grid' },
      el('thead', {}, el('tr', {}, ['audit.at', 'audit.actor', 'audit.action', 'audit.subject', 'audit.detail'].map(k => el('th', { text: t(k) })))),
      el('tbody', {}, audit.entries.map(e => el('tr', {},
        el('td', { text: formatTime(e.at, true) }), el('td', { text: e.actor }), el('td', { text: e.action }),
        el('td', { text: e.subject }), el('td', { text: e.detail ?? '' }))))));
  } catch (err) { replace(document.getElementById('audit'), el('p', { class: 'message', text: t('act.failed', { msg: err.message }) })); }
}
onSubmit(auditForm, e => { e.preventDefault(); showAudit(); });

await refresh();
await showAudit(); } catch (e) { say(t('act.failed', { msg: e.message })); }
}

async function refresh() {
  const users = await get('/api/v1/users');
  const now = Date.now();
  replace(document.getElementById('users'), el('table', { class: 'grid' },
    el('thead', {}, el('tr', {}, ['login.user', 'users.display', 'users.roles', 'agent.status', ''].map(k => el('th', { text: k ? t(k) : '' })))),
    el('tbody', {}, users.map(u => {
      const locked = u.lockedUntil && Date.parse(u.lockedUntil) > now;
      const until = locked && formatTime(u.lockedUntil, true);
      const status = u.disabled ? t('users.retired')
        : locked ? (u.lockedFrom.length ? t('users.locked-from', { until, addresses: u.lockedFrom.join(', ') }) : t('users.locked', { until }))
        : t('users.active');
      const cell = el('td', { class: 'actions' });
      const reset = () => {
        const input = el('input', { type: 'password', name: 'reset-password', minlength: 10, placeholder: t('account.new'), autocomplete: 'new-password' });
        replace(cell, el('form', { class: 'inline', onsubmit: e => { e.preventDefault(); run(`/api/v1/users/${encodeURIComponent(u.userName)}/password`, { password: input.value }, t('users.reset-done', { user: u.userName })); } },
          input, el('button', { type: 'submit', text: t('act.save') }), el('button', { type: 'button', text: t('act.cancel'), onclick: refresh })));
        input.focus();
      };
      if (!u.disabled) cell.append(
        el('button', { type: 'button', 'data-action': 'reset', text: t('users.reset'), onclick: reset }),
        locked && el('button', { type: 'button', 'data-action': 'unlock', text: t('users.unlock'),
          onclick: () => run(`/api/v1/users/${encodeURIComponent(u.userName)}/unlock`, {}, t('users.unlocked', { user: u.userName })) }),
        u.userName !== me.userName && el('button', { type: 'button', 'data-action': 'retire', text: t('users.retire'),
          onclick: () => run(`/api/v1/users/${encodeURIComponent(u.userName)}/retire`, {}, t('users.retired-done', { user: u.userName })) }));
      return el('tr', { 'data-user': u.userName, class: u.disabled ? 'left' : '' },
        el('td', { text: u.userName }), el('td', { text: u.displayName ?? '' }),
        el('td', { text: [...u.roles.map(r => t('role.' + r)), ...u.claims.map(() => t('users.plates'))].join('、') }),
        el('td', { 'data-testid': 'user-status', text: status }), cell);
    }))));
}

onSubmit(form, async e => {
  e.preventDefault();
  const checked = [...form.querySelectorAll('input[name=role]:checked')].map(c => c.value);
  const body = {
    userName: form.elements.userName.value, displayName: form.elements.displayName.value || null, password: form.elements.password.value,
    roles: checked.filter(r => r !== 'plates'), claims: checked.filter(r => r === 'plates'),
  };
  try { await post('/api/v1/users', body); form.reset(); say(t('users.created', { user: body.userName }), true); await refresh(); }
  catch (err) { say(t('act.failed', { msg: err.message })); }
});

await refresh();

// The driver contact directory: fleets and hazmat carriers register whom to call about a plate.
// A search or a delete names a plate: it goes in the request's body, never its address (proxies log addresses,
// browsers keep them in their history).
import { get, post } from './api.js';
import { t } from './i18n.js';
import { el, formatTime, onSubmit, plateChip, replace } from './dom.js';
import { startPage } from './shell.js';

await startPage('contacts.title');
const form = document.getElementById('contact-form');
const message = document.getElementById('contact-message');
let search = '';

async function refresh() {
  const rows = search ? await post('/api/v1/contacts/search', { search }) : await get('/api/v1/contacts');
  replace(document.getElementById('contacts'), rows.length === 0 ? el('p', { text: t('contacts.none') }) :
    el('table', { class: 'grid' },
      el('thead', {}, el('tr', {}, ['col.plate', 'contact.name', 'contact.phone', 'contact.company', 'contact.note', 'contact.updated', ''].map(k => el('th', { text: k ? t(k) : '' })))),
      el('tbody', {}, rows.map(c => el('tr', { 'data-contact': c.plate },
        el('td', {}, plateChip(c.plate, null)),
        el('td', { text: c.name }), el('td', { class: 'mono', text: c.phone }), el('td', { text: c.company ?? '' }), el('td', { text: c.note ?? '' }),
        el('td', { class: 'muted', text: `${formatTime(c.updatedAt, true)} · ${c.updatedBy}` }),
        el('td', {},
          el('button', { type: 'button', text: t('act.edit'), onclick: () => edit(c) }),
          el('button', { type: 'button', 'data-action': 'delete', text: t('act.delete'), onclick: () => remove(c) })))))));
}

function edit(c) {
  for (const name of ['plate', 'name', 'phone', 'company', 'note']) form.elements[name].value = c[name] ?? '';
  form.elements.name.focus();
}

async function remove(c) {
  if (!confirm(t('contacts.confirm-delete', { plate: c.plate }))) return;
  try {
    await post('/api/v1/contacts/delete', { plate: c.plate });
    await refresh();
  } catch (e) {
    message.textContent = t('act.failed', { msg: e.message });
  }
}

onSubmit(form, async e => {
  e.preventDefault();
  const body = Object.fromEntries(['plate', 'name', 'phone', 'company', 'note'].map(n => [n, form.elements[n].value]));
  try {
    await post('/api/v1/contacts', body);
    message.textContent = '';
    form.reset();
    await refresh();
  } catch (err) {
    message.textContent = t('act.failed', { msg: err.message });
  }
});

onSubmit(document.getElementById('search-form'), async e => {
  e.preventDefault();
  search = e.target.elements.search.value.trim();
  await refresh();
});

await refresh();

// Maintenance: edge agent health and the dead-letter store, refreshed every few seconds.
import { get, post } from './api.js';
import { t } from './i18n.js';
import { boreName, el, formatTime, replace } from './dom.js';
import { startPage } from './shell.js';

await startPage('maint.title');

function table(headers, rows) {
  return el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, headers.map(h => el('th', { text: t(h) })))), el('tbody', {}, rows));
}

function pct(share) { return share === null || share === undefined ? '–' : `${(share * 100).toFixed(1)} %`; }

// Kept across refreshes: the same snapshot is not fetched (and audited) again every few seconds.
const snapshotImages = new Map();
function snapshotCell(a) {
  if (!a.latestPassageAt) return '–';
  const when = el('div', { class: 'muted', text: formatTime(a.latestPassageAt, true) });
  if (!a.latestSnapshotUrl) return el('span', {}, when);
  let img = snapshotImages.get(a.latestSnapshotUrl);
  if (!img) {
    img = el('img', { class: 'thumb', src: a.latestSnapshotUrl, alt: t('snapshot.alt'), 'data-testid': 'agent-snapshot' });
    snapshotImages.set(a.latestSnapshotUrl, img);
  }
  return el('span', {}, img, when);
}

// No status (heartbeat) yet: seen only through its passages, or not at all (a camera set up whose box never reported).
function agentStatus(a) { return !a.reported ? 'unreported' : !a.online ? 'offline' : a.stale ? 'stale' : 'online'; }
const statusOrder = ['offline', 'unreported', 'stale', 'online'];

function num(value, digits = 1) { return value === null || value === undefined ? '–' : Number(value).toFixed(digits); }

async function refresh() {
  const [agents, towers, dead] = await Promise.all([get('/api/v1/agents'), get('/api/v1/alarm-towers'), get('/api/v1/dead-letters?limit=100')]);
  renderTowers(towers);
  replace(document.getElementById('agents'), agents.length === 0 ? el('p', { text: t('agents.none') }) : table(
    ['agent.id', 'agent.where', 'agent.status', 'agent.heartbeat', 'agent.fps', 'agent.queue', 'agent.offset',
      'agent.hour', 'agent.rejected', 'agent.unread', 'agent.unmatched', 'agent.snapshot', 'agent.error'],
    // What needs a ladder first: offline, never heard from, silent; then the ones that work.
    agents.map(a => ({ a, status: agentStatus(a) })).sort((x, y) => statusOrder.indexOf(x.status) - statusOrder.indexOf(y.status)).map(({ a, status }) => {
      return el('tr', { class: 'agent-' + status, 'data-agent': a.agentId },
        el('td', { text: a.agentId }),
        el('td', { text: [a.site, a.bore && boreName(a.bore), a.portal && t('portal.' + a.portal), a.lane && t('alarm.lane', { n: a.lane })].filter(Boolean).join(' · ') }),
        el('td', {}, el('span', { class: 'badge ' + status, text: t('agent.' + status) })),
        el('td', { text: a.lastHeartbeat ? `${formatTime(a.lastHeartbeat, true)} (${Math.round(a.heartbeatAgeSeconds)} s)` : '–' }),
        el('td', { text: num(a.fps) }),
        el('td', { text: a.queueDepth ?? '–' }),
        // Ten seconds off already puts its passages out of step with the other portal's.
        el('td', { class: Math.abs(a.clockOffsetMs ?? 0) > 10000 ? 'warn' : '', 'data-testid': 'offset', text: num(a.clockOffsetMs, 0) }),
        el('td', { text: a.passagesLastHour }),
        el('td', { class: a.rejectedLastHour > 0 ? 'warn' : '', 'data-testid': 'rejected', text: a.rejectedLastHour }),
        el('td', { 'data-testid': 'unread', text: pct(a.unreadShare) }),
        el('td', { 'data-testid': 'unmatched', text: pct(a.unmatchedExitShare) }),
        el('td', {}, snapshotCell(a)),
        el('td', { class: 'error', text: a.lastError ?? '' }));
    })));
  replace(document.getElementById('dead'), dead.length === 0 ? el('p', { text: t('dead.none') }) : table(
    ['dead.at', 'dead.topic', 'dead.agent', 'dead.reason', 'dead.payload'],
    dead.map(d => el('tr', { 'data-dead-letter': d.id },
      el('td', { text: formatTime(d.receivedAt, true) }),
      el('td', { class: 'mono', text: d.topic }),
      el('td', { text: d.agentId ?? '–' }),
      el('td', {}, el('b', { text: d.reasonCode }), el('br'), d.reason),
      el('td', {}, el('pre', { class: 'payload', 'data-testid': 'payload', text: d.payloadPreview }))))));
}

// Beacons and sirens: one that cannot be reached would stay dark through an alarm, so it comes first.
const towersMessage = document.getElementById('towers-message');
async function testTower(id, kind) {
  try {
    await post(`/api/v1/alarm-towers/${encodeURIComponent(id)}/test?kind=${kind}`, {});
    towersMessage.className = 'message ok';
    towersMessage.textContent = t('tower.tested-' + kind, { id });
  } catch (e) {
    towersMessage.className = 'message';
    towersMessage.textContent = t('tower.test-failed', { msg: e.body?.message ?? e.message });
  }
  await refresh();
}

function renderTowers(towers) {
  replace(document.getElementById('towers'), towers.length === 0 ? el('p', { text: t('towers.none') }) : table(
    ['tower.id', 'tower.endpoint', 'tower.status', 'tower.lit', 'tower.last', 'tower.error', ''],
    towers.slice().sort((x, y) => Number(x.working) - Number(y.working)).map(tw => {
      const status = !tw.online ? 'offline' : tw.working ? 'online' : 'refused';
      return el('tr', { class: 'agent-' + (tw.working ? 'online' : 'offline'), 'data-tower': tw.id },
        el('td', { text: tw.id }),
        el('td', { class: 'mono', text: tw.endpoint }),
        el('td', {}, el('span', { class: 'badge ' + (tw.working ? 'online' : 'offline'), text: t('tower.' + status) }),
          tw.testing ? ' ' + t('tower.testing-' + tw.testing) : ''),
        el('td', { 'data-testid': 'lit', text: tw.online ? tw.outputsLit : '–' }),
        el('td', { text: tw.lastWriteAt ? formatTime(tw.lastWriteAt, true) : '–' }),
        el('td', { class: 'error', text: tw.lastError ?? '' }),
        el('td', {},
          el('button', { type: 'button', 'data-action': 'test-lamps', text: t('tower.test-lamps'), onclick: () => testTower(tw.id, 'lamps') }), ' ',
          el('button', { type: 'button', 'data-action': 'test-sirens', text: t('tower.test-sirens'), onclick: () => testTower(tw.id, 'sirens') })));
    })));
}

// --- sites, bores and their cameras ------------------------------------------------------------
const sitesMessage = document.getElementById('sites-message');

async function change(path, body) {
  try {
    const view = await post(path, body);
    sitesMessage.className = 'message ok';
    sitesMessage.textContent = view?.warnings?.length ? t('sites.saved-warn', { w: view.warnings.join('; ') }) : t('sites.saved');
    renderSites(view ?? await get('/api/v1/sites'));
  } catch (e) {
    sitesMessage.className = 'message';
    const problems = e.body?.problems ?? [e.message];
    sitesMessage.textContent = t('sites.refused', { msg: problems.map(siteProblem).join('；') });
  }
}

// The service states its refusals in English; the ones it is known to give are worded in the reader's language.
const siteProblems = [
  [/^bore '([^']+)' has (\d+) vehicle\(s\) inside in lanes above (\d+)/, 'sites.err.lanes', ['bore', 'n', 'lanes']],
  [/^bore '([^']+)' has (\d+) vehicle\(s\) inside/, 'sites.err.busy', ['bore', 'n']],
  [/^bore '([^']+)' has (\d+) open alarm/, 'sites.err.alarms', ['bore', 'n']],
  [/^bore '([^']+)': lanes must be/, 'sites.err.lanes-range', ['bore']],
  [/^bore '([^']+)': lengthMeters must be/, 'sites.err.length', ['bore']],
  [/^bore '([^']+)': speedLimitKmh must be/, 'sites.err.speed', ['bore']],
  [/^bore '([^']+)': id must be/, 'sites.err.id', ['bore']],
  [/^site id '([^']*)' must be/, 'sites.err.id', ['bore']],
  [/^(?:site|bore) '([^']+)' exists/, 'sites.err.exists', ['bore']],
  [/^'([^']+)' is the site's only bore/, 'sites.err.only-bore', ['bore']],
  [/^the last site cannot be retired/, 'sites.err.last-site', []],
  [/^bore '[^']+': (\w+) lane (\d+) has \d+ active cameras/, 'sites.err.camera-taken', ['portal', 'lane']],
  [/^bore '[^']+': camera '([^']+)' lane (\d+) must be 1 to (\d+)/, 'sites.err.camera-lane', ['camera', 'lane', 'lanes']],
  [/^bore '[^']+': camera '([^']+)' appears twice/, 'sites.err.exists', ['bore']],
  [/^bore '[^']+': camera id '([^']*)' must be/, 'sites.err.id', ['bore']],
  [/^camera '([^']+)' exists/, 'sites.err.exists', ['bore']],
];
function siteProblem(text) {
  for (const [pattern, key, names] of siteProblems) {
    const m = pattern.exec(text);
    if (m) return t(key, Object.fromEntries(names.map((n, i) => [n, n === 'portal' ? t('portal.' + m[i + 1]) : m[i + 1]])));
  }
  return text;
}

const field = (name, value, attrs = {}) => el('input', { name, value: value ?? '', required: true, ...attrs });
const boreFields = b => [
  field('lengthMeters', b?.lengthMeters, { type: 'number', min: 1, step: 1, title: t('bore.length'), placeholder: t('bore.length') }),
  field('speedLimitKmh', b?.speedLimitKmh, { type: 'number', min: 1, max: 200, title: t('bore.speed'), placeholder: t('bore.speed') }),
  field('lanes', b?.lanes, { type: 'number', min: 1, max: 8, title: t('bore.lanes'), placeholder: t('bore.lanes') }),
];
const values = form => ({ lengthMeters: Number(form.elements.lengthMeters.value), speedLimitKmh: Number(form.elements.speedLimitKmh.value),
  lanes: Number(form.elements.lanes.value) });

function boreRow(site, b) {
  const form = el('form', { class: 'inline', 'data-testid': 'bore-form', onsubmit: e => {
    e.preventDefault(); change(`/api/v1/sites/${site.id}/bores/${b.id}`, values(form));
  } }, boreFields(b), el('button', { type: 'submit', text: t('act.save') }),
    el('button', { type: 'button', 'data-action': 'retire-bore', text: t('sites.retire'), onclick: () => change(`/api/v1/sites/${site.id}/bores/${b.id}/retire`, {}) }));
  return [el('tr', { 'data-bore-setup': `${site.id}/${b.id}` },
    el('td', { text: boreName(b.id) }), el('td', {}, form),
    el('td', { class: 'muted', text: t('sites.nominal', { s: Math.round(b.nominalTransitSeconds) }) }),
    el('td', { class: 'mono muted', 'data-testid': 'bore-agents', text: b.agents.join(' ') })),
  el('tr', { 'data-bore-cameras': `${site.id}/${b.id}` }, el('td'), el('td', { colspan: 3 }, cameraTable(site, b)))];
}

// A bore's cameras: every record, retired ones too; names are the maintainers' free text, shown as text only.
function cameraTable(site, b) {
  const base = `/api/v1/sites/${encodeURIComponent(site.id)}/bores/${encodeURIComponent(b.id)}/cameras`;
  const rows = b.cameras.map(c => {
    const path = `${base}/${encodeURIComponent(c.id)}`;
    const rename = el('form', { class: 'inline', 'data-testid': 'camera-name', onsubmit: e => {
      e.preventDefault(); change(path, { name: rename.elements.name.value });
    } }, el('input', { name: 'name', value: c.name ?? '', maxlength: 256, placeholder: t('camera.name') }),
      el('button', { type: 'submit', text: t('act.save') }));
    return el('tr', { 'data-camera': c.id, class: c.retired ? 'camera-retired' : 'camera-active' },
      el('td', {}, rename),
      el('td', { class: 'mono', text: c.id }),
      el('td', { text: t('portal.' + c.portal) }),
      el('td', { text: t('alarm.lane', { n: c.lane }) }),
      el('td', {}, el('span', { class: 'badge ' + (c.retired ? 'offline' : 'online'), text: t(c.retired ? 'camera.retired' : 'camera.active') })),
      el('td', {}, c.retired
        ? el('button', { type: 'button', 'data-action': 'activate-camera', text: t('camera.activate'), onclick: () => change(`${path}/activate`, {}) })
        : el('button', { type: 'button', 'data-action': 'retire-camera', text: t('sites.retire'), onclick: () => change(`${path}/retire`, {}) })));
  });
  // Only the portal lanes with no active camera can take a new one.
  const free = ['entry', 'exit'].flatMap(portal => Array.from({ length: b.lanes }, (_, i) => i + 1)
    .filter(lane => !b.cameras.some(c => !c.retired && c.portal === portal && c.lane === lane)).map(lane => ({ portal, lane })));
  const add = free.length === 0 ? null : el('form', { class: 'inline', 'data-testid': 'new-camera', onsubmit: e => {
    e.preventDefault();
    const f = add.elements; const [portal, lane] = f.at.value.split(':');
    change(base, { id: f.id.value.trim() || null, portal, lane: Number(lane), name: f.name.value });
  } }, el('select', { name: 'at', title: t('camera.at') }, free.map(x => el('option', { value: `${x.portal}:${x.lane}`,
      text: `${t('portal.' + x.portal)} · ${t('alarm.lane', { n: x.lane })}` }))),
    el('input', { name: 'id', placeholder: t('camera.id-optional'), pattern: '[a-z0-9_-]{1,64}' }),
    el('input', { name: 'name', maxlength: 256, placeholder: t('camera.name') }),
    el('button', { type: 'submit', text: t('camera.add') }));
  return el('div', { class: 'cameras' },
    table(['camera.name', 'camera.id', 'camera.portal', 'camera.lane', 'camera.state', 'camera.action'], rows), add);
}

function renderSites(view) {
  const newBore = site => {
    const form = el('form', { class: 'inline', 'data-testid': 'new-bore', onsubmit: e => {
      e.preventDefault(); change(`/api/v1/sites/${site.id}/bores`, { id: form.elements.id.value.trim(), ...values(form) });
    } }, field('id', '', { placeholder: t('sites.bore-id'), pattern: '[a-z0-9_-]{1,64}' }), boreFields(null),
      el('button', { type: 'submit', text: t('sites.add-bore') }));
    return form;
  };
  const newSite = el('form', { class: 'inline', 'data-testid': 'new-site', onsubmit: e => {
    e.preventDefault();
    const f = newSite.elements;
    change('/api/v1/sites', { id: f.siteId.value.trim(), name: f.siteName.value, bores: [{ id: f.id.value.trim(), ...values(newSite) }] });
  } }, field('siteId', '', { placeholder: t('sites.site-id'), pattern: '[a-z0-9_-]{1,64}' }),
    el('input', { name: 'siteName', placeholder: t('sites.site-name') }),
    field('id', '', { placeholder: t('sites.bore-id'), pattern: '[a-z0-9_-]{1,64}' }), boreFields(null),
    el('button', { type: 'submit', text: t('sites.add-site') }));
  replace(document.getElementById('sites'),
    view.sites.map(site => el('article', { class: 'site', 'data-site': site.id },
      el('h3', {}, `${site.name ?? site.id} `, el('span', { class: 'muted', text: site.id }), ' ',
        el('button', { type: 'button', 'data-action': 'retire-site', text: t('sites.retire-site'), onclick: () => change(`/api/v1/sites/${site.id}/retire`, {}) })),
      table(['sites.bore', 'sites.params', 'sites.transit', 'sites.agents'], site.bores.flatMap(b => boreRow(site, b))),
      newBore(site))),
    el('h3', { text: t('sites.new-site') }), newSite);
}

renderSites(await get('/api/v1/sites'));
await refresh();
setInterval(() => refresh().catch(() => { /* shown stale until the next try */ }), 5000);

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
  // An empty cell would look like a camera fault: it says whether the passage had no snapshot or has one the grant is needed for.
  if (!a.latestSnapshotUrl) {
    const [testid, key] = a.latestPassageHasSnapshot ? ['snapshot-needs-grant', 'snapshot.needs-grant'] : ['snapshot-none', 'snapshot.none'];
    return el('span', {}, el('div', { class: 'muted', 'data-testid': testid, text: t(key) }), when);
  }
  const url = a.latestSnapshotUrl;
  let shown = snapshotImages.get(url);
  if (!shown) {
    const img = el('img', { class: 'thumb', src: url, alt: t('snapshot.alt'), 'data-testid': 'agent-snapshot' });
    // A passage can name a picture the service could not keep (a full disk) or has since purged: a broken image would
    // look like a camera fault. Kept in its place, so the next refresh does not ask again.
    img.addEventListener('error', () => {
      const none = el('div', { class: 'muted', 'data-testid': 'snapshot-none', text: t('snapshot.none') });
      if (snapshotImages.get(url) === img) snapshotImages.set(url, none);
      img.replaceWith(none);
    }, { once: true });
    snapshotImages.set(url, shown = img);
  }
  return el('span', {}, shown, when);
}

/**
 * Only the agents' latest snapshots stay kept: an image keeps the detached table it was last shown in alive, so each one
 * kept past its time would hold a whole old agent table, a new one every refresh that brings new passages.
 */
function forgetOldSnapshots(agents) {
  const latest = new Set(agents.map(a => a.latestSnapshotUrl).filter(Boolean));
  for (const url of snapshotImages.keys()) if (!latest.has(url)) snapshotImages.delete(url);
}

/** Site names by id, from the latest sites view: the agent table names 猫狸岭隧道, not maoliling. */
const siteNames = new Map();
function learnSiteNames(view) {
  siteNames.clear();
  for (const site of view.sites) siteNames.set(site.id, site.name ?? site.id);
}

// No status (heartbeat) yet: seen only through its passages, or not at all (a camera set up whose box never reported).
function agentStatus(a) { return !a.reported ? 'unreported' : !a.online ? 'offline' : a.stale ? 'stale' : 'online'; }
const statusOrder = ['offline', 'unreported', 'stale', 'online'];

function num(value, digits = 1) { return value === null || value === undefined ? '–' : Number(value).toFixed(digits); }

// --- what makes a camera worth a look (README, Maintenance) -------------------------------------
/** A 25 fps camera handling under about half its frames reads too few plates of a vehicle at speed. */
const MIN_FPS = 12;
/** More than this share of an agent's passages of the last hour without a plate read: dirty lens, glare, aim. */
const MAX_UNREAD_SHARE = 0.15;
/** More than this share of its exits matching no entry: this or the entry camera misreads. */
const MAX_UNMATCHED_EXIT_SHARE = 0.25;
/** The shares above are judged only over at least this many passages of the last hour (fewer is noise). */
const MIN_PASSAGES_FOR_SHARES = 10;
/** No passage in the last hour while another camera of the same bore saw at least this many: the lane is blind. */
const QUIET_LANE_PEER_PASSAGES = 10;
/** Agents report every 10 s: this long without a heartbeat is three missed (the service calls it silent at 90 s). */
const HEARTBEAT_LATE_SECONDS = 30;
/** A camera put into service this recently has not had an hour to see traffic: it is not called blind for an empty hour yet. */
const NEW_CAMERA_MS = 60 * 60 * 1000;

/** Until when the agent's camera counts as new (null: not new, or in service since before the console knew). */
function newUntil(a) {
  const until = a.activeSince ? Date.parse(a.activeSince) + NEW_CAMERA_MS : NaN;
  return until > Date.now() ? until : null;
}

/** The problems of one agent, each a short reason in words (never colour alone). */
function agentFlags(a, all) {
  const flags = [];
  if (a.online && a.fps !== null && a.fps !== undefined && a.fps < MIN_FPS)
    flags.push(['fps', t('flag.fps', { v: num(a.fps), min: MIN_FPS })]);
  const judged = (a.passagesLastHour ?? 0) >= MIN_PASSAGES_FOR_SHARES;
  if (judged && (a.unreadShare ?? 0) > MAX_UNREAD_SHARE)
    flags.push(['unread', t('flag.unread', { v: pct(a.unreadShare), max: pct(MAX_UNREAD_SHARE) })]);
  if (judged && (a.unmatchedExitShare ?? 0) > MAX_UNMATCHED_EXIT_SHARE)
    flags.push(['unmatched', t('flag.unmatched', { v: pct(a.unmatchedExitShare), max: pct(MAX_UNMATCHED_EXIT_SHARE) })]);
  if ((a.passagesLastHour ?? 0) === 0 && a.bore && !newUntil(a)) {
    const peers = Math.max(0, ...all.filter(o => o !== a && o.site === a.site && o.bore === a.bore).map(o => o.passagesLastHour ?? 0));
    if (peers >= QUIET_LANE_PEER_PASSAGES) flags.push(['quiet', t('flag.quiet', { peers })]);
  }
  if (a.online && a.heartbeatAgeSeconds !== null && a.heartbeatAgeSeconds !== undefined && a.heartbeatAgeSeconds > HEARTBEAT_LATE_SECONDS)
    flags.push(['heartbeat', t('flag.heartbeat', { s: Math.round(a.heartbeatAgeSeconds) })]);
  return flags;
}

// --- refreshing, and saying so when it fails ----------------------------------------------------
const REFRESH_EVERY_MS = 5000;
/** After a failure, try again sooner: the page comes back by itself soon after the server does. */
const RETRY_AFTER_FAILURE_MS = 2000;
/** An answer this late counts as a failure: a hung request must not leave the page looking live. */
const REFRESH_TIMEOUT_MS = 8000;

const shown = { agents: null, towers: null, at: null };
const failing = { count: 0, why: null };
let refreshTimer = null;
let requested = 0;
let applied = 0;

function withTimeout(promise, ms) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { timeout: true })), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function failureReason(e) {
  if (e?.timeout) return t('refresh.timeout', { s: REFRESH_TIMEOUT_MS / 1000 });
  if (e?.status) return t('refresh.http', { status: e.status });
  return t('refresh.unreachable');
}

/** Fetches everything the page shows; never throws: a failure is shown on the page and retried. */
async function refresh() {
  const mine = ++requested;
  try {
    const [agents, towers, dead, sites] = await withTimeout(Promise.all([get('/api/v1/agents'), get('/api/v1/alarm-towers'),
      get('/api/v1/dead-letters?limit=100'), get('/api/v1/sites')]), REFRESH_TIMEOUT_MS);
    if (mine < applied) return; // an older answer arriving after a newer one
    applied = mine;
    Object.assign(shown, { agents, towers, at: Date.now() });
    failing.count = 0; failing.why = null;
    learnSiteNames(sites);
    renderAgents(agents, false);
    renderTowers(towers, false);
    renderDead(dead);
    renderBlindLanes(sites);
  } catch (e) {
    if (e?.status === 401) return; // on the way to the login page
    if (mine < applied) return;
    applied = mine;
    failing.count++; failing.why = failureReason(e);
    if (shown.agents) renderAgents(shown.agents, true);
    if (shown.towers) renderTowers(shown.towers, true);
  } finally {
    showRefreshState();
    if (mine === requested) {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refresh, failing.count ? RETRY_AFTER_FAILURE_MS : REFRESH_EVERY_MS);
    }
  }
}

const refreshedLine = document.getElementById('refreshed');
const failedBanner = document.getElementById('refresh-failed');
function showRefreshState() {
  const when = shown.at ? { t: formatTime(new Date(shown.at).toISOString(), true), s: Math.round((Date.now() - shown.at) / 1000) } : null;
  refreshedLine.textContent = when ? t('refresh.at', when) : t('refresh.never');
  refreshedLine.classList.toggle('old', failing.count > 0);
  failedBanner.hidden = failing.count === 0;
  failedBanner.textContent = failing.count === 0 ? ''
    : when ? t('refresh.failed', { n: failing.count, why: failing.why, ...when }) : t('refresh.failed-first', { n: failing.count, why: failing.why });
  for (const id of ['agents', 'towers']) document.getElementById(id).classList.toggle('outdated', failing.count > 0);
}

function renderAgents(agents, outdated) {
  const rows = agents.map(a => ({ a, status: agentStatus(a), flags: agentFlags(a, agents) }));
  const flagged = rows.filter(r => r.status !== 'online' || r.flags.length > 0).length;
  const rank = r => r.status === 'online' && r.flags.length > 0 ? statusOrder.indexOf('stale') + 0.5 : statusOrder.indexOf(r.status);
  replace(document.getElementById('agents'), agents.length === 0 ? el('p', { text: t('agents.none') }) : [
    el('p', { class: flagged ? 'agents-summary warn' : 'agents-summary', 'data-testid': 'agents-summary',
      text: flagged ? t('agents.flagged', { n: flagged }) : t('agents.all-ok') }),
    table(
      ['agent.id', 'agent.where', 'agent.status', 'agent.flags', 'agent.heartbeat', 'agent.fps', 'agent.queue', 'agent.offset',
        'agent.hour', 'agent.rejected', 'agent.unread', 'agent.unmatched', 'agent.snapshot', 'agent.error'],
      // What needs a ladder first: offline, never heard from, silent, working badly; then the ones that work.
      rows.sort((x, y) => rank(x) - rank(y)).map(({ a, status, flags }) => {
        const flagCodes = new Set(flags.map(([code]) => code));
        const label = t('agent.' + status);
        const isNew = newUntil(a);
        return el('tr', { class: `agent-${status}${flags.length ? ' agent-flagged' : ''}`, 'data-agent': a.agentId },
          el('td', { text: a.agentId }),
          el('td', { 'data-testid': 'where', text: [a.site && (siteNames.get(a.site) ?? a.site), a.bore && boreName(a.bore), a.portal && t('portal.' + a.portal),
            a.lane && t('alarm.lane', { n: a.lane })].filter(Boolean).join(' · ') }),
          el('td', {}, el('span', { class: 'badge ' + (outdated ? 'old' : status), 'data-testid': 'status',
            text: outdated ? t('agent.last-known', { s: label }) : label })),
          el('td', { 'data-testid': 'flags' }, flags.map(([code, text]) => el('span', { class: 'flag', 'data-flag': code, text })),
            isNew && el('span', { class: 'muted', 'data-testid': 'new-camera', text: t('agent.new', { t: formatTime(new Date(isNew).toISOString()) }) })),
          el('td', { class: flagCodes.has('heartbeat') ? 'warn' : '', text: a.lastHeartbeat ? `${formatTime(a.lastHeartbeat, true)} (${Math.round(a.heartbeatAgeSeconds)} s)` : '–' }),
          el('td', { class: flagCodes.has('fps') ? 'warn' : '', 'data-testid': 'fps', text: num(a.fps) }),
          el('td', { text: a.queueDepth ?? '–' }),
          // Ten seconds off already puts its passages out of step with the other portal's.
          el('td', { class: Math.abs(a.clockOffsetMs ?? 0) > 10000 ? 'warn' : '', 'data-testid': 'offset', text: num(a.clockOffsetMs, 0) }),
          el('td', { class: flagCodes.has('quiet') ? 'warn' : '', text: a.passagesLastHour }),
          el('td', { class: a.rejectedLastHour > 0 ? 'warn' : '', 'data-testid': 'rejected', text: a.rejectedLastHour }),
          el('td', { class: flagCodes.has('unread') ? 'warn' : '', 'data-testid': 'unread', text: pct(a.unreadShare) }),
          el('td', { class: flagCodes.has('unmatched') ? 'warn' : '', 'data-testid': 'unmatched', text: pct(a.unmatchedExitShare) }),
          el('td', {}, snapshotCell(a)),
          el('td', { class: 'error', text: a.lastError ?? '' }));
      }))]);
  forgetOldSnapshots(agents);
}

function renderDead(dead) {
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

function renderTowers(towers, outdated) {
  replace(document.getElementById('towers'), towers.length === 0 ? el('p', { text: t('towers.none') }) : table(
    ['tower.id', 'tower.endpoint', 'tower.status', 'tower.lit', 'tower.last', 'tower.error', ''],
    towers.slice().sort((x, y) => Number(x.working) - Number(y.working)).map(tw => {
      const status = !tw.online ? 'offline' : tw.working ? 'online' : 'refused';
      return el('tr', { class: 'agent-' + (tw.working ? 'online' : 'offline'), 'data-tower': tw.id },
        el('td', { text: tw.id }),
        el('td', { class: 'mono', text: tw.endpoint }),
        el('td', {}, el('span', { class: 'badge ' + (outdated ? 'old' : tw.working ? 'online' : 'offline'),
          text: outdated ? t('tower.last-known', { s: t('tower.' + status) }) : t('tower.' + status) }),
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
const sitesCameras = document.getElementById('sites-cameras');

async function change(path, body) {
  showCameraChanges(null);
  try {
    const view = await post(path, body);
    sitesMessage.className = 'message ok';
    sitesMessage.textContent = view?.warnings?.length ? t('sites.saved-warn', { w: view.warnings.join('; ') }) : t('sites.saved');
    showCameraChanges(view);
    const sites = view ?? await get('/api/v1/sites');
    learnSiteNames(sites);
    renderSites(sites);
    renderBlindLanes(sites);
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

// Retiring leaves lanes unwatched: asked first, in the page, naming what goes and what it leaves blind.
const confirmBox = document.getElementById('confirm');
function confirmRetire(what, blind) {
  document.getElementById('confirm-what').textContent = what;
  document.getElementById('confirm-blind').textContent = blind;
  confirmBox.returnValue = '';
  confirmBox.showModal();
  return new Promise(resolve => confirmBox.addEventListener('close', () => resolve(confirmBox.returnValue === 'confirm'), { once: true }));
}
async function retire(path, what, blind) {
  if (await confirmRetire(what, blind)) return change(path, {});
  showCameraChanges(null);
  sitesMessage.className = 'message ok';
  sitesMessage.textContent = t('sites.cancelled');
}
const place = (siteName, boreId, portal, lane) => t('blind.lane', { site: siteName, bore: boreName(boreId), portal: t('portal.' + portal), lane });
const laneName = (site, b, portal, lane) => place(site.name ?? site.id, b.id, portal, lane);
const cameraLabel = c => c.name ? `${c.name} (${c.id})` : c.id;

/**
 * An edit of a bore's lanes, a new bore or a retired site puts cameras into service or out of it as well: each is named,
 * and each new one with how to test it, rather than a bare "applied".
 */
function showCameraChanges(view) {
  const added = view?.camerasAdded ?? [];
  const retired = view?.camerasRetired ?? [];
  const line = c => t('camera.change', { where: place(c.siteName ?? c.site, c.bore, c.portal, c.lane), camera: cameraLabel(c), agent: c.agentId });
  sitesCameras.hidden = added.length + retired.length === 0;
  replace(sitesCameras,
    added.length > 0 && [el('b', { text: t('cameras.added') }), el('ul', {}, added.map(c =>
      el('li', { 'data-camera-added': `${c.site}/${c.bore}/${c.id}` }, line(c), checkHint(c.site, c.bore, c, true))))],
    retired.length > 0 && [el('b', { text: t('cameras.retired') }), el('ul', {}, retired.map(c =>
      el('li', { 'data-camera-retired': `${c.site}/${c.bore}/${c.id}`, text: line(c) })))]);
}

/**
 * The command that tests a camera on its edge box (README, the edge agent: `tunnel agent --check`), its lane given as
 * environment variables so it tests this camera whatever the box's agent.json says. Ids are only a-z 0-9 - _, plain in a
 * shell. The broker password stays out of the page: the box has it, or the server's data/broker/credentials.json.
 */
function checkCommand(siteId, boreId, c) {
  return [`TUNNEL_AGENT__SITE=${siteId}`, `TUNNEL_AGENT__BORE=${boreId}`, `TUNNEL_AGENT__PORTAL=${c.portal}`, `TUNNEL_AGENT__LANE=${c.lane}`,
    `TUNNEL_AGENT__CAMERAID=${c.id}`, 'tunnel agent --config agent.json --check'].join(' ');
}
function checkHint(siteId, boreId, c, open = false) {
  return el('details', { class: 'camera-check', 'data-testid': 'camera-check', open },
    el('summary', { text: t('camera.check') }),
    el('div', { class: 'muted', text: t('camera.check-how', { agent: c.agentId }) }),
    el('code', { class: 'mono', 'data-testid': 'check-command', text: checkCommand(siteId, boreId, c) }));
}
const activeCameras = b => b.cameras.filter(c => !c.retired);

/** Every portal lane of an active bore without an active camera: vehicles pass there unseen. */
function renderBlindLanes(view) {
  const blind = view.sites.flatMap(site => site.bores.flatMap(b => ['entry', 'exit'].flatMap(portal =>
    Array.from({ length: b.lanes }, (_, i) => i + 1)
      .filter(lane => !activeCameras(b).some(c => c.portal === portal && c.lane === lane))
      .map(lane => ({ key: `${site.id}/${b.id}/${portal}/${lane}`, text: laneName(site, b, portal, lane) })))));
  const box = document.getElementById('blind-lanes');
  box.hidden = blind.length === 0;
  replace(box, blind.length === 0 ? [] : [el('b', { text: t('blind.title') }),
    el('ul', {}, blind.map(x => el('li', { 'data-blind': x.key, text: x.text })))]);
}

/**
 * Site, bore and camera ids, as the service checks them. The hyphen is escaped: Chrome compiles a pattern with the v flag,
 * where a bare one in a class is invalid and the browser drops the whole check.
 */
const idRule = () => ({ pattern: '[a-z0-9_\\-]{1,64}', title: t('id.rule') });
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
    el('button', { type: 'button', 'data-action': 'retire-bore', text: t('sites.retire'), onclick: () => retire(`/api/v1/sites/${site.id}/bores/${b.id}/retire`,
      t('confirm.bore', { bore: boreName(b.id), site: site.name ?? site.id }),
      t('confirm.bore-blind', { lanes: b.lanes, cameras: activeCameras(b).length })) }));
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
      el('td', {}, c.retired ? '' : checkHint(site.id, b.id, c)),
      el('td', {}, c.retired
        ? el('button', { type: 'button', 'data-action': 'activate-camera', text: t('camera.activate'), onclick: () => change(`${path}/activate`, {}) })
        : el('button', { type: 'button', 'data-action': 'retire-camera', text: t('sites.retire'), onclick: () => {
          const where = laneName(site, b, c.portal, c.lane);
          return retire(`${path}/retire`, t('confirm.camera', { camera: c.name ? `${c.name} (${c.id})` : c.id, where }), t('confirm.camera-blind', { where }));
        } })));
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
    el('input', { name: 'id', placeholder: t('camera.id-optional'), ...idRule() }),
    el('input', { name: 'name', maxlength: 256, placeholder: t('camera.name') }),
    el('button', { type: 'submit', text: t('camera.add') }));
  return el('div', { class: 'cameras' },
    table(['camera.name', 'camera.id', 'camera.portal', 'camera.lane', 'camera.state', 'camera.test', 'camera.action'], rows), add);
}

function renderSites(view) {
  const newBore = site => {
    const form = el('form', { class: 'inline', 'data-testid': 'new-bore', onsubmit: e => {
      e.preventDefault(); change(`/api/v1/sites/${site.id}/bores`, { id: form.elements.id.value.trim(), ...values(form) });
    } }, field('id', '', { placeholder: t('sites.bore-id'), ...idRule() }), boreFields(null),
      el('button', { type: 'submit', text: t('sites.add-bore') }));
    return form;
  };
  const newSite = el('form', { class: 'inline', 'data-testid': 'new-site', onsubmit: e => {
    e.preventDefault();
    const f = newSite.elements;
    change('/api/v1/sites', { id: f.siteId.value.trim(), name: f.siteName.value, bores: [{ id: f.id.value.trim(), ...values(newSite) }] });
  } }, field('siteId', '', { placeholder: t('sites.site-id'), ...idRule() }),
    el('input', { name: 'siteName', placeholder: t('sites.site-name') }),
    field('id', '', { placeholder: t('sites.bore-id'), ...idRule() }), boreFields(null),
    el('button', { type: 'submit', text: t('sites.add-site') }));
  replace(document.getElementById('sites'),
    view.sites.map(site => el('article', { class: 'site', 'data-site': site.id },
      el('h3', {}, `${site.name ?? site.id} `, el('span', { class: 'muted', text: site.id }), ' ',
        el('button', { type: 'button', 'data-action': 'retire-site', text: t('sites.retire-site'), onclick: () => retire(`/api/v1/sites/${site.id}/retire`,
          t('confirm.site', { site: site.name ?? site.id }), t('confirm.site-blind', { bores: site.bores.map(b => boreName(b.id)).join('、') })) })),
      table(['sites.bore', 'sites.params', 'sites.transit', 'sites.agents'], site.bores.flatMap(b => boreRow(site, b))),
      newBore(site))),
    el('h3', { text: t('sites.new-site') }), newSite);
}

const sites = await get('/api/v1/sites');
learnSiteNames(sites);
renderSites(sites);
renderBlindLanes(sites);
setInterval(showRefreshState, 1000); // the age of what is shown, counting
await refresh();


// The operator wall: bores, vehicles inside and alarms, live over SignalR; actions through the HTTP API.
import { ApiError, get, post } from './api.js';
import { switchLangInPlace, t } from './i18n.js';
import { boreName, el, formatTime, plateChip, replace } from './dom.js';
import { drawHeader, startPage } from './shell.js';
import { AlarmSound } from './sound.js';
import { reasonText } from './reasons.js';

const priorities = ['critical', 'high', 'medium', 'low'];
const state = { snapshot: null, alarms: new Map(), me: null, clockOffset: 0, towersDown: [], lastDataAt: Date.now(), stale: false };

// The service's clock as of the latest snapshot: ages read against the browser's own clock come out wrong
// when the two disagree (a PC's drifting clock, or the demo's clock running --speed times faster).
function serviceNow() { return Date.now() + state.clockOffset; }
function setServiceClock(snapshot) { if (snapshot?.at) state.clockOffset = Date.parse(snapshot.at) - Date.now(); }
const sound = new AlarmSound();
const alarmNodes = new Map();
// Declared before the first await: the first picture, from the API, is drawn before the module's later lines run.
// One node per bore and one strip of recent passages, kept across snapshots (see boreNode and recentStrip).
const boreNodes = new Map();
const recent = new Map();
// A busy bore holds some 70 vehicles: its longest inside are shown, the rest on demand, so the recent passages stay in view.
const insideShown = 15;
const allInsideShown = new Set();
// What needs the operator first: unacknowledged and active, then active, then those whose vehicle has left
// (only an acknowledgement outstanding), shelved last; within each, by priority, then oldest first.
const stateOrder = ['active-unacknowledged', 'active-acknowledged', 'cleared-unacknowledged', 'shelved'];
const plateColours = new Set(['blue', 'yellow', 'green', 'white', 'black']);

const me = await startPage('wall.title');
state.me = me;
switchLangInPlace(relabel);
const canAct = me.roles.includes('operator') || me.roles.includes('admin');
// Snapshots and a vehicle's history are personal data: only for viewers who see plates.
const canInvestigate = me.canSeePlates;
let noticesShown = null;
renderNotices();

function renderNotices() {
  // Redrawn only when what it says changes, not with every snapshot: a redraw between mouse-down and mouse-up loses
  // the click on its buttons (the mute's countdown and the enable button's flash are updated in place).
  const shown = JSON.stringify([!!state.snapshot?.platesMasked, state.towersDown, sound.enabled, sound.muted]);
  if (shown !== noticesShown) { noticesShown = shown; replace(document.getElementById('notices'), noticeItems()); }
  // An alarm waits and the page cannot sound it: the button that would let it flashes (soundNow keeps it so between).
  document.querySelector('[data-testid=sound-enable]')?.classList.toggle('flash', waitingAlarms().length > 0);
}

function noticeItems() {
  const items = [];
  if (!me.speechAvailable && canAct) items.push(el('p', { class: 'notice', 'data-testid': 'speech-unavailable', text: t('speech.unavailable') }));
  if (state.snapshot?.platesMasked) items.push(el('p', { class: 'notice', text: t('masked') }));
  if (state.towersDown.length > 0)
    items.push(el('p', { class: 'notice warn', 'data-testid': 'towers-down', text: t('towers.down', { ids: state.towersDown.join(', ') }) }));
  if (canAct) {
    if (!sound.enabled) {
      // Browsers keep a page silent until someone clicks on it: say so, so a silent wall is no surprise at 3 a.m.
      items.push(el('p', { class: 'notice warn', 'data-testid': 'sound-off', text: t('sound.off') }));
      items.push(el('button', {
        type: 'button', class: 'sound-enable', 'data-testid': 'sound-enable', text: t('sound.enable'),
        onclick: async () => { await sound.enable(); renderNotices(); },
      }));
    } else {
      items.push(el('button', {
        type: 'button', class: sound.muted ? 'muted' : '', 'data-testid': 'sound-mute', text: sound.muted ? t('sound.unmute') : t('sound.mute'),
        onclick: () => { sound.setMuted(!sound.muted, waitingAlarms().map(a => a.alarmId)); renderNotices(); },
      }));
      if (sound.muted) items.push(el('span', { class: 'notice warn', 'data-testid': 'mute-countdown', text: muteText() }));
    }
  }
  return items;
}

function muteText() {
  const left = Math.ceil(sound.muteLeft / 1000);
  return t('sound.muted', { left: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` });
}

// The countdown runs by the second, and the notices go back to normal the moment the mute ends.
setInterval(() => {
  const countdown = document.querySelector('[data-testid=mute-countdown]');
  if (countdown && sound.muted) countdown.textContent = muteText();
  else if (countdown) renderNotices();
}, 1000);

// --- live feed -------------------------------------------------------------------------------
const connection = new signalR.HubConnectionBuilder()
  .withUrl('/hub/live')
  .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => Math.min(1000 * (ctx.previousRetryCount + 1), 5000) })
  // The default 30 s leaves a silently dropped link looking alive for half a minute; the server pings
  // every 3 s (ConsoleSetup), so 10 s of silence means the link is gone.
  .withServerTimeout(10000)
  // And the other way: the server drops a wall it has not heard from for 10 s (ConsoleSetup), so a dead wall PC
  // does not hold up the pushes to every other wall for SignalR's default 30 s.
  .withKeepAliveInterval(3000)
  .build();

// Snapshots come about once a second: after this long without one the wall's picture is old, whether the
// link dropped silently or the service's loop stalled (the link then stays up and says nothing).
const staleAfterMs = 5000;

function checkStale() {
  const stale = Date.now() - state.lastDataAt > staleAfterMs;
  if (stale === state.stale) return;
  state.stale = stale;
  showStale(stale);
}

function showStale(stale) {
  const banner = document.getElementById('stale-banner');
  // The time of the last picture, on the service's clock: what the operator can still trust.
  banner.textContent = stale ? t('stale.banner', { t: formatTime(state.snapshot?.at ?? new Date(state.lastDataAt).toISOString()) }) : '';
  banner.hidden = !stale;
  document.getElementById('alarms').classList.toggle('stale', stale);
  document.getElementById('bores').classList.toggle('stale', stale);
}
setInterval(checkStale, 1000);

function dataArrived() {
  state.lastDataAt = Date.now();
  checkStale();
}

/**
 * The whole wall in the language just chosen, without a reload: a reload would silence its alarms until someone enabled
 * the sound again. Alarm cards are made anew (their buttons are made once); an open form on one is closed.
 */
function relabel() {
  drawHeader('wall.title', me);
  setConn(connection.state === signalR.HubConnectionState.Connected);
  showStale(state.stale);
  noticesShown = null;
  for (const node of alarmNodes.values()) node.li.remove();
  alarmNodes.clear();
  for (const strip of recent.values()) relabelStrip(strip);
  render();
  refreshClosedIfOpen();
}

/** The picture the wall shows from now on, whether pushed or (the first) asked for. */
function showPicture(snapshot) {
  state.snapshot = snapshot;
  // Which picture the wall shows, on the service's clock: for anyone (or any test) looking at the page.
  document.body.dataset.snapshotAt = snapshot.at;
  dataArrived();
  setServiceClock(snapshot);
}

connection.on('snapshot', snapshot => {
  // The picture sent on connecting may be the one the page already has, or come after a newer one the feed sent meanwhile:
  // shown again, it would take away messages only a newer picture may (an action that got no answer).
  if (state.snapshot && Date.parse(snapshot.at) <= Date.parse(state.snapshot.at)) return;
  showPicture(snapshot);
  // Snapshots carry each alarm's card (its own reason, shelf, latest note and call to the driver, who acted last);
  // should one come without (the console restarted meanwhile), what a push told this page is kept.
  state.alarms = new Map(snapshot.alarms.map(a => {
    const known = state.alarms.get(a.alarmId);
    const merged = { ...a, by: a.by ?? known?.by ?? null, plateColor: a.plateColor ?? known?.plateColor ?? null,
      secondSuspect: suspectKnown(a.secondSuspect, known?.secondSuspect) };
    if (!a.note && known?.note) Object.assign(merged, { note: known.note, noteBy: known.noteBy, noteAt: known.noteAt });
    if (!a.contact && !a.note && known?.contact) Object.assign(merged, { contact: known.contact, contactBy: known.contactBy, contactAt: known.contactAt });
    if (!a.verdict && known?.verdict) Object.assign(merged, { verdict: known.verdict, verdictBy: known.verdictBy, verdictAt: known.verdictAt });
    return [a.alarmId, merged];
  }));
  render();
  clearNoAnswers();
});
connection.on('alarm', transition => {
  // Shown at once; the next snapshot (within a second) confirms the whole picture.
  if (transition.state === 'closed') { state.alarms.delete(transition.alarmId); refreshClosedIfOpen(); }
  else {
    const known = state.alarms.get(transition.alarmId);
    state.alarms.set(transition.alarmId, { ...known, ...transition, raisedAt: known?.raisedAt ?? transition.raisedAt,
      plateColor: transition.plateColor ?? known?.plateColor ?? null, secondSuspect: suspectKnown(transition.secondSuspect, known?.secondSuspect) });
  }
  renderAlarms();
  soundNow();
});
/** A second suspect's plate colour and hazmat flag come only while it is listed inside: a push without them keeps those known. */
function suspectKnown(suspect, known) {
  if (!suspect || !known || suspect.entryEventId !== known.entryEventId) return suspect ?? null;
  return { ...suspect, plateColor: suspect.plateColor ?? known.plateColor ?? null, hazmat: suspect.hazmat ?? known.hazmat ?? null };
}

connection.onreconnecting(() => setConn(false));
connection.onreconnected(() => setConn(true));
connection.onclose(() => { setConn(false); setTimeout(start, 3000); });

function setConn(up) {
  const conn = document.getElementById('conn');
  conn.textContent = up ? t('conn.live') : t('conn.down');
  conn.className = up ? 'conn up' : 'conn down';
}

async function start() {
  try {
    await connection.start();
    setConn(true);
  } catch {
    setConn(false);
    setTimeout(start, 3000);
  }
}

// Until the first push arrives, show what the API says.
try {
  const first = await get('/api/v1/snapshot');
  if (!state.snapshot) { showPicture(first); state.alarms = new Map(first.alarms.map(a => [a.alarmId, a])); render(); }
} catch { /* the live feed will fill in */ }
await start();

// --- rendering ---------------------------------------------------------------------------------
function render() {
  renderBores();
  renderAlarms();
  renderNotices();
}

/** A bore by name, with its tunnel's id when the wall watches more than one tunnel: each may have a "north" bore. */
function place(site, bore) {
  const sites = new Set((state.snapshot?.bores ?? []).map(b => b.site));
  return sites.size > 1 ? `${site} · ${boreName(bore)}` : boreName(bore);
}

function renderBores() {
  const list = document.getElementById('bores');
  const wanted = (state.snapshot?.bores ?? []).map(b => fillBore(boreNode(b), b));
  for (const [key, node] of boreNodes) if (!wanted.includes(node.article)) { node.article.remove(); boreNodes.delete(key); }
  // Re-appended only when the order changed: a button moved out of the page loses its click and the keyboard focus.
  if (wanted.some((article, i) => list.children[i] !== article)) list.append(...wanted);
}

/** A bore's article, made once; fillBore redraws what it says. */
function boreNode(b) {
  const key = `${b.site}/${b.bore}`;
  let node = boreNodes.get(key);
  if (!node) {
    node = { header: el('header'), thead: el('thead'), tbody: el('tbody'),
      more: el('button', { type: 'button', class: 'link more', 'data-testid': 'inside-more', onclick: () => showAllInside(key) }) };
    node.article = el('article', { class: 'bore' }, node.header,
      el('div', { class: 'inside-wrap' }, el('table', { class: 'inside' }, node.thead, node.tbody)), node.more, recentStrip(b));
    boreNodes.set(key, node);
  }
  return node;
}

function showAllInside(key) {
  if (allInsideShown.has(key)) allInsideShown.delete(key); else allInsideShown.add(key);
  renderBores();
}

function fillBore(node, b) {
  node.article.className = 'bore' + (b.congested ? ' congested' : '');
  node.article.dataset.bore = b.bore;
  replace(node.header,
    el('h2', { text: place(b.site, b.bore) }),
    el('span', { class: 'occupancy', 'data-testid': 'occupancy' }, el('b', { text: b.occupancy }), ' ', t('bore.occupancy')),
    el('span', { class: 'counts', text: `${t('bore.entries')} ${b.entries} · ${t('bore.exits')} ${b.exits}` }),
    b.congested && el('span', { class: 'badge congested', text: t('bore.congested') }),
    el('span', { class: 'usual', text: t('bore.usual', { s: Math.round(b.usualTransitSeconds) }) }));
  replace(node.thead, el('tr', {}, ['col.plate', 'col.class', 'col.lane', 'col.entered', 'col.inside'].map(k => el('th', { text: t(k) }))));
  const all = allInsideShown.has(`${b.site}/${b.bore}`);
  const shown = insideToShow(b.inside, all);
  replace(node.tbody, shown.map(vehicleRow));
  const hidden = b.inside.length - shown.length;
  node.more.hidden = hidden === 0 && !(all && b.inside.length > insideShown);
  node.more.textContent = hidden > 0 ? t('bore.more', { n: hidden }) : t('bore.fewer', { n: insideShown });
  node.more.setAttribute('aria-expanded', String(all));
  recentStrip(b);
  return node.article;
}

/** The longest inside first; unless all are asked for, the first insideShown and every vehicle with an alarm, wherever it ranks. */
function insideToShow(inside, all) {
  const longestFirst = [...inside].sort((x, y) => y.elapsedSeconds - x.elapsedSeconds);
  return all ? longestFirst : longestFirst.filter((v, i) => i < insideShown || v.alarmId);
}

// --- recent passages per bore ------------------------------------------------------------------
// One strip per bore that survives re-renders, so thumbnails already shown are not fetched (and audited) again.
function recentStrip(b) {
  const key = `${b.site}/${b.bore}`;
  let strip = recent.get(key);
  if (!strip) {
    strip = { node: el('div', { class: 'recent', 'data-testid': 'recent-passages' }), list: el('ol', { class: 'recent-list' }),
      seen: -1, busy: false, cards: new Map() };
    strip.node.append(el('h3', { 'data-i18n': 'recent.title', text: t('recent.title') }), strip.list);
    recent.set(key, strip);
  }
  const count = b.entries + b.exits;
  if (count !== strip.seen && !strip.busy) refreshRecent(b, strip, count);
  return strip.node;
}

async function refreshRecent(b, strip, count) {
  strip.busy = true;
  try {
    const passages = await get(`/api/v1/bores/${encodeURIComponent(b.site)}/${encodeURIComponent(b.bore)}/passages?limit=8`);
    strip.seen = count;
    const cards = passages.map(p => {
      let card = strip.cards.get(p.eventId);
      if (!card) { card = { li: passageCard(p), p }; strip.cards.set(p.eventId, card); }
      return card.li;
    });
    const keep = new Set(passages.map(p => p.eventId));
    for (const id of [...strip.cards.keys()]) if (!keep.has(id)) strip.cards.delete(id);
    replace(strip.list, cards);
  } catch { /* the next snapshot tries again */ } finally {
    strip.busy = false;
  }
}

function passageCard(p) {
  return el('li', { class: 'passage-card', 'data-passage': p.eventId }, thumbnail(p.snapshotUrl, 'thumb'), passageWords(p));
}

function passageWords(p) {
  return [el('div', {}, plateChip(p.plate, p.plateColor), p.hazmat && el('span', { class: 'hazmat', title: t('hazmat.title'), text: t('hazmat') })),
    el('div', { class: 'muted', text: `${t('portal.' + p.portal)} · ${t('alarm.lane', { n: p.lane })} · ${formatTime(p.capturedAt)}` })];
}

/** A strip's words in the language just chosen; its thumbnails stay (each look at one is audited). */
function relabelStrip(strip) {
  for (const { li, p } of strip.cards.values()) {
    li.replaceChildren(li.firstChild, ...passageWords(p));
    li.querySelector('img')?.setAttribute('alt', t('snapshot.alt'));
  }
}

/** A snapshot image, or a grey box saying why there is none (data-i18n: worded again when the language changes). */
function thumbnail(url, cls) {
  const none = key => el('span', { class: `${cls} none`, 'data-i18n': key, text: t(key) });
  if (!url) return none(canInvestigate ? 'snapshot.none' : 'snapshot.masked');
  const img = el('img', { class: cls, src: url, alt: t('snapshot.alt'), loading: 'lazy', 'data-testid': 'snapshot' });
  img.addEventListener('error', () => img.replaceWith(none('snapshot.none')), { once: true });
  return img;
}

function vehicleRow(v) {
  const ratio = v.expectedSeconds > 0 ? v.elapsedSeconds / v.expectedSeconds : 0;
  const bar = el('span', { class: 'bar-fill ' + (ratio < 1 ? 'ok' : ratio < 1.5 ? 'warn' : 'late') });
  // CSSOM, not an inline style attribute: allowed by the content security policy.
  bar.style.width = `${Math.min(ratio / 2, 1) * 100}%`;
  return el('tr', { class: (v.alarmId ? 'has-alarm' : '') + (v.probablyLeft ? ' left' : ''), 'data-vehicle': v.entryEventId },
    el('td', {}, plateChip(v.plate, v.plateColor),
      v.hazmat && el('span', { class: 'hazmat', title: t('hazmat.title'), text: t('hazmat') })),
    el('td', { text: t('class.' + v.vehicleClass) }),
    el('td', { text: v.lane }),
    el('td', { text: formatTime(v.enteredAt) }),
    el('td', { class: 'time-inside' },
      el('span', { class: 'bar', title: v.probablyLeft ? t('probably.left') : '' }, bar),
      el('span', { class: 'bar-text', text: `${Math.round(v.elapsedSeconds)} / ${Math.round(v.expectedSeconds)} s` })));
}

function sortedAlarms() {
  const rank = a => { const i = stateOrder.indexOf(a.state); return i < 0 ? stateOrder.length : i; };
  return [...state.alarms.values()].sort((a, b) => rank(a) - rank(b) ||
    priorities.indexOf(a.priority) - priorities.indexOf(b.priority) || String(a.raisedAt).localeCompare(String(b.raisedAt)));
}

function renderAlarms() {
  const list = document.getElementById('alarms');
  const alarms = sortedAlarms();
  const seen = new Set();
  for (const alarm of alarms) {
    seen.add(alarm.alarmId);
    let node = alarmNodes.get(alarm.alarmId);
    if (!node) {
      node = { li: el('li'), body: el('div', { class: 'alarm-body' }), form: el('div', { class: 'alarm-form' }),
        msg: el('p', { class: 'action-msg', role: 'status', 'data-testid': 'alarm-message', hidden: true }), busy: false };
      node.actions = canAct ? alarmActions(node, alarm) : null;
      node.li.append(...[node.body, node.actions, node.msg, node.form].filter(Boolean));
      alarmNodes.set(alarm.alarmId, node);
    }
    fillAlarm(node, alarm);
  }
  for (const [id, node] of alarmNodes) if (!seen.has(id)) { node.li.remove(); alarmNodes.delete(id); }
  // Re-append only when the order changed, so an open form keeps its focus.
  const wanted = alarms.map(a => alarmNodes.get(a.alarmId).li);
  if (wanted.some((li, i) => list.children[i] !== li)) list.append(...wanted);
  if (alarms.length === 0) replace(list, el('li', { class: 'none', text: t('alarms.none') }));
  else for (const extra of [...list.children].filter(c => !wanted.includes(c))) extra.remove();
}

function fillAlarm(node, a) {
  const flashing = a.state === 'active-unacknowledged';
  node.li.className = `alarm prio-${a.priority} state-${a.state}` + (flashing ? ' flash' : '');
  node.li.dataset.alarmId = a.alarmId;
  node.li.dataset.state = a.state;
  node.li.dataset.priority = a.priority;
  // Minutes inside only while it is: once its vehicle has left, a running count would only mislead.
  const inside = a.state === 'active-unacknowledged' || a.state === 'active-acknowledged';
  const elapsed = a.enteredAt && inside ? Math.floor((serviceNow() - Date.parse(a.enteredAt)) / 60000) : null;
  if (node.actions) {
    // In place: a request in flight is remembered on the node, so its buttons stay off through the snapshots meanwhile.
    node.actions.querySelector('[data-action=ack]').disabled = node.busy || !(a.state === 'active-unacknowledged' || a.state === 'cleared-unacknowledged');
    node.actions.querySelector('[data-action=shelve]').hidden = a.state === 'shelved';
    // A shelf set by mistake is lifted here, not waited out for hours.
    const unshelve = node.actions.querySelector('[data-action=unshelve]');
    unshelve.hidden = a.state !== 'shelved';
    unshelve.disabled = node.busy;
    for (const b of node.actions.querySelectorAll('[data-action^=verdict-]')) b.disabled = node.busy;
    markVerdict(node.actions, a.verdict);
    const gone = node.actions.querySelector('[data-action=seen-leaving]');
    if (gone) { gone.hidden = !inside; gone.disabled = node.busy; }
  }
  // Only what the alarm says is redrawn: it holds no control.
  const colour = a.plateColor ?? colourOf(a.alarmId);
  const second = a.secondSuspect;
  replace(node.body,
    el('div', { class: 'alarm-head' },
      el('span', { class: 'prio', text: t('prio.' + a.priority) }),
      el('span', { class: 'kind', text: t('kind.' + a.kind) }),
      el('span', { class: 'where', text: place(a.site, a.bore) }),
      a.kind === 'overdue' && plateChip(a.plate, colour),
      // What to look for on camera, in words: a plate unread (or masked) still leaves its colour and the vehicle's class.
      a.kind === 'overdue' && vehicleWords(colour, a.vehicleClass, 'alarm-vehicle'),
      a.hazmat && hazmatBadge(),
      a.lane && el('span', { 'data-testid': 'alarm-lane', text: t('alarm.lane', { n: a.lane }) }),
      elapsed !== null && el('span', { class: 'elapsed', text: t('alarm.elapsed', { m: elapsed }) }),
      el('span', { class: 'state', 'data-testid': 'alarm-state', text: t('state.' + a.state) })),
    // Its own line with its own lane and entry time: next to the first plate, the lane and minutes read as the second's.
    second && el('div', { class: 'second-suspect', 'data-testid': 'second-suspect', title: t('alarm.or.title') },
      el('span', { class: 'or', text: t('alarm.or') }), plateChip(second.plate, second.plateColor),
      vehicleWords(second.plateColor, second.vehicleClass, 'suspect-vehicle'),
      second.hazmat && hazmatBadge(),
      el('span', { text: t('alarm.or.where', { lane: second.lane, t: formatTime(second.enteredAt) }) })),
    el('div', { class: 'alarm-detail' },
      a.enteredAt && el('span', { class: 'entered', 'data-testid': 'alarm-entered', text: t('alarm.entered', { t: formatTime(a.enteredAt) }) }),
      el('span', { text: t('alarm.raised', { t: formatTime(a.raisedAt) }) }),
      // A shelf says until when, why and whose it is: the operator on the next shift must see all three, through notes added to it.
      a.state === 'shelved' && a.shelvedUntil && el('span', { class: 'shelved', 'data-testid': 'alarm-shelved',
        text: t('alarm.shelved', { t: formatTime(a.shelvedUntil), reason: a.shelveReason ?? '', by: a.shelvedBy ?? a.by ?? '?' }) }),
      // The alarm's own reason (the detector's), whatever operators have done since.
      a.reason && el('span', { class: 'reason', 'data-testid': 'alarm-reason', title: a.reason, text: reasonText(a) }),
      a.state !== 'shelved' && a.by && el('span', { class: 'by', text: a.by })),
    // The latest note, and the latest call to the driver when a later note is not that call: each until a newer one.
    a.note && el('div', { class: 'alarm-note-line' },
      el('span', { class: 'note', 'data-testid': 'alarm-note', text: noteText(a.note) }),
      el('span', { class: 'note-by', text: noteBy(a.noteBy, a.noteAt) })),
    a.contact && el('div', { class: 'alarm-note-line' },
      el('span', { class: 'note contact', 'data-testid': 'alarm-contact', text: noteText(a.contact) }),
      el('span', { class: 'note-by', text: noteBy(a.contactBy, a.contactAt) })),
    // The verdict stands until another, through later notes; when the latest note is that verdict, it is shown once, as the note.
    a.verdict && !isVerdictNote(a.note) && el('div', { class: 'alarm-note-line' },
      el('span', { class: 'note verdict', 'data-testid': 'alarm-verdict', text: t('verdict.noted', { verdict: t('verdict.' + a.verdict) }) }),
      el('span', { class: 'note-by', text: noteBy(a.verdictBy, a.verdictAt) })));
}

function isVerdictNote(note) { return /^verdict (confirmed|false)(:|$)/.test(note ?? ''); }

/** The verdict buttons say which verdict stands (aria-pressed): for the eye, and for a screen reader. */
function markVerdict(container, verdict) {
  for (const b of container.querySelectorAll('[data-action^=verdict-]')) b.setAttribute('aria-pressed', String(b.dataset.action === 'verdict-' + verdict));
}

/** A vehicle's plate colour and class in words, as text (a colour alone on the chip is easily missed, and says nothing to some). */
function vehicleWords(colour, vehicleClass, testid) {
  const words = [plateColours.has(colour) && t('colour.' + colour), vehicleClass && t('class.' + vehicleClass)].filter(Boolean);
  return words.length > 0 && el('span', { class: 'vehicle-words', 'data-testid': testid, text: words.join(' · ') });
}

function hazmatBadge() { return el('span', { class: 'hazmat', title: t('hazmat.title'), text: t('hazmat') }); }

function noteBy(by, at) { return [by, at && formatTime(at)].filter(Boolean).join(' '); }

/**
 * An alarm's buttons, made once and kept (fillAlarm updates them): buttons rebuilt by a snapshot between mouse-down
 * and mouse-up would lose the click, Acknowledge's above all, and take the keyboard focus with them. An alarm keeps
 * its id and kind, all the handlers use.
 */
function alarmActions(node, a) {
  return el('div', { class: 'actions' },
    el('button', { type: 'button', 'data-action': 'ack', text: t('act.ack'), onclick: () => act(a, 'acknowledge', {}, { node }) }),
    el('button', { type: 'button', 'data-action': 'shelve', text: t('act.shelve'), onclick: () => shelveForm(node, a) }),
    el('button', { type: 'button', 'data-action': 'unshelve', hidden: true, text: t('act.unshelve'), onclick: () => act(a, 'unshelve', {}, { node }) }),
    el('button', { type: 'button', 'data-action': 'note', text: t('act.note'), onclick: () => noteForm(node, a) }),
    el('button', { type: 'button', 'data-action': 'history', text: t('act.history'), onclick: () => history(node, a) }),
    a.kind === 'overdue' &&
      el('button', { type: 'button', 'data-action': 'contact', text: t('act.contact'), onclick: () => contact(node, a) }),
    a.kind === 'overdue' && verdictButtons(a, null, { node }),
    a.kind === 'overdue' && el('button', { type: 'button', 'data-action': 'seen-leaving', title: t('seen-leaving.title'), text: t('act.seen-leaving'),
      onclick: () => noteForm(node, a, 'seen-leaving',
        { placeholder: t('seen-leaving.note'), required: false, submit: t('seen-leaving.confirm'), testid: 'seen-leaving-form' }) }),
    canInvestigate && a.kind === 'overdue' &&
      el('button', { type: 'button', 'data-action': 'vehicle', text: t('act.vehicle'), onclick: () => vehicle(node, a) }));
}

// --- closed alarms: judged after the vehicle's exit took them off the wall ------------------------
document.getElementById('closed').addEventListener('toggle', refreshClosedIfOpen);
// While open, kept as fresh as the shift's review needs; folded, it costs nothing.
setInterval(refreshClosedIfOpen, 60000);

function refreshClosedIfOpen() {
  if (document.getElementById('closed').open) renderClosed();
}

async function renderClosed() {
  let rows;
  try { rows = await get('/api/v1/alarms/closed?hours=12'); } catch { return; }
  const body = document.getElementById('closed-rows');
  if (rows.length === 0) { replace(body, el('tr', {}, el('td', { class: 'none', text: t('closed.none') }))); return; }
  replace(body, rows.map(r => el('tr', { 'data-alarm-id': r.alarmId },
    el('td', { text: formatTime(r.raisedAt, true) }),
    el('td', { text: place(r.site, r.bore) }),
    el('td', {}, plateChip(r.plate, r.plateColor)),
    el('td', { text: t('prio.' + r.priority) }),
    el('td', { text: r.acknowledgedBy ?? '–' }),
    el('td', { 'data-testid': 'verdict', text: [r.verdict ? t('verdict.' + r.verdict) : t('closed.unjudged'),
      r.retracted && t('report.retracted')].filter(Boolean).join(' · ') }),
    canAct && closedActions(r))));
}

function closedActions(r) {
  const msg = el('span', { class: 'action-msg', role: 'status', 'data-testid': 'closed-message', hidden: true });
  const cell = el('td', { class: 'actions' }, verdictButtons(r, renderClosed, { msg }), msg);
  markVerdict(cell, r.verdict);
  return cell;
}

/** "Real incident" and "false alarm" for an alarm, open or closed; then() runs once a verdict is taken. */
function verdictButtons(alarm, then, where) {
  return ['confirmed', 'false'].map(v =>
    el('button', { type: 'button', 'data-action': 'verdict-' + v, title: t('verdict.title'), text: t('act.verdict-' + v), disabled: where.node?.busy,
      onclick: async e => { if (await act(alarm, 'verdict', { verdict: v }, { ...where, button: e.currentTarget })) then?.(); } }));
}

/** The alarm's vehicle, if still inside, knows the plate's colour. */
function colourOf(alarmId) {
  for (const bore of state.snapshot?.bores ?? []) {
    const vehicle = bore.inside.find(v => v.alarmId === alarmId);
    if (vehicle) return vehicle.plateColor;
  }
  return null;
}

/**
 * Says how an action went next to the alarm, never in alert(): a modal dialog stops the page's scripts, so
 * no new alarm would be drawn or sounded until someone clicked it away.
 */
function say(msg, text, calm = false) {
  if (!msg) return;
  msg.textContent = text;
  msg.classList.toggle('calm', calm);
  msg.hidden = false;
  delete msg.dataset.noAnswer;
}

/**
 * Says an action failed, in the reader's language: a request that got no answer at all says so (not the browser's
 * "Failed to fetch"), and that message goes once a snapshot shows the server answering again.
 */
function sayFailed(msg, e) {
  const answered = e instanceof ApiError;
  say(msg, t('act.failed', { msg: answered ? e.message : t('act.no-answer') }));
  if (msg && !answered) msg.dataset.noAnswer = 'true';
}

function clearNoAnswers() {
  for (const msg of document.querySelectorAll('.action-msg[data-no-answer]')) { msg.hidden = true; delete msg.dataset.noAnswer; }
}

function redraw(node) {
  const alarm = state.alarms.get(node.li.dataset.alarmId);
  if (alarm) fillAlarm(node, alarm);
}

/** Runs one action; its buttons stay off until the answer comes, so an anxious second click sends nothing. */
async function act(alarm, verb, body, { node, msg = node?.msg, button } = {}) {
  if (node) { node.busy = true; redraw(node); }
  if (button) button.disabled = true;
  if (msg) msg.hidden = true;
  try {
    await post(`/api/v1/alarms/${alarm.alarmId}/${verb}`, body);
    return true;
  } catch (e) {
    // Two consoles acknowledging one alarm is ordinary in a control room: the alarm is handled, nothing failed.
    if (verb === 'acknowledge' && e.status === 409) say(msg, t('act.already-acked'), true);
    else sayFailed(msg, e);
    return false;
  } finally {
    if (node) { node.busy = false; redraw(node); }
    if (button?.isConnected) button.disabled = false;
  }
}

function shelveForm(node, a) {
  const reason = el('input', { name: 'reason', required: true, maxlength: 500, placeholder: t('shelve.reason') });
  const minutes = el('select', { name: 'minutes' }, [15, 30, 60, 120, 240, 480].map(m => el('option', { value: m, text: `${m} ${t('shelve.minutes')}` })));
  const form = el('form', { class: 'inline', onsubmit: async e => {
      e.preventDefault();
      if (await act(a, 'shelve', { reason: reason.value, minutes: Number(minutes.value) }, { node, button: e.submitter })) replace(node.form);
    } },
    reason, minutes, el('button', { type: 'submit', text: t('act.send') }),
    el('button', { type: 'button', text: t('act.cancel'), onclick: () => replace(node.form) }));
  replace(node.form, form);
  reason.focus();
}

/** A note (or, for "the vehicle is gone", how it was checked: asked once more, as it takes the vehicle off the list inside). */
function noteForm(node, a, verb = 'notes', { placeholder = t('note.text'), required = true, submit = t('act.send'), testid } = {}) {
  const note = el('input', { name: 'note', required, maxlength: 500, placeholder });
  const form = el('form', { class: 'inline', 'data-testid': testid, onsubmit: async e => {
      e.preventDefault();
      if (await act(a, verb, { note: note.value }, { node, button: e.submitter })) replace(node.form);
    } },
    note, el('button', { type: 'submit', text: submit }),
    el('button', { type: 'button', text: t('act.cancel'), onclick: () => replace(node.form) }));
  replace(node.form, form);
  note.focus();
}

async function history(node, a) {
  try {
    const rows = await get(`/api/v1/alarms/${a.alarmId}/history`);
    replace(node.form, el('ol', { class: 'history', 'data-testid': 'alarm-history' }, rows.map(r => el('li', {},
      // Each line with its priority: an escalation to critical is a line of its own.
      el('span', { text: formatTime(r.at, true) }), ' ', el('span', { class: 'prio', 'data-testid': 'history-priority', text: t('prio.' + r.priority) }),
      ' ', el('b', { text: t('state.' + r.state) }),
      r.by && el('span', { text: ' · ' + r.by }), r.note && el('span', { text: ' · ' + noteText(r.note) }), r.reason && el('span', { class: 'reason', text: ' · ' + reasonText(r) }))),
      el('button', { type: 'button', text: t('act.cancel'), onclick: () => replace(node.form) })));
  } catch (e) {
    sayFailed(node.msg, e);
  }
}

/** Contact attempts and verdicts are stored as "contact-driver OUTCOME[: note]" and "verdict VERDICT[: note]"; shown in the reader's language. */
function noteText(note) {
  const m = /^contact-driver (reached|no-answer|wrong-number|not-in-directory)(?:: ([\s\S]*))?$/.exec(note);
  if (m) return t('contact.noted', { outcome: t('outcome.' + m[1]) }) + (m[2] ? ' · ' + m[2] : '');
  const v = /^verdict (confirmed|false)(?:: ([\s\S]*))?$/.exec(note);
  return v ? t('verdict.noted', { verdict: t('verdict.' + v[1]) }) + (v[2] ? ' · ' + v[2] : '') : note;
}

async function contact(node, a) {
  let info;
  try {
    info = await get(`/api/v1/alarms/${a.alarmId}/contact`);
  } catch (e) {
    sayFailed(node.msg, e);
    return;
  }
  const note = el('input', { name: 'contact-note', maxlength: 300, placeholder: t('note.text') });
  const outcomes = info.contact || info.secondContact ? ['reached', 'no-answer', 'wrong-number'] : ['not-in-directory'];
  const card = (c, testId) => c ? el('dl', { class: 'contact-card', 'data-testid': testId },
      el('dt', { text: t('contact.name') }), el('dd', { text: c.name }),
      el('dt', { text: t('contact.phone') }), el('dd', { class: 'phone', 'data-testid': 'contact-phone', text: c.phone }),
      c.company && el('dt', { text: t('contact.company') }), c.company && el('dd', { text: c.company }),
      c.note && el('dt', { text: t('contact.note') }), c.note && el('dd', { text: c.note }))
    : el('p', { class: 'notice', 'data-testid': 'contact-missing', text: t('contact.missing') });
  replace(node.form, el('div', { class: 'contact', 'data-testid': 'contact-panel' },
    card(info.contact, 'contact-card'),
    // Either suspect may be the one inside: the other's driver may be the one who answers.
    info.secondPlate && el('div', { 'data-testid': 'contact-second' },
      el('span', { class: 'or', text: t('alarm.or') }), ' ', plateChip(info.secondPlate), card(info.secondContact, 'contact-card-second')),
    info.attempts.length > 0 && el('ol', { class: 'history' }, info.attempts.map(x => el('li', {},
      `${formatTime(x.at, true)} · ${x.by} · ${t('outcome.' + x.outcome)}`, x.note ? ' · ' + x.note : ''))),
    el('div', { class: 'actions' }, note,
      outcomes.map(o => el('button', { type: 'button', 'data-outcome': o, text: t('outcome.' + o), onclick: async e => {
        if (await act(a, 'contact-attempts', { outcome: o, note: note.value }, { node, button: e.currentTarget })) replace(node.form);
      } })),
      el('button', { type: 'button', text: t('act.cancel'), onclick: () => replace(node.form) }))));
}

async function vehicle(node, a) {
  try {
    const v = await get(`/api/v1/alarms/${a.alarmId}/vehicle`);
    const row = (...cells) => el('tr', {}, cells.map(c => el('td', {}, c)));
    replace(node.form, el('div', { class: 'vehicle', 'data-testid': 'vehicle-history' },
      el('div', { class: 'entry' },
        thumbnail(v.entry?.snapshotUrl, 'entry-snapshot'),
        v.entry && el('div', {},
          el('div', {}, plateChip(v.entry.plate, v.entry.plateColor)),
          el('div', { class: 'muted', text: `${boreName(v.entry.bore)} · ${t('alarm.lane', { n: v.entry.lane })} · ${formatTime(v.entry.capturedAt, true)}` }),
          el('div', { class: 'muted', text: `${t('class.' + v.entry.vehicleClass)} · ${v.entry.cameraId}` }))),
      el('h4', { text: t('vehicle.passages', { n: v.passages.length }) }),
      el('table', { class: 'grid small', 'data-testid': 'vehicle-passages' }, el('tbody', {}, v.passages.map(p =>
        row(formatTime(p.capturedAt, true), boreName(p.bore), t('portal.' + p.portal), t('alarm.lane', { n: p.lane }))))),
      el('h4', { text: t('vehicle.transits', { n: v.transits.length }) }),
      el('table', { class: 'grid small' }, el('tbody', {}, v.transits.map(x =>
        row(formatTime(x.enteredAt, true), boreName(x.bore), x.exitedAt ? formatTime(x.exitedAt) : '–',
          x.transitSeconds === null ? '–' : `${Math.round(x.transitSeconds)} s`)))),
      el('h4', { text: t('vehicle.alarms', { n: v.alarms.length }) }),
      el('table', { class: 'grid small' }, el('tbody', {}, v.alarms.map(x =>
        row(formatTime(x.raisedAt, true), boreName(x.bore), t('kind.' + x.kind), t('state.' + x.state))))),
      el('button', { type: 'button', text: t('act.cancel'), onclick: () => replace(node.form) })));
  } catch (e) {
    sayFailed(node.msg, e);
  }
}

// --- sound -------------------------------------------------------------------------------------
/** The alarms no one has acknowledged yet and whose condition holds, most urgent first. */
function waitingAlarms() { return sortedAlarms().filter(a => a.state === 'active-unacknowledged'); }

function soundNow() {
  const waiting = waitingAlarms();
  // An alarm waits and the page cannot sound it: the button that would let it flashes.
  document.querySelector('[data-testid=sound-enable]')?.classList.toggle('flash', waiting.length > 0);
  const audible = waiting.filter(a => sound.sounds(a));
  // Also with none: an alarm acknowledged meanwhile leaves the announcements still to come.
  sound.announce(me.speechAvailable && !state.snapshot?.platesMasked ? audible : []);
  if (audible.length > 0) sound.tone(audible[0].priority);
}
setInterval(soundNow, 3000);

// A beacon or siren that cannot sound: said on the wall until maintenance has it back.
async function refreshTowers() {
  const down = await get('/api/v1/alarm-towers/not-working').catch(() => state.towersDown);
  if (down.join() !== state.towersDown.join()) { state.towersDown = down; renderNotices(); }
}
await refreshTowers();
setInterval(refreshTowers, 10000);

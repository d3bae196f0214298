// Maintenance: edge agent health and the dead-letter store, refreshed every few seconds.
import { get } from './api.js';
import { t } from './i18n.js';
import { boreName, el, formatTime, replace } from './dom.js';
import { startPage } from './shell.js';

await startPage('maint.title');

function table(headers, rows) {
  return el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, headers.map(h => el('th', { text: t(h) })))), el('tbody', {}, rows));
}

function num(value, digits = 1) { return value === null || value === undefined ? '–' : Number(value).toFixed(digits); }

async function refresh() {
  const [agents, dead] = await Promise.all([get('/api/v1/agents'), get('/api/v1/dead-letters?limit=100')]);
  replace(document.getElementById('agents'), agents.length === 0 ? el('p', { text: t('agents.none') }) : table(
    ['agent.id', 'agent.where', 'agent.status', 'agent.heartbeat', 'agent.fps', 'agent.queue', 'agent.offset', 'agent.error'],
    agents.map(a => {
      const status = !a.online ? 'offline' : a.stale ? 'stale' : 'online';
      return el('tr', { class: 'agent-' + status, 'data-agent': a.agentId },
        el('td', { text: a.agentId }),
        el('td', { text: [a.site, a.bore && boreName(a.bore), a.portal, a.lane && t('alarm.lane', { n: a.lane })].filter(Boolean).join(' · ') }),
        el('td', {}, el('span', { class: 'badge ' + status, text: t('agent.' + status) })),
        el('td', { text: a.lastHeartbeat ? `${formatTime(a.lastHeartbeat, true)} (${Math.round(a.heartbeatAgeSeconds)} s)` : '–' }),
        el('td', { text: num(a.fps) }),
        el('td', { text: a.queueDepth ?? '–' }),
        el('td', { text: num(a.clockOffsetMs, 0) }),
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

await refresh();
setInterval(() => refresh().catch(() => { /* shown stale until the next try */ }), 5000);

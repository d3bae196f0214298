// Manager reports: passages per hour by bore and class over the last 24 h, daily and monthly volumes, transit times and
// overdue incidents, each with its CSV download.
import { ApiError, get } from './api.js';
import { lang, t } from './i18n.js';
import { boreName, el, formatHour, formatTime, plateChip, replace } from './dom.js';
import { startPage } from './shell.js';

await startPage('reports.title');

// --- the period: from the page's own address (the form above the reports submits to it), so a link keeps it ---------
const asked = new URLSearchParams(location.search);
const isDay = v => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v + 'T00:00:00Z'))
  && new Date(v + 'T00:00:00Z').toISOString().startsWith(v);
const isMonth = v => /^\d{4}-(0[1-9]|1[0-2])$/.test(v);
const days = ['7', '14', '31'].includes(asked.get('days')) ? asked.get('days') : '7';
const dayParam = asked.get('to') ? `&to=${encodeURIComponent(asked.get('to'))}` : '';
const monthParam = asked.get('month') ? `&to=${encodeURIComponent(asked.get('month'))}-01` : '';
const dailyQuery = `days=${days}${dayParam}`, monthlyQuery = `months=12${monthParam}`;

/** The period's parameters in the address that are not a day or a month, each named in words: 2026-02-30 is no day. */
function badAddress() {
  const bad = [];
  if (asked.has('to') && !isDay(asked.get('to'))) bad.push(t('report.bad-to', { value: asked.get('to') }));
  if (asked.has('month') && !isMonth(asked.get('month'))) bad.push(t('report.bad-month', { value: asked.get('month') }));
  return bad;
}

for (const [id, path, query] of [['daily-csv', 'daily-volumes', dailyQuery], ['monthly-csv', 'monthly-volumes', monthlyQuery],
  ['transit-csv', 'transit-times', dailyQuery], ['incidents-csv', 'incidents', dailyQuery]])
  document.getElementById(id).href = `/api/v1/reports/${path}.csv?${query}&lang=${lang()}`;
// The file speaks the page's language: a manager sends it on as it is.
document.getElementById('csv').href = `/api/v1/reports/passages-per-hour.csv?lang=${lang()}`;

// --- failures: said across the page, never a silently empty one ------------------------------------------------------
const failure = document.getElementById('report-failure');

/** A report read from the server; a failure carries the report's name, so the banner says which one did not come. */
async function fetchReport(titleKey, path) {
  try { return await get(path); } catch (error) { throw Object.assign(error, { report: t(titleKey) }); }
}

/** Why a report did not come, in the reader's language: the server's own message for a refused request. */
function reason(error) {
  if (!(error instanceof ApiError)) return t('act.no-answer');
  return error.status === 400 && error.body?.message ? error.body.message : t('report.server-error', { status: error.status });
}

function showFailure(message, { retry = false, reset = false } = {}) {
  replace(failure, el('span', { 'data-testid': 'report-failure-text', text: message }),
    retry && el('button', { type: 'button', 'data-testid': 'report-retry', text: t('report.retry'), onclick: load }),
    reset && el('a', { href: '/reports', 'data-testid': 'report-reset', text: t('report.latest') }));
  failure.hidden = false;
}

// --- charts in the page's colours: ECharts' own dark grey text is unreadable on the dark panel ------------------------
const css = name => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const axisStyle = () => ({
  axisLabel: { color: css('--muted') }, nameTextStyle: { color: css('--muted') },
  axisLine: { lineStyle: { color: css('--line') } }, splitLine: { lineStyle: { color: css('--line') } },
});

/** A chart of one value per hour, day or month; plain-text tooltips, as the content security policy wants. */
function drawChart(id, periods, { yAxis, series }) {
  const node = document.getElementById(id);
  const fresh = !echarts.getInstanceByDom(node);
  const chart = echarts.getInstanceByDom(node) ?? echarts.init(node);
  chart.setOption({
    animation: false, backgroundColor: 'transparent', textStyle: { color: css('--text') },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    // One scrolling line of legend, well above the axis name ("驶入", "In") and the bars.
    legend: { type: 'scroll', top: 0, left: 8, right: 8, textStyle: { color: css('--text') },
      pageTextStyle: { color: css('--muted') }, pageIconColor: css('--text'), pageIconInactiveColor: css('--line') },
    grid: { top: 64, left: 56, right: 24, bottom: 40 },
    xAxis: { type: 'category', data: periods, ...axisStyle() }, yAxis: { ...yAxis, ...axisStyle(), nameGap: 12 }, series,
  }, true);
  if (fresh) addEventListener('resize', () => chart.resize());
}

/** Every report, drawn again from the server's answers; a failure leaves the banner saying which and why. */
async function load() {
  failure.hidden = true;
  const bad = badAddress();
  if (bad.length > 0) { showFailure(bad.join(' '), { reset: true }); return; }
  try {
    const [hourly, daily, monthly, transit, incidents] = await Promise.all([
      fetchReport('report.hourly', '/api/v1/reports/passages-per-hour?hours=24'),
      fetchReport('report.daily', `/api/v1/reports/daily-volumes?${dailyQuery}`),
      fetchReport('report.monthly', `/api/v1/reports/monthly-volumes?${monthlyQuery}`),
      fetchReport('report.transit', `/api/v1/reports/transit-times?${dailyQuery}`),
      fetchReport('report.incidents', `/api/v1/reports/incidents?${dailyQuery}`),
    ]);
    drawAll(hourly, daily, monthly, transit, incidents);
  } catch (error) {
    showFailure(t('report.failed', { report: error.report ?? t('reports.title'), reason: reason(error) }), { retry: true });
    if (!(error instanceof ApiError)) console.error(error);
  }
}

function drawHourly(report) {
  document.getElementById('report-empty').hidden = report.series.length > 0;
  const severalSites = new Set(report.series.map(x => x.site)).size > 1;
  drawChart('chart', report.hours.map(formatHour), {
    yAxis: { type: 'value', name: t('bore.entries') },
    series: report.series.map(s => ({
      name: `${severalSites ? s.site + ' · ' : ''}${boreName(s.bore)} · ${t('class.' + s.vehicleClass)}`,
      type: 'bar', stack: s.site + '/' + s.bore, data: s.counts,
    })),
  });
}

function drawAll(hourly, daily, monthly, transit, incidents) {
  sites = new Set([...daily.rows, ...monthly.rows, ...transit.rows, ...incidents.rows].map(r => r.site));
  drawHourly(hourly);
  drawPeriod(daily, monthly);
  volumes(daily, daily.days, r => r.day, 'daily', 'report.day');
  volumes(monthly, monthly.months, r => r.month, 'monthly', 'report.month');
  drawTransit(daily.days, transit);
  drawIncidents(daily.days, incidents);
}

/** The period shown, in the form that chooses another and in words. */
function drawPeriod(daily, monthly) {
  document.getElementById('period-to').value = daily.days.at(-1);
  document.getElementById('period-days').value = days;
  document.getElementById('period-month').value = monthly.months.at(-1);
  document.getElementById('period-range').textContent = t('report.range', {
    from: daily.days[0], to: daily.days.at(-1), mfrom: monthly.months[0], mto: monthly.months.at(-1) });
}

const grid = (headers, rows) => rows.length === 0 ? el('p', { class: 'muted', text: t('report.none') }) :
  el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, headers.map(h => el('th', { text: t(h) })))), el('tbody', {}, rows));
const seconds = s => s === null || s === undefined ? '–' : `${Math.round(s)} s`;

// Several tunnels (sites) may each have a "north" bore: rows are told apart by site and bore, and named by both when
// the reports hold more than one site.
let sites = new Set();
const place = r => sites.size > 1 ? `${r.site} · ${boreName(r.bore)}` : boreName(r.bore);
const placeKey = r => `${r.site}|${r.bore}`;

/** The bore and class pairs among the rows, in order, each with its legend name. */
const boreClasses = rows => [...new Map(rows.map(r => [`${placeKey(r)}|${r.vehicleClass}`, r])).entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([, r]) => ({ key: placeKey(r), cls: r.vehicleClass, name: `${place(r)} · ${t('class.' + r.vehicleClass)}` }));

/** Entries per period (a day or a month), stacked by class for each bore, and every row as a table. */
function volumes(report, periods, periodOf, prefix, periodHeader) {
  document.getElementById(prefix + '-hazmat').textContent = t('report.hazmat-total', { n: report.totalHazmat, exit: report.hazmatOnlyAtExit });
  const entries = report.rows.filter(r => r.portal === 'entry');
  drawChart(prefix + '-chart', periods, {
    yAxis: { type: 'value', name: t('bore.entries') },
    series: boreClasses(entries).map(({ key, cls, name }) => ({ name, type: 'bar', stack: key,
      data: periods.map(p => entries.filter(r => periodOf(r) === p && placeKey(r) === key && r.vehicleClass === cls).reduce((n, r) => n + r.passages, 0)) })),
  });
  // The period's total per bore and portal first, so nobody adds the rows up by hand; then every row.
  const totals = new Map();
  for (const r of report.rows) {
    const key = `${placeKey(r)}|${r.portal}`;
    const sum = totals.get(key) ?? { site: r.site, bore: r.bore, portal: r.portal, passages: 0, hazmat: 0 };
    sum.passages += r.passages; sum.hazmat += r.hazmat;
    totals.set(key, sum);
  }
  const row = (attributes, period, r, cls) => el('tr', attributes,
    [period, place(r), t('portal.' + r.portal), cls, r.passages, r.hazmat].map(text => el('td', { text })));
  const totalRows = [...totals.values()].sort((a, b) => placeKey(a).localeCompare(placeKey(b)) || a.portal.localeCompare(b.portal))
    .map(x => row({ class: 'total', 'data-testid': 'total' }, t('report.total'), x, t('report.all-classes')));
  replace(document.getElementById(prefix), grid([periodHeader, 'sites.bore', 'report.portal', 'col.class', 'report.passages', 'report.hazmat'],
    [...totalRows, ...report.rows.map(r => row({}, periodOf(r), r, t('class.' + r.vehicleClass)))]));
}

function drawTransit(periods, transit) {
  // What the times are made of, and what they leave out: a reader sees how many exits were guesses instead of trusting a median blindly.
  document.getElementById('transit-note').textContent = t('report.transit-made-of', { n: transit.rows.reduce((n, r) => n + r.transits, 0),
    guessed: transit.leftOut.guessedExit, overdue: transit.leftOut.overdue, lost: transit.leftOut.neverSeenLeaving });
  // Median transit per day, a line per bore and class: a slow day or a slow class shows at a glance.
  drawChart('transit-chart', periods, {
    yAxis: { type: 'value', name: t('report.median') + ' (s)', scale: true },
    series: boreClasses(transit.rows).map(({ key, cls, name }) => ({ name, type: 'line', connectNulls: true,
      data: periods.map(d => transit.rows.find(r => r.day === d && placeKey(r) === key && r.vehicleClass === cls)?.medianSeconds ?? null) })),
  });
  replace(document.getElementById('transit'), grid(['report.day', 'sites.bore', 'col.class', 'report.transits', 'report.median', 'report.p95'],
    transit.rows.map(r => el('tr', {}, el('td', { text: r.day }), el('td', { text: place(r) }), el('td', { text: t('class.' + r.vehicleClass) }),
      el('td', { text: r.transits }), el('td', { text: seconds(r.medianSeconds) }), el('td', { text: seconds(r.p95Seconds) })))));
}

function drawIncidents(periods, incidents) {
  document.getElementById('incident-summary').textContent = t('report.incident-summary', {
    n: incidents.count, acked: incidents.acknowledged, median: seconds(incidents.medianSecondsToAcknowledge), p95: seconds(incidents.p95SecondsToAcknowledge) });
  document.getElementById('false-summary').textContent = t('report.false-summary', {
    false: incidents.falseAlarms, retracted: incidents.retracted, confirmed: incidents.confirmed });
  // Incidents per local day, by what they turned out to be: the share of false alarms at a glance.
  const dayOf = iso => new Intl.DateTimeFormat('en-CA', { timeZone: incidents.timeZone }).format(new Date(iso));
  const outcome = r => r.verdict === 'confirmed' ? 'confirmed' : r.verdict === 'false' || r.retracted ? 'false' : 'unjudged';
  drawChart('incident-chart', periods, {
    yAxis: { type: 'value', minInterval: 1 },
    series: [['confirmed', '#e5484d'], ['false', '#f5a524'], ['unjudged', '#6b7280']].map(([o, color]) => ({
      name: t('report.outcome.' + o), type: 'bar', stack: 'incidents', itemStyle: { color },
      data: periods.map(d => incidents.rows.filter(r => dayOf(r.raisedAt) === d && outcome(r) === o).length),
    })),
  });
  const verdict = r => [r.verdict && t('verdict.' + r.verdict), r.retracted && t('report.retracted')].filter(Boolean).join(' · ') || '–';
  replace(document.getElementById('incidents'), grid(['report.raised', 'sites.bore', 'col.plate', 'report.priority', 'agent.status', 'report.acked', 'report.to-ack', 'report.verdict'],
    incidents.rows.map(r => el('tr', { 'data-incident': r.alarmId },
      el('td', { text: formatTime(r.raisedAt, true) }), el('td', { text: place(r) }), el('td', {}, plateChip(r.plate, r.plateColor)),
      el('td', { text: t('prio.' + r.priority) }), el('td', { text: t('state.' + r.state) }),
      el('td', { text: r.acknowledgedAt ? `${formatTime(r.acknowledgedAt, true)} · ${r.acknowledgedBy ?? ''}` : '–' }),
      el('td', { 'data-testid': 'to-ack', text: seconds(r.secondsToAcknowledge) }),
      el('td', { 'data-testid': 'verdict', text: verdict(r) })))));
}

await load();

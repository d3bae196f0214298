// Manager reports: passages per hour by bore and class over the last 24 h, with CSV download.
import { get } from './api.js';
import { t } from './i18n.js';
import { boreName, formatHour } from './dom.js';
import { startPage } from './shell.js';

await startPage('reports.title');
const report = await get('/api/v1/reports/passages-per-hour?hours=24');
document.getElementById('report-empty').hidden = report.series.length > 0;
const chart = echarts.init(document.getElementById('chart'));
chart.setOption({
  animation: false,
  // Plain-text tooltips: the HTML ones carry inline styles that the content security policy refuses.
  tooltip: { trigger: 'axis', renderMode: 'richText' },
  legend: { type: 'scroll', top: 0 },
  grid: { top: 48, left: 48, right: 24, bottom: 40 },
  xAxis: { type: 'category', data: report.hours.map(formatHour) },
  yAxis: { type: 'value', name: t('bore.entries') },
  series: report.series.map(s => ({
    name: `${boreName(s.bore)} · ${t('class.' + s.vehicleClass)}`,
    type: 'bar', stack: s.site + '/' + s.bore, data: s.counts,
  })),
});
addEventListener('resize', () => chart.resize());

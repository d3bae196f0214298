// Alarm reasons in the reader's language: the service sends a code and its arguments beside its English
// sentence (reasonCode, reasonArgs of tunnel.alarm.v1). An alarm without a code (written before codes),
// with a code this page does not know, or with an operator's own words (shelved) is shown as written.
import { t } from './i18n.js';
import { formatTime } from './dom.js';

function duration(seconds) {
  return seconds >= 60 ? t('dur.min', { m: (seconds / 60).toFixed(1) }) : t('dur.s', { s: Math.round(seconds) });
}

export function reasonText(alarm) {
  if (!alarm.reasonCode || alarm.reasonCode === 'shelved') return alarm.reason;
  const args = {};
  const given = alarm.reasonArgs ?? {};
  for (const [name, value] of Object.entries(given)) {
    // A clock time is said in the console's zone from its instant (name + 'At'), not in the passage's offset.
    if (given[name + 'At']) { args[name] = formatTime(given[name + 'At']); continue; }
    if (!name.endsWith('Duration')) { args[name] = value; continue; }
    // Durations come in seconds; a sentence says them as a span ("4.5 min") or in whole minutes or hours.
    const seconds = Number(value), base = name.slice(0, -'Duration'.length);
    args[name] = duration(seconds);
    args[base + 'Minutes'] = Math.round(seconds / 60);
    args[base + 'Hours'] = Math.round(seconds / 3600);
  }
  const key = 'reason.' + alarm.reasonCode;
  const text = t(key, args);
  return text === key ? alarm.reason : text;
}

// Alarm reasons in the reader's language: the server sends a code and parameters for the reasons it
// recognises (see AlarmReasons.cs); anything else is shown as the service wrote it.
import { t } from './i18n.js';

function duration(seconds) {
  return seconds >= 60 ? t('dur.min', { m: (seconds / 60).toFixed(1) }) : t('dur.s', { s: Math.round(seconds) });
}

export function reasonText(alarm) {
  if (!alarm.reasonCode) return alarm.reason;
  const args = {};
  for (const [name, value] of Object.entries(alarm.reasonArgs ?? {})) args[name] = name.endsWith('Duration') ? duration(Number(value)) : value;
  const key = 'reason.' + alarm.reasonCode;
  const text = t(key, args);
  return text === key ? alarm.reason : text;
}

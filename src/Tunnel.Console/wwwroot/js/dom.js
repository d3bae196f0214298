// Building blocks for pages. Every string from the server goes in as a text node: a plate, a camera
// name or a note that contains markup is shown as those characters and never parsed.
import { lang, t } from './i18n.js';

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function replace(node, ...children) {
  node.replaceChildren(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
}

let zone = 'Asia/Shanghai';
export function setTimeZone(z) { zone = z || 'Asia/Shanghai'; }

export function formatTime(iso, withDate = false) {
  if (!iso) return '';
  const options = { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
  if (withDate) Object.assign(options, { year: 'numeric', month: '2-digit', day: '2-digit' });
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', options).format(new Date(iso));
}

export function formatHour(iso) {
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN',
    { timeZone: zone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso));
}

export function boreName(bore) {
  const key = 'bore.' + bore;
  const name = t(key);
  return name === key ? bore : name;
}

const colours = new Set(['blue', 'yellow', 'green', 'white', 'black']);
/** A plate as a small plate-shaped chip in its colour: null was not read, "" was purged after the retention period. */
export function plateChip(plate, colour) {
  const known = colours.has(colour) ? colour : 'unknown';
  const text = plate === '' ? t('plate.purged') : plate ?? t('plate.unread');
  return el('span', { class: `plate plate-${known}`, 'data-testid': 'plate' }, text);
}

/**
 * Handles a form's submit and only then enables its submit buttons (they start disabled in the page): a
 * click before the script ran would submit the form natively, as a GET with every field, passwords
 * included, in the address.
 */
export function onSubmit(form, handler) {
  form.addEventListener('submit', handler);
  for (const button of form.querySelectorAll('button[type=submit]')) button.disabled = false;
}

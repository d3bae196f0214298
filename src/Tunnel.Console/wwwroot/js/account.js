// One's own account: change the password (the current one is asked for again).
import { post } from './api.js';
import { t } from './i18n.js';
import { startPage } from './shell.js';
import { onSubmit } from './dom.js';

await startPage('account.title');
const form = document.getElementById('password-form');
const message = document.getElementById('password-message');
onSubmit(form, async e => {
  e.preventDefault();
  const { current, new: replacement, repeat } = form.elements;
  if (replacement.value !== repeat.value) { message.textContent = t('account.mismatch'); message.className = 'message'; return; }
  try {
    await post('/api/v1/auth/password', { currentPassword: current.value, newPassword: replacement.value }, { redirectOn401: false });
    form.reset();
    message.textContent = t('account.changed');
    message.className = 'message ok';
  } catch (err) {
    message.textContent = t('act.failed', { msg: err.message });
    message.className = 'message';
  }
});

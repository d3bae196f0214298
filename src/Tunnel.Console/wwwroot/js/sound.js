// Alarm sound in this browser only. Muting here is a local choice: it never acknowledges anything,
// and other consoles keep sounding until an operator acknowledges the alarm.
const tones = {
  critical: { freq: 1046, beeps: 3, gap: 0.16 },
  high: { freq: 784, beeps: 2, gap: 0.22 },
  medium: { freq: 587, beeps: 1, gap: 0.3 },
  low: { freq: 440, beeps: 1, gap: 0.3 },
};

/** A forgotten mute must not keep a wall silent for the rest of the night. */
export const muteLimitMs = 5 * 60 * 1000;

/**
 * Whether an alarm sounds in this browser. A mute only quiets the alarms that were already waiting when it
 * began (mute.ids), and never a critical one: the operator muted what they had heard, not what came after.
 */
export function sounds(alarm, mute, now) {
  if (!mute || now >= mute.until) return true;
  return alarm.priority === 'critical' || !mute.ids.includes(alarm.alarmId);
}

export class AlarmSound {
  constructor() {
    this.context = null;
    this.mute = readMute();
    this.spoken = new Map();
    // Announcements play one after another, most urgent first: two voices at once are heard as neither.
    this.queue = [];
    this.playing = null;
  }

  get muted() { return this.mute !== null && Date.now() < this.mute.until; }

  /** Milliseconds of mute left, 0 when not muted. */
  get muteLeft() { return this.muted ? this.mute.until - Date.now() : 0; }

  get enabled() { return this.context !== null && this.context.state === 'running'; }

  /** Browsers allow sound only after a click: the wall asks for one. */
  async enable() {
    this.context ??= new AudioContext();
    await this.context.resume();
  }

  /** Mutes, for at most muteLimitMs, the alarms waiting now (their ids); unmutes with none. */
  setMuted(muted, waitingIds = []) {
    this.mute = muted ? { until: Date.now() + muteLimitMs, ids: [...waitingIds] } : null;
    // Kept over a reload, with its end: reloading must neither lift nor extend a mute.
    if (this.mute) sessionStorage.setItem('tunnel.mute', JSON.stringify(this.mute));
    else sessionStorage.removeItem('tunnel.mute');
    // What the mute quiets is not announced any more, the one being spoken included.
    this.announce([this.playing?.alarm, ...this.queue].filter(Boolean));
  }

  /** Whether this alarm sounds now (see sounds()). */
  sounds(alarm) { return sounds(alarm, this.mute, Date.now()); }

  tone(priority) {
    if (!this.enabled) return;
    const { freq, beeps, gap } = tones[priority] ?? tones.low;
    const start = this.context.currentTime;
    for (let i = 0; i < beeps; i++) {
      const osc = this.context.createOscillator();
      const gain = this.context.createGain();
      osc.type = 'square';
      osc.frequency.value = freq;
      const at = start + i * (gap * 2);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + gap);
      osc.connect(gain).connect(this.context.destination);
      osc.start(at);
      osc.stop(at + gap + 0.02);
    }
  }

  /**
   * Speaks these alarms (most urgent first) as the server announces them (espeak-ng), each at most once a minute.
   * Called again with the alarms waiting now: one no longer among them (acknowledged, muted) is dropped, and stopped
   * if it is being spoken. The page names the alarm, never its plate: a URL ends up in access logs, proxies and the
   * browser's history.
   */
  announce(alarms) {
    if (!this.enabled) return;
    const wanted = alarms.filter(a => this.sounds(a));
    const current = this.playing;
    this.queue = wanted.filter(a => a.alarmId !== current?.alarm.alarmId && Date.now() - (this.spoken.get(a.alarmId) ?? 0) >= 60000);
    if (current && !wanted.some(a => a.alarmId === current.alarm.alarmId)) current.stop();
    this.next();
  }

  next() {
    const alarm = this.playing ? null : this.queue.shift();
    if (!alarm) return;
    this.spoken.set(alarm.alarmId, Date.now());
    const audio = new Audio(`/api/v1/alarms/${encodeURIComponent(alarm.alarmId)}/speech`);
    // However it ends (played, failed: espeak-ng missing, or stuck loading), the next one gets its turn.
    const done = () => {
      if (this.playing !== playing) return;
      clearTimeout(limit);
      this.playing = null;
      this.next();
    };
    const playing = this.playing = { alarm, stop: () => { audio.pause(); done(); } };
    const limit = setTimeout(playing.stop, 30000);
    audio.addEventListener('ended', done);
    audio.addEventListener('error', done);
    audio.play().catch(done); // no speech: the tone still sounds
  }
}

function readMute() {
  try {
    const mute = JSON.parse(sessionStorage.getItem('tunnel.mute'));
    return mute && typeof mute.until === 'number' && Array.isArray(mute.ids) ? mute : null;
  } catch { return null; }
}

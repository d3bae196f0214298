// Alarm sound in this browser only. Muting here is a local choice: it never acknowledges anything,
// and other consoles keep sounding until an operator acknowledges the alarm.
const tones = {
  critical: { freq: 1046, beeps: 3, gap: 0.16 },
  high: { freq: 784, beeps: 2, gap: 0.22 },
  medium: { freq: 587, beeps: 1, gap: 0.3 },
  low: { freq: 440, beeps: 1, gap: 0.3 },
};

export class AlarmSound {
  constructor() {
    this.context = null;
    this.muted = sessionStorage.getItem('tunnel.muted') === '1';
    this.spoken = new Map();
  }

  get enabled() { return this.context !== null && this.context.state === 'running'; }

  /** Browsers allow sound only after a click: the wall asks for one. */
  async enable() {
    this.context ??= new AudioContext();
    await this.context.resume();
  }

  setMuted(muted) {
    this.muted = muted;
    sessionStorage.setItem('tunnel.muted', muted ? '1' : '0');
  }

  tone(priority) {
    if (!this.enabled || this.muted) return;
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

  /** Speaks text made on the server (espeak-ng), at most once a minute per alarm. */
  speak(alarmId, text) {
    if (!this.enabled || this.muted || !text) return;
    const last = this.spoken.get(alarmId) ?? 0;
    if (Date.now() - last < 60000) return;
    this.spoken.set(alarmId, Date.now());
    const audio = new Audio('/api/v1/speech?text=' + encodeURIComponent(text));
    audio.play().catch(() => { /* no speech (espeak-ng missing or failed): the tone still sounds */ });
  }
}

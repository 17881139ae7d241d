// Sound and vibration for each answer: the person at the door looks at the card and the
// learner, not at the screen.

let audio = null;
const TONES = {
  ok: [[1046, 0, 0.15]],
  again: [
    [660, 0, 0.1],
    [660, 0.16, 0.1],
  ],
  error: [[196, 0, 0.4]],
};
const VIBRATION = { ok: 80, again: [60, 80, 60], error: [250, 100, 250] };

// A short beep made on the spot: nothing to download on a slow network.
export function signal(kind) {
  try {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (Context) {
      audio = audio || new Context();
      if (audio.state === "suspended") {
        audio.resume();
      }
      TONES[kind].forEach((tone) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        const start = audio.currentTime + tone[1];
        osc.type = kind === "error" ? "square" : "sine";
        osc.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[2]);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start);
        osc.stop(start + tone[2] + 0.02);
      });
    }
  } catch {
    // No sound is no reason to stop checking people in.
  }
  if (navigator.vibrate) {
    navigator.vibrate(VIBRATION[kind]);
  }
}

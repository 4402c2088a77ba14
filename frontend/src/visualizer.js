// Live view of what the synthesizer actually outputs: spectrum bars with the waveform on top,
// both read from the AnalyserNode placed between the synth and the speakers.

export class Visualizer {
  constructor(canvas, analyser) {
    this.canvas = canvas;
    this.analyser = analyser;
    this.freq = new Uint8Array(analyser.frequencyBinCount);
    this.wave = new Float32Array(analyser.fftSize);
  }

  /** RMS of the analyser's current time-domain buffer: 0 when silent. */
  level() {
    this.analyser.getFloatTimeDomainData(this.wave);
    let sum = 0;
    for (const v of this.wave) sum += v * v;
    return Math.sqrt(sum / this.wave.length);
  }

  draw() {
    const { canvas, analyser } = this;
    const ctx = canvas.getContext("2d");
    const w = canvas.width;
    const h = canvas.height;
    ctx.fillStyle = "#111318";
    ctx.fillRect(0, 0, w, h);

    // Music lives in the low bins; show the lower quarter of the spectrum (0-5.5 kHz at 44.1 kHz).
    analyser.getByteFrequencyData(this.freq);
    const bins = Math.floor(this.freq.length / 4);
    const barW = w / bins;
    for (let i = 0; i < bins; i++) {
      const v = this.freq[i] / 255;
      ctx.fillStyle = `hsl(${190 + 120 * v}, 80%, ${25 + 40 * v}%)`;
      ctx.fillRect(i * barW, h - v * h, Math.max(1, barW - 1), v * h);
    }

    analyser.getFloatTimeDomainData(this.wave);
    // Quiet passages would draw a flat line: scale the waveform up (at most 8x) to fill the view.
    let peak = 0;
    for (const v of this.wave) peak = Math.max(peak, Math.abs(v));
    const gain = peak > 0 ? Math.min(8, 0.9 / peak) : 1;
    ctx.strokeStyle = "#f8f9fa";
    ctx.beginPath();
    for (let i = 0; i < this.wave.length; i++) {
      const x = (i / (this.wave.length - 1)) * w;
      const y = h / 2 - this.wave[i] * gain * (h / 2);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
}

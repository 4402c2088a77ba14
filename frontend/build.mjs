// Builds the player into the Flask static folder: the JS/CSS bundle (esbuild), SpessaSynth's
// AudioWorklet processor, and a SoundFont with its licence. Everything the browser needs is
// served by our own server, so the studio works offline. Facts the Python package owns (the
// General MIDI names) are read from it at build time rather than copied into src/.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "../src/sonatina/web/static/player");
mkdirSync(join(out, "soundfont"), { recursive: true });

// The project's venv when `make install` made it, else the system python3 reading ../src.
const venvPython = resolve(here, "../.venv/bin/python");
const python = existsSync(venvPython) ? venvPython : "python3";

function runPython(args) {
  const env = { ...process.env, PYTHONPATH: [resolve(here, "../src"), process.env.PYTHONPATH].filter(Boolean).join(":") };
  return execFileSync(python, args, { env }).toString();
}

// `import ... from "sonatina:instruments"` in src/ resolves to the GM program and family names
// printed by `python -m sonatina.music.instruments` (the one list, in music/instruments.py).
const pythonFacts = {
  name: "sonatina-python-facts",
  setup(b) {
    b.onResolve({ filter: /^sonatina:instruments$/ }, (args) => ({ path: args.path, namespace: "sonatina" }));
    b.onLoad({ filter: /.*/, namespace: "sonatina" }, () => ({
      contents: runPython(["-m", "sonatina.music.instruments"]),
      loader: "json",
    }));
  },
};

await build({
  entryPoints: [join(here, "src/main.js")],
  outfile: join(out, "player.js"),
  bundle: true,
  format: "esm",
  target: ["chrome100", "firefox110", "safari16"],
  minify: true,
  sourcemap: true,
  logLevel: "warning",
  plugins: [pythonFacts],
});

copyFileSync(join(here, "node_modules/spessasynth_lib/dist/spessasynth_processor.min.js"),
  join(out, "spessasynth_processor.min.js"));

// TimGM6mb (6 MB, GPL-2) ships inside the pretty_midi wheel installed in the project's venv:
// small enough for a page load, full General MIDI. SONATINA_PLAYER_SF2 overrides it.
function findSoundFont() {
  if (process.env.SONATINA_PLAYER_SF2) return process.env.SONATINA_PLAYER_SF2;
  const code = "import importlib.util, os; s = importlib.util.find_spec('pretty_midi'); "
    + "print(os.path.join(os.path.dirname(s.origin), 'TimGM6mb.sf2') if s else '')";
  try {
    return runPython(["-c", code]).trim();
  } catch {
    return "";
  }
}
const sf2 = findSoundFont();
if (!sf2 || !existsSync(sf2)) {
  console.error("frontend build: TimGM6mb.sf2 not found (run `make install`: it puts "
    + "pretty_midi, which ships it, into .venv), or set SONATINA_PLAYER_SF2 to a .sf2/.sf3 file.");
  process.exit(1);
}
copyFileSync(sf2, join(out, "soundfont/TimGM6mb.sf2"));
copyFileSync(join(here, "soundfont/TimGM6mb-LICENSE.txt"), join(out, "soundfont/TimGM6mb-LICENSE.txt"));
copyFileSync(join(here, "soundfont/GPL-2.txt"), join(out, "soundfont/GPL-2.txt"));
console.log(`frontend build: player written to ${out}`);

"""Read a file a user handed over (MIDI, MusicXML, ABC, Humdrum, audio) in a sandboxed child.

Why: symusic's MIDI parser has memory-corruption bugs (a mutated 261-byte MIDI segfaults it,
docs/symusic-crash.md), and music21 can spend minutes and gigabytes on a 20 kB ABC tune or an
.mxl that inflates to 200 MB. Parsed in the web server, one upload would kill or stall it.

How: a small fork server (`python -m sonatina.data.untrusted`, started once per process with
exec, so it holds no threads, no torch and no locks of the parent) forks one child per file.
The child drops its limits (address space, CPU, file size, no core dumps), silences the native
libraries' stderr, parses, and sends back plain bytes: a Score as MIDI written by symusic, or
audio as raw float32 samples. Never a pickle, so even a subverted child cannot run code in the
parent. A crash, a signal, a limit or a parse error becomes one BadInputError sentence.

Measured (bench/fuzz.py, one 16-bar MIDI file, 2 cores shared with other jobs): 14-34 ms per file
through the server, against 0.03 ms in-process, 12-54 ms for a plain fork of a parent holding torch
(no cheaper, and unsafe: a fork while other threads run can deadlock the child on a lock one of
them held) and 320-740 ms for a fresh interpreter per file (spawn: Python, numpy and symusic
imported every time). The server starts once per process in ~0.3 s (~1 s more, once, for music21).

Only user files come here. Training corpora are trusted and read in-process
(`reading.read_midi`, `reading.converted_midi_files`): a corpus of 100k files would pay
25-55 minutes of sandbox overhead for nothing.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sonatina.errors import BadInputError

MIDI_SUFFIXES = {".mid", ".midi", ".kar", ".smf"}
SCORE_SUFFIXES = {".xml", ".musicxml", ".mxl", ".abc", ".krn"}


@dataclass(frozen=True)
class Limits:
    """What one file may cost to read. Score limits are set from measured music21 costs."""

    seconds: float = 20.0  # wall time for MIDI, and for an audio header check
    audio_seconds: float = 180.0  # wall time to decode 20 minutes of MP3 and resample it, on a busy machine
    score_seconds: float = 60.0  # wall time for a music21 conversion
    memory_bytes: int = 2 << 30  # RLIMIT_AS of the child (music21 + numpy map ~0.5 GB)
    audio_memory_bytes: int = 4 << 30  # 20 minutes of stereo float32 plus resampling
    file_bytes: int = 20 << 20  # a score file as given
    audio_bytes: int = 1 << 31  # an audio file as given (its length is checked from the header)
    score_bytes: int = 2 << 20  # MusicXML/Humdrum text, after .mxl inflation
    abc_bytes: int = 256 << 10  # the first tune of an ABC file (real tunes are a few kB)
    inflated_bytes: int = 30 << 20  # everything an .mxl archive may inflate to


# Defaults (the CLI on the user's own machine) and the studio's tighter limits for uploads.
# Measured in the sandbox on music21's own corpus (2 shared cores, music21 warm in the server):
# ABC tunes of 0.5-1 kB take 1-3.5 s; MusicXML 183 kB 2.1 s, 399 kB 3.0 s, 1.2 MB 14.5 s; an
# .mxl inflating to 200 kB 1.8 s, to 9.5 MB >40 s; Humdrum 4 kB 2.9 s, 81 kB >40 s. The hostile
# 20 kB ABC tune of issue 9 takes >120 s. So the studio allows 512 kB of MusicXML (~3 s),
# 64 kB of ABC, and 8 s for anything: a request is answered within 10 s whatever it holds.
CLI_LIMITS = Limits()
WEB_LIMITS = Limits(seconds=8.0, score_seconds=8.0, memory_bytes=1536 << 20, score_bytes=512 << 10,
                    abc_bytes=64 << 10, inflated_bytes=1 << 20, file_bytes=2 << 20, audio_bytes=15 << 20)


def read_score(path: str | Path, *, name: str | None = None, limits: Limits = CLI_LIMITS):
    """A symusic Score from a user's MIDI/MusicXML/ABC/Humdrum file (the first work), or BadInputError."""
    from symusic import Score

    path = Path(path)
    name = name or path.name
    _check_file(path, name, limits.file_bytes)
    seconds = limits.score_seconds if path.suffix.lower() in SCORE_SUFFIXES else limits.seconds
    header, payload = _run({"job": "score", "path": str(path.resolve()), "name": name, "limits": asdict(limits),
                            "seconds": seconds, "memory": limits.memory_bytes}, seconds, name)
    try:
        return Score.from_midi(payload)
    except Exception:  # the child wrote these bytes with symusic; failing here is a bug of ours
        raise BadInputError(f"'{name}' could not be read: the file is damaged.") from None


def run_reader(reader: str, path: str | Path, *, name: str | None = None, max_bytes: int, seconds: float,
               memory_bytes: int, limits: Limits = CLI_LIMITS, options: dict | None = None) -> tuple[dict, bytes]:
    """Run `reader` ("package.module:function", called as function(path, name, options) -> (header
    dict, payload bytes)) on a user's file in a sandboxed child. Stages above this one (audio) bring
    their own readers this way, so this module never imports them."""
    path = Path(path)
    name = name or path.name
    _check_file(path, name, max_bytes)
    return _run({"job": reader, "path": str(path.resolve()), "name": name, "limits": asdict(limits),
                 "options": options or {}, "seconds": seconds, "memory": memory_bytes}, seconds, name)


def _check_file(path: Path, name: str, max_bytes: int) -> None:
    if not path.is_file():
        raise BadInputError(f"'{path}' does not exist or is not a file.")
    size = path.stat().st_size
    if size == 0:
        raise BadInputError(f"'{name}' is empty (0 bytes).")
    if size > max_bytes:
        raise BadInputError(f"'{name}' is larger than {max_bytes / 2**20:.0f} MB, too large to read.")


# ------------------------------------------------------------------------------- parent side

_server_lock = threading.Lock()
_server: dict = {}
# How children ended, for bench/fuzz.py and logs: answered, died (a signal or a limit), timed out.
STATS = {"answered": 0, "died": 0, "timed_out": 0}
# Children at once per process: each may take its whole memory limit, and there are few cores.
_slots = threading.BoundedSemaphore(int(os.environ.get("SONATINA_SANDBOXES", "2")))


def _run(request: dict, seconds: float, name: str) -> tuple[dict, bytes]:
    """Send one request to a forked child; its answer, or BadInputError for any way it failed."""
    too_long = BadInputError(f"'{name}' took too long to read (over {seconds:.0f} s); it is damaged or too large.")
    if not _slots.acquire(timeout=seconds):
        raise BadInputError(f"'{name}' could not be read now: the server is busy reading other files; try again.")
    try:
        conn = _connect()
        deadline = time.monotonic() + seconds
        pid = None
        try:
            conn.sendall(json.dumps(request).encode() + b"\n")
            pid = struct.unpack("<i", _recv_exact(conn, 4, deadline))[0]
            size = struct.unpack("<I", _recv_exact(conn, 4, deadline))[0]
            header = json.loads(_recv_exact(conn, size, deadline))
            if "error" not in header:
                size = struct.unpack("<Q", _recv_exact(conn, 8, deadline))[0]
                payload = _recv_exact(conn, size, deadline)
        except TimeoutError:
            if pid:  # still running (no EOF yet), so the pid is still its own
                _kill(pid)
            STATS["timed_out"] += 1
            raise too_long from None
        except (EOFError, OSError, ValueError, struct.error):
            # The child died before answering: a signal (segfault, abort) or a limit it hit.
            STATS["died"] += 1
            raise BadInputError(f"'{name}' could not be read: the file is damaged.") from None
        finally:
            conn.close()
    finally:
        _slots.release()
    STATS["answered"] += 1
    if "error" in header:  # the child's own sentence (BadInputError is a ValueError: raise it out here)
        raise BadInputError(header["error"])
    return header, payload


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)  # the server ignores SIGCHLD, so the child is reaped for us
    except (ProcessLookupError, PermissionError):
        pass


def _recv_exact(conn: socket.socket, size: int, deadline: float) -> bytes:
    chunks, left = [], size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        conn.settimeout(remaining)
        try:
            chunk = conn.recv(min(left, 1 << 20))
        except socket.timeout:
            raise TimeoutError from None
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _connect() -> socket.socket:
    """A connection to this process's fork server, started (or restarted) on demand."""
    with _server_lock:
        for attempt in range(2):
            if _server.get("pid_of_owner") != os.getpid() or _server["proc"].poll() is not None:
                _start_server()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(_server["address"])
                return sock
            except OSError:
                sock.close()
                _server["proc"].kill()
                _server["proc"].wait()
        raise BadInputError("Files cannot be read safely on this machine right now (the reader did not start).")


def _start_server() -> None:
    folder = tempfile.mkdtemp(prefix="sonatina-reader-")  # 0700: only this user may connect
    address = os.path.join(folder, "socket")
    # stdin stays a pipe from us: when this process exits, the server sees EOF and leaves.
    proc = subprocess.Popen([sys.executable, "-m", "sonatina.data.untrusted", address], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True)
    ready = proc.stdout.readline()
    if ready.strip() != b"ready":
        proc.kill()
        raise BadInputError("Files cannot be read safely on this machine right now (the reader did not start).")
    _server.update(proc=proc, address=address, folder=folder, pid_of_owner=os.getpid())
    import atexit

    atexit.register(shutil.rmtree, folder, True)


# ------------------------------------------------------------------------------- server side

def serve(address: str) -> None:
    """Accept requests; fork one child per request. Single-threaded, so forking is safe."""
    import numpy  # noqa: F401  preloaded once so each child starts warm
    import soundfile  # noqa: F401
    import symusic  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1):
            return  # the parent is gone
        if listener in readable:
            conn, _ = listener.accept()
            request = _read_request(conn)  # written by our own parent, not by a user
            if request is None:
                conn.close()
                continue
            if Path(request["path"]).suffix.lower() in SCORE_SUFFIXES and "music21" not in sys.modules:
                import music21  # noqa: F401  once, here: each conversion then starts ~1 s sooner
            if os.fork() == 0:
                listener.close()
                _child(conn, request)
                os._exit(0)
            conn.close()


def _read_request(conn: socket.socket) -> dict | None:
    conn.settimeout(5)
    raw = b""
    try:
        while not raw.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                return None
            raw += chunk
        conn.settimeout(None)
        return json.loads(raw)
    except (OSError, ValueError):
        return None


def _child(conn: socket.socket, request: dict) -> None:
    import resource

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # native libraries (symusic's MiniMidi, mpg123, libsndfile) print here
    os.dup2(devnull, 2)
    conn.sendall(struct.pack("<i", os.getpid()))
    limits = Limits(**request["limits"])
    memory, seconds = int(request["memory"]), float(request["seconds"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (int(seconds) + 2, int(seconds) + 2))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    name = request["name"]
    try:
        if request["job"] == "score":
            header, payload = {}, _score_bytes(Path(request["path"]), name, limits)
        else:
            header, payload = _reader(request["job"])(Path(request["path"]), name, request["options"])
    except BadInputError as exc:
        header, payload = {"error": str(exc)}, None
    except MemoryError:
        header, payload = {"error": f"'{name}' could not be read: it needs more memory than allowed "
                                    "(it is damaged or far too large)."}, None
    except Exception:  # RecursionError, library errors: their text means nothing to users
        header, payload = {"error": f"'{name}' could not be read: the file is damaged."}, None
    encoded = json.dumps(header).encode()
    conn.sendall(struct.pack("<I", len(encoded)) + encoded)
    if payload is not None:
        conn.sendall(struct.pack("<Q", len(payload)))
        conn.sendall(payload)


def _score_bytes(path: Path, name: str, limits: Limits) -> bytes:
    from symusic import Score

    suffix = path.suffix.lower()
    if suffix in SCORE_SUFFIXES:
        midi = _convert_first_work(path, name, limits)
    else:
        midi = path.read_bytes()
        check_midi_header(midi, name)
    try:
        score = Score.from_midi(midi)
    except Exception:
        if suffix in MIDI_SUFFIXES or suffix in SCORE_SUFFIXES:
            raise BadInputError(f"'{name}' could not be read: the file is damaged (not a readable MIDI file).") from None
        raise BadInputError(f"'{name}' is not a music file Sonatina reads (MIDI, MusicXML, ABC or Humdrum).") from None
    if score.ticks_per_quarter <= 0:
        raise BadInputError(f"'{name}' could not be read: its header gives no ticks per beat, so its timing is broken.")
    if score.note_num() == 0:
        raise BadInputError(f"'{name}' contains no notes.")
    if suffix not in SCORE_SUFFIXES:
        check_midi_whole(midi, name)
    _check_sane(score, name)
    return bytes(score.dumps_midi())


MAX_PIECE_HOURS = 3  # longer than any real piece; a mutated delta time can claim weeks


def _check_sane(score, name: str) -> None:
    """Values a damaged file can hold that would break timing maths later (divide by zero, weeks of piano roll)."""
    damaged = BadInputError(f"'{name}' could not be read: the file is damaged (its timing is broken).")
    for tempo in score.tempos:
        if not 0.0 < tempo.qpm < 1e6:  # a tempo of 0 us per beat reads as infinite
            raise damaged
    for signature in score.time_signatures:
        if signature.numerator < 1 or signature.denominator not in (1, 2, 4, 8, 16, 32, 64):
            raise damaged
    seconds = score.to("second").end()
    if seconds > MAX_PIECE_HOURS * 3600:
        raise BadInputError(f"'{name}' claims to last {seconds / 3600:.1f} hours; Sonatina reads pieces up to "
                            f"{MAX_PIECE_HOURS} hours (the file is probably damaged).")


def check_midi_header(data: bytes, name: str) -> None:
    """Refuse a MIDI whose header would break timing later (division 0 divides by zero in MidiTok)."""
    if data[:4] == b"RIFF" and data[8:12] == b"RMID":  # RIFF-wrapped MIDI: the MThd sits in a chunk
        start = data.find(b"MThd")
        data = data[start:] if start >= 0 else b""
    if data[:4] != b"MThd" or len(data) < 14:
        suffix = Path(name).suffix.lower()
        if suffix in MIDI_SUFFIXES:
            raise BadInputError(f"'{name}' could not be read: the file is damaged (not a readable MIDI file).")
        raise BadInputError(f"'{name}' is not a music file Sonatina reads (MIDI, MusicXML, ABC or Humdrum).")
    division = struct.unpack(">H", data[12:14])[0]
    if division == 0:
        raise BadInputError(f"'{name}' could not be read: its header gives 0 ticks per beat, so its timing is broken.")
    if division & 0x8000:
        raise BadInputError(f"'{name}' uses SMPTE time code instead of beats, which Sonatina does not read.")


def check_midi_whole(data: bytes, name: str) -> None:
    """Refuse a MIDI file cut short: a chunk that declares more bytes than the file still holds.

    symusic reads such a file without complaint (a download stopped half way gave 34 notes and 29 s
    of a 3-minute song), so the user would compose from a fragment without knowing. Checked after
    symusic has parsed the file, inside the child, so a file that crashes the parser still does so
    where it is harmless."""
    if data[:4] == b"RIFF":  # RIFF-wrapped: only its "data" chunk holds the MIDI file (other chunks follow)
        if data[12:16] != b"data":
            return
        data = data[20:20 + struct.unpack("<I", data[16:20])[0]]
    position = 0
    while position + 8 <= len(data):
        length = struct.unpack(">I", data[position + 4:position + 8])[0]
        if position + 8 + length > len(data):
            raise BadInputError(f"'{name}' could not be read: the file is damaged (it is cut short, "
                                "so part of the music is missing).")
        position += 8 + length


def _convert_first_work(path: Path, name: str, limits: Limits) -> bytes:
    """MusicXML/ABC/Humdrum -> MIDI bytes of the first work, with music21, inside the child."""
    if path.suffix.lower() == ".mxl":
        text, suffix = _inflate_mxl(path, name, limits), ".musicxml"
    else:
        text, suffix = path.read_bytes(), path.suffix.lower()
    cap = limits.score_bytes
    if suffix == ".abc":  # music21 parses a whole tune book; we only want its first tune
        text, cap = first_abc_tune(text), limits.abc_bytes
    if len(text) > cap:
        raise BadInputError(f"'{name}' holds {len(text) / 2**10:.0f} kB of notation; the limit is "
                            f"{cap / 2**10:.0f} kB, so use a shorter excerpt.")
    import music21

    folder = Path(tempfile.mkdtemp(prefix="sonatina-convert-"))
    try:
        source = folder / f"in{suffix}"
        source.write_bytes(text)
        try:
            parsed = music21.converter.parse(str(source), format=_FORMATS[suffix])
            work = parsed.scores[0] if isinstance(parsed, music21.stream.Opus) and parsed.scores else parsed
            work.write("midi", fp=str(folder / "out.mid"))
        except (MemoryError, RecursionError):
            raise
        except Exception:
            raise BadInputError(f"'{name}' could not be read as {_KINDS[suffix]}: the file is damaged "
                                "or holds no music.") from None
        return (folder / "out.mid").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def first_abc_tune(text: bytes) -> bytes:
    """The file header and the first tune (from its X: line to the next) of an ABC file."""
    lines = text.split(b"\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(b"X:")]
    if len(starts) < 2:
        return text
    return b"\n".join(lines[:starts[0]] + lines[starts[0]:starts[1]])


_FORMATS = {".xml": "musicxml", ".musicxml": "musicxml", ".abc": "abc", ".krn": "humdrum"}
_KINDS = {".xml": "MusicXML", ".musicxml": "MusicXML", ".abc": "ABC", ".krn": "Humdrum"}


def _inflate_mxl(path: Path, name: str, limits: Limits) -> bytes:
    """The score inside a compressed MusicXML archive, inflating at most limits.inflated_bytes."""
    damaged = BadInputError(f"'{name}' could not be read as compressed MusicXML: the archive is damaged.")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > 1000 or sum(i.file_size for i in infos) > limits.inflated_bytes:
                raise BadInputError(f"'{name}' inflates to more than {limits.inflated_bytes / 2**20:.0f} MB; "
                                    "it is not a plain score.")
            names = [i.filename for i in infos]
            target = _mxl_rootfile(archive, names)
            info = archive.getinfo(target)
            with archive.open(info) as member:  # zipfile stops at the declared size; read one byte past
                data = member.read(limits.inflated_bytes + 1)
            if len(data) > limits.inflated_bytes:
                raise BadInputError(f"'{name}' inflates to more than {limits.inflated_bytes / 2**20:.0f} MB; "
                                    "it is not a plain score.")
            return data
    except BadInputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError):
        raise damaged from None


def _mxl_rootfile(archive: zipfile.ZipFile, names: list[str]) -> str:
    """The score file named by META-INF/container.xml, else the first .xml/.musicxml not in META-INF."""
    import re

    if "META-INF/container.xml" in names:
        container = archive.open("META-INF/container.xml").read(1 << 16).decode("utf-8", "replace")
        found = re.search(r'full-path="([^"]+)"', container)
        if found and found.group(1) in names:
            return found.group(1)
    for candidate in names:
        if candidate.lower().endswith((".xml", ".musicxml")) and not candidate.startswith("META-INF/"):
            return candidate
    raise KeyError("no score in the archive")


def _reader(spec: str):
    """The function named "sonatina.module:function" (only Sonatina's own modules)."""
    import importlib

    module, _, function = spec.partition(":")
    if not module.startswith("sonatina."):
        raise ValueError(f"not a Sonatina reader: {spec}")
    return getattr(importlib.import_module(module), function)


if __name__ == "__main__":
    serve(sys.argv[1])

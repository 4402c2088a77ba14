"""Audio files in and out: decode WAV/FLAC/OGG/MP3 with soundfile, encode WAV/FLAC with
soundfile and MP3 with lameenc (LAME inside its wheel, no system codec needed).

Decoding refuses what cannot be used with one sentence: a missing, empty, corrupt or
truncated file, or one longer than MAX_AUDIO_SECONDS. libsndfile quietly plays truncated
WAV and MP3 files up to where they stop, so those two containers are checked by hand.
"""

from __future__ import annotations

import struct
import time
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf

from sonatina.errors import BadInputError, UnknownOptionError

# Twenty minutes covers any song or movement; a longer upload is almost surely a mistake and
# would tie a worker up for minutes (and hold a few GB of samples in memory).
MAX_AUDIO_SECONDS = 20 * 60
WRITE_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".mp3": "MP3"}
READ_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
MP3_BITRATE_KBPS = 192
# LAME's speed/quality knob (2 = best ... 7 = fast). Measured on 60 s of stereo (bench_audio.py):
# 1.13 s at 2, 0.69 s at 5, 0.41 s at 7. At 192 kbit/s the audible difference is slight, and 7
# is what keeps MIDI -> MP3 for a minute of music within a second on two cores.
MP3_QUALITY = 7


def output_format(path: str | Path) -> str:
    """The container for an output path ("WAV", "FLAC" or "MP3"), from its extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITE_FORMATS:
        raise UnknownOptionError(f"Cannot write audio to '{Path(path).name}': the name must end in .wav, .flac or .mp3.")
    return WRITE_FORMATS[suffix]


def check_sample_rate(sample_rate: int, fmt: str) -> None:
    if fmt == "MP3" and sample_rate not in MP3_SAMPLE_RATES:
        raise UnknownOptionError(f"MP3 cannot hold {sample_rate} Hz audio; use one of {', '.join(map(str, MP3_SAMPLE_RATES))} Hz.")
    if not 8000 <= sample_rate <= 192000:
        raise UnknownOptionError(f"A sample rate of {sample_rate} Hz is out of range; use 8000 to 192000 Hz (44100 is usual).")


def write_audio(samples: np.ndarray, sample_rate: int, path: str | Path, *,
                mp3_bitrate: int = MP3_BITRATE_KBPS, mp3_quality: int = MP3_QUALITY) -> dict:
    """Write float (frames, channels) audio in [-1, 1]; the format comes from the extension.

    WAV is 16-bit PCM (plays everywhere), FLAC 16-bit, MP3 constant bit rate.
    Returns {"path", "format", "bytes", "encode_s"}.
    """
    path = Path(path)
    fmt = output_format(path)
    check_sample_rate(sample_rate, fmt)
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    start = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "MP3":
        import lameenc

        encoder = lameenc.Encoder()
        encoder.set_bit_rate(mp3_bitrate)
        encoder.set_in_sample_rate(sample_rate)
        encoder.set_channels(samples.shape[1])
        encoder.set_quality(mp3_quality)
        pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
        path.write_bytes(encoder.encode(pcm.tobytes()) + encoder.flush())
    else:
        with path.open("wb") as file:  # opened here, so a path the system refuses is an OSError naming it
            sf.write(file, samples, sample_rate, format=fmt, subtype="PCM_16")
    return {"path": str(path), "format": fmt.lower(), "bytes": path.stat().st_size,
            "encode_s": round(time.perf_counter() - start, 3)}


def check_audio_path(path: Path, name: str | None = None) -> None:
    """What can be said without decoding: the file exists, has an audio suffix, is not empty."""
    name = name or path.name
    if not path.is_file():
        raise BadInputError(f"There is no audio file at '{path}'.")
    if Path(name).suffix.lower() not in READ_SUFFIXES:
        raise BadInputError(f"'{name}' is not an audio file Sonatina reads (use {', '.join(READ_SUFFIXES)}).")
    if path.stat().st_size == 0:
        raise BadInputError(f"'{name}' is empty (0 bytes).")


def audio_info(path: str | Path, *, max_seconds: float = MAX_AUDIO_SECONDS, name: str | None = None) -> sf._SoundFileInfo:
    """Open an audio file's header and check it is complete, non-empty and short enough.

    This runs libsndfile/mpg123 on the file in-process: for a user's file call it only inside
    the sandbox (load_audio does)."""
    path = Path(path)
    name = name or path.name
    check_audio_path(path, name)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise BadInputError(f"'{name}' is not readable audio (corrupt or not really {path.suffix.lstrip('.').upper()}).") from exc
    if info.frames <= 0 or info.samplerate <= 0:
        raise BadInputError(f"'{name}' contains no audio.")
    seconds = info.frames / info.samplerate
    if seconds > max_seconds:
        raise BadInputError(f"'{name}' lasts {seconds / 60:.0f} minutes; the limit is {max_seconds / 60:.0f} minutes, so cut it first.")
    if path.suffix.lower() == ".mp3":
        _check_mp3_frames(path, name)
    elif path.suffix.lower() == ".wav":
        _check_wav_data(path, name)
    return info


def load_audio(path: str | Path, *, sample_rate: int | None = None, mono: bool = False,
               max_seconds: float = MAX_AUDIO_SECONDS, name: str | None = None, limits=None) -> tuple[np.ndarray, int]:
    """Decode an audio file to float32 (frames, channels), or (frames,) when mono.

    With sample_rate, the audio is resampled (polyphase, anti-aliased) to that rate.
    Raises BadInputError for a file that is missing, empty, corrupt, truncated or too long.
    Decoding runs in the sandbox (sonatina.data.untrusted): mpg123 and libsndfile read the
    user's bytes there, so a crash or their stderr chatter never reaches us.
    """
    from sonatina.data.untrusted import CLI_LIMITS, run_reader

    path, limits = Path(path), limits or CLI_LIMITS
    check_audio_path(path, name)
    options = {"sample_rate": sample_rate, "mono": mono, "max_seconds": max_seconds}
    header, payload = run_reader("sonatina.audio.files:_decoded", path, name=name, max_bytes=limits.audio_bytes,
                                 seconds=limits.audio_seconds, memory_bytes=limits.audio_memory_bytes,
                                 limits=limits, options=options)
    return np.frombuffer(payload, dtype=np.float32).reshape(header["shape"]).copy(), int(header["rate"])


def check_audio(path: str | Path, *, name: str | None = None, limits=None) -> dict:
    """Check a user's audio file in the sandbox: header, length and (MP3/WAV) frame structure, without
    decoding it: {"seconds", "rate"}. A full decode of 15 MB of MP3 takes ~20 s on a busy two-core
    machine (5 minutes of MP3 took 9.9 s), too long for an upload request; the job decodes it later."""
    from sonatina.data.untrusted import CLI_LIMITS, run_reader

    path, limits = Path(path), limits or CLI_LIMITS
    check_audio_path(path, name)
    header, _ = run_reader("sonatina.audio.files:_checked", path, name=name, max_bytes=limits.audio_bytes,
                           seconds=limits.seconds, memory_bytes=limits.memory_bytes, limits=limits)
    return {"seconds": header["frames"] / header["rate"], "rate": header["rate"]}


def _decoded(path: Path, name: str, options: dict) -> tuple[dict, bytes]:
    """Inside the sandbox's child: decode, and send the samples back as raw float32."""
    data, rate = decode_audio(path, sample_rate=options.get("sample_rate"), mono=bool(options.get("mono")),
                              max_seconds=options.get("max_seconds") or MAX_AUDIO_SECONDS, name=name)
    data = np.ascontiguousarray(data, dtype=np.float32)
    return {"shape": list(data.shape), "rate": int(rate)}, data.tobytes()


def _checked(path: Path, name: str, options: dict) -> tuple[dict, bytes]:
    """Inside the sandbox's child: the header and the frames' structure only."""
    info = audio_info(path, name=name)
    return {"frames": int(info.frames), "rate": int(info.samplerate)}, b""


def decode_audio(path: str | Path, *, sample_rate: int | None = None, mono: bool = False,
                 max_seconds: float = MAX_AUDIO_SECONDS, name: str | None = None) -> tuple[np.ndarray, int]:
    """load_audio's work, in-process: only for trusted files or inside the sandbox's child."""
    path = Path(path)
    name = name or path.name
    info = audio_info(path, max_seconds=max_seconds, name=name)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise BadInputError(f"'{name}' is corrupt or truncated: its audio stops decoding part way.") from exc
    if len(data) == 0:
        raise BadInputError(f"'{name}' contains no audio.")
    if path.suffix.lower() in (".flac",) and len(data) < info.frames:
        raise BadInputError(f"'{name}' is truncated: it holds {len(data) / rate:.1f} s of the {info.frames / rate:.1f} s its header announces.")
    if mono:
        data = data.mean(axis=1)
    if sample_rate and sample_rate != rate:
        data = resample(data, rate, sample_rate)
        rate = sample_rate
    return data, rate


def resample(data: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling along the first axis (exact for rational ratios like 44100 -> 22050)."""
    from scipy import signal  # half a second to import; only resampling needs it

    g = gcd(rate_in, rate_out)
    return signal.resample_poly(data, rate_out // g, rate_in // g, axis=0).astype(np.float32)


# MPEG audio frame header tables (ISO 11172-3 / 13818-3), layer III and I/II, in kbit/s.
_BITRATES = {
    (1, 1): [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    (1, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    (1, 3): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (2, 1): [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    (2, 2): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (2, 3): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame_length(header: int) -> int | None:
    """Byte length of the MPEG audio frame starting with this 32-bit header, or None if not a header."""
    if header >> 21 != 0x7FF:
        return None
    version_bits, layer_bits = (header >> 19) & 3, (header >> 17) & 3
    bitrate_index, rate_index, padding = (header >> 12) & 15, (header >> 10) & 3, (header >> 9) & 1
    if version_bits == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values (free-format streams are too rare to support)
    version, layer = (1 if version_bits == 3 else 2), 4 - layer_bits
    bitrate = _BITRATES[(version, layer)][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version_bits][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    slots = 72 if (layer == 3 and version == 2) else 144
    return slots * bitrate // rate + padding


def _check_mp3_frames(path: Path, name: str) -> None:
    """Walk the MPEG frames: the last one must end where the file (or its trailing tag) ends."""
    data = path.read_bytes()
    pos, end = 0, len(data)
    if data[:3] == b"ID3" and len(data) >= 10:  # ID3v2 tag: 4 "syncsafe" 7-bit size bytes
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        pos = 10 + size + (10 if data[5] & 0x10 else 0)
    if end >= 128 and data[end - 128:end - 125] == b"TAG":  # ID3v1 tag at the very end
        end -= 128
    while pos < end and data[pos] == 0:  # some encoders pad before the first frame
        pos += 1
    frames = 0
    while pos + 4 <= end:
        length = _mp3_frame_length(struct.unpack(">I", data[pos:pos + 4])[0])
        if length is None:
            if frames and data[pos:pos + 8] == b"APETAGEX":
                return  # an APE tag after the audio
            if frames and not any(data[pos:end]):
                return  # zero padding after the last frame
            raise BadInputError(f"'{name}' is corrupt: its MP3 data breaks off after {frames} frames.")
        pos += length
        frames += 1
    if pos > end:
        raise BadInputError(f"'{name}' is truncated: its last MP3 frame is cut off (the download or copy stopped early).")


def _check_wav_data(path: Path, name: str) -> None:
    """The RIFF 'data' chunk must hold as many bytes as its header says."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
            return  # not plain RIFF; libsndfile already accepted it
        if head[:4] == b"RF64":
            return  # 64-bit sizes live in a ds64 chunk; leave those to libsndfile
        size = path.stat().st_size
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return
            cid, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                # 0 and 0xFFFFFFFF are placeholders written by streaming recorders.
                if length not in (0, 0xFFFFFFFF) and fh.tell() + length > size:
                    raise BadInputError(f"'{name}' is truncated: its header announces more audio than the file holds.")
                return
            fh.seek(length + (length & 1), 1)

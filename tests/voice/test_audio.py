"""voice.audio: every input format and rate decodes to the same speech; bad input fails fast and clearly."""

from __future__ import annotations

import struct
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.voice.conftest import run_tool
from voice.audio import (
    AudioError,
    StreamResampler,
    alaw_to_pcm16,
    decode_audio,
    decode_raw,
    encode_wav,
    pcm16_to_alaw,
    pcm16_to_ulaw,
    read_wav_header,
    resample,
    ulaw_to_pcm16,
)

# name -> (file name, sox output options); ffmpeg makes the mp3 and m4a.
SOX_VARIANTS = {
    "pcm16_8k": ("a.wav", ["-r", "8000", "-b", "16"]),
    "pcm16_16k": ("b.wav", ["-r", "16000", "-b", "16"]),
    "pcm16_44k1": ("c.wav", ["-r", "44100", "-b", "16"]),
    "pcm16_48k_stereo": ("d.wav", ["-r", "48000", "-b", "16", "-c", "2"]),
    "pcm8_16k": ("e.wav", ["-r", "16000", "-b", "8"]),
    "pcm24_48k": ("f.wav", ["-r", "48000", "-b", "24"]),
    "float32_16k": ("g.wav", ["-r", "16000", "-e", "floating-point", "-b", "32"]),
    "mulaw_wav": ("h.wav", ["-r", "8000", "-e", "u-law"]),
    "alaw_wav": ("i.wav", ["-r", "8000", "-e", "a-law"]),
    "amr_nb": ("j.amr", ["-r", "8000", "-t", "amr-nb", "-C", "7"]),
}
NARROWBAND = {"pcm16_8k", "mulaw_wav", "alaw_wav", "amr_nb", "raw_mulaw", "raw_alaw"}


@pytest.fixture(scope="module")
def variants(sentence_wav: Path, audio_dir: Path) -> dict[str, bytes]:
    """The same sentence in every supported container, encoding, rate and channel count."""
    out: dict[str, bytes] = {}
    for name, (filename, options) in SOX_VARIANTS.items():
        target = audio_dir / f"variant-{filename}"
        run_tool("sox", sentence_wav, *options, target)
        out[name] = target.read_bytes()
    for name, codec in (("mp3", ["-b:a", "64k"]), ("m4a", ["-c:a", "aac", "-b:a", "64k"])):
        target = audio_dir / f"variant.{name}"
        run_tool("ffmpeg", "-loglevel", "error", "-y", "-i", sentence_wav, *codec, target)
        out[name] = target.read_bytes()
    return out


def envelope(pcm: bytes, rate: int) -> np.ndarray:
    """RMS per 20 ms: what a codec keeps even when it changes the waveform."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    step = rate // 50
    frames = x[: x.size - x.size % step].reshape(-1, step)
    return np.sqrt((frames**2).mean(axis=1))


def best_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 6) -> float:
    """Pearson correlation of two envelopes, allowing a codec delay of a few frames."""
    best = -1.0
    for lag in range(-max_lag, max_lag + 1):
        x, y = (a[lag:], b) if lag >= 0 else (a, b[-lag:])
        n = min(x.size, y.size)
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


def test_g711_matches_the_reference_codec() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    ramp = np.arange(-32768, 32768, 7, dtype=np.int32).astype(np.int16)
    assert pcm16_to_ulaw(ramp) == audioop.lin2ulaw(ramp.tobytes(), 2)
    assert pcm16_to_alaw(ramp) == audioop.lin2alaw(ramp.tobytes(), 2)
    codes = bytes(range(256))
    assert ulaw_to_pcm16(codes).tobytes() == audioop.ulaw2lin(codes, 2)
    assert alaw_to_pcm16(codes).tobytes() == audioop.alaw2lin(codes, 2)


def test_g711_round_trip_keeps_the_signal() -> None:
    t = np.arange(8000) / 8000
    tone = (np.sin(2 * np.pi * 440 * t) * 12000).astype(np.int16)
    for encode, decode in ((pcm16_to_ulaw, ulaw_to_pcm16), (pcm16_to_alaw, alaw_to_pcm16)):
        back = decode(encode(tone)).astype(np.float64)
        snr = 10 * np.log10(np.sum(tone.astype(np.float64) ** 2) / np.sum((back - tone) ** 2))
        assert snr > 30, f"{encode.__name__}: {snr:.1f} dB"


@pytest.mark.parametrize("name", [*SOX_VARIANTS, "mp3", "m4a", "raw_mulaw", "raw_alaw"])
def test_every_format_decodes_to_the_same_speech(
    name: str, variants: dict[str, bytes], sentence_wav: Path
) -> None:
    reference = decode_audio(sentence_wav.read_bytes(), target_rate=16000)
    if name.startswith("raw_"):
        line = decode_audio(sentence_wav.read_bytes(), target_rate=8000).data
        encoded = pcm16_to_ulaw(line) if name == "raw_mulaw" else pcm16_to_alaw(line)
        pcm = decode_audio(encoded, encoding=name[4:], rate=8000, target_rate=16000)
    else:
        pcm = decode_audio(variants[name], target_rate=16000)
    assert pcm.rate == 16000
    # Frame codecs pad or trim the trailing silence by a few 20 ms frames.
    tolerance = 0.3 if name == "amr_nb" else 0.15
    assert abs(pcm.duration - reference.duration) < tolerance, (pcm.duration, reference.duration)
    if name in NARROWBAND:  # compare with the reference pushed through the same 4 kHz band
        reference = decode_audio(
            encode_wav(resample(np.frombuffer(reference.data, "<i2"), 16000, 8000).tobytes(), 8000),
            target_rate=16000,
        )
    corr = best_correlation(envelope(pcm.data, 16000), envelope(reference.data, 16000))
    assert corr > 0.9, f"{name}: envelope correlation {corr:.3f}"


def test_lossless_rates_give_nearly_identical_samples(variants: dict[str, bytes]) -> None:
    base = np.frombuffer(decode_audio(variants["pcm16_16k"], target_rate=16000).data, "<i2").astype(
        np.float64
    )
    for name in ("pcm16_44k1", "pcm24_48k", "float32_16k", "pcm16_48k_stereo"):
        other = np.frombuffer(decode_audio(variants[name], target_rate=16000).data, "<i2").astype(np.float64)
        n = min(base.size, other.size)
        # sox and scipy use different filters; both keep the signal to well under 1 % error energy.
        snr = 10 * np.log10(np.sum(base[:n] ** 2) / np.sum((base[:n] - other[:n]) ** 2))
        assert snr > 20, f"{name}: {snr:.1f} dB"


def test_stream_resampler_equals_whole_signal_resampling() -> None:
    rng = np.random.default_rng(1)
    x = (rng.normal(0, 4000, 8000)).astype(np.int16)
    live = StreamResampler(8000, 16000)
    streamed = np.concatenate([live.process(x[i : i + 160]) for i in range(0, 8000, 160)])
    whole = StreamResampler(8000, 16000).process(x)
    assert np.array_equal(streamed, whole)
    assert streamed.size == 16000
    back = StreamResampler(16000, 8000)
    down = np.concatenate([back.process(whole[i : i + 320]) for i in range(0, 16000, 320)])
    assert down.size == 8000


# --- Bad audio -------------------------------------------------------------------------------------


def _wav_header(rate: int, data_size: int, tag: int = 1, bits: int = 16, channels: int = 1) -> bytes:
    block = channels * bits // 8
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_size,
        b"WAVE",
        b"fmt ",
        16,
        tag,
        channels,
        rate,
        rate * block,
        block,
        bits,
        b"data",
        data_size,
    )


def _fails_fast(data: bytes, code: str, **kwargs: object) -> AudioError:
    start = time.perf_counter()
    with pytest.raises(AudioError) as info:
        decode_audio(data, target_rate=16000, **kwargs)  # type: ignore[arg-type]
    assert time.perf_counter() - start < 2.0, "bad audio must be refused quickly"
    assert info.value.code == code, str(info.value)
    assert str(info.value)
    return info.value


def test_empty_input() -> None:
    _fails_fast(b"", "empty")
    _fails_fast(_wav_header(16000, 0), "empty")


def test_truncated_header(variants: dict[str, bytes]) -> None:
    _fails_fast(variants["pcm16_16k"][:20], "truncated")
    _fails_fast(b"RIFF", "truncated")
    _fails_fast(_wav_header(16000, 100)[:30], "truncated")


def test_random_bytes_are_refused_without_ffmpeg() -> None:
    rng = np.random.default_rng(42)
    for _ in range(5):
        _fails_fast(rng.integers(0, 256, 50_000, dtype=np.uint8).tobytes(), "unknown_format")


def test_damaged_compressed_file(variants: dict[str, bytes]) -> None:
    broken = variants["m4a"][:64] + bytes(4000)
    _fails_fast(broken, "undecodable")


def test_two_hour_wav_is_refused_from_its_header() -> None:
    # Only the header and one second of samples exist: the length check must not need the rest.
    header = _wav_header(8000, 8000 * 2 * 7200)
    error = _fails_fast(header + bytes(16000), "too_long", max_seconds=600)
    assert "7200" in str(error)
    ulaw_header = _wav_header(8000, 8000 * 7200, tag=7, bits=8)
    _fails_fast(ulaw_header + bytes(8000), "too_long", max_seconds=600)


def test_long_compressed_file_is_cut_not_decoded_whole(audio_dir: Path) -> None:
    target = audio_dir / "long.mp3"
    run_tool(
        "ffmpeg",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=300:duration=40",
        "-b:a",
        "32k",
        target,
    )
    _fails_fast(target.read_bytes(), "too_long", max_seconds=5)


def test_wrong_declared_rate() -> None:
    body = bytes(32000)
    # The phone trunk promised 8 kHz but the file says 16 kHz: refuse rather than recognise at 2x speed.
    _fails_fast(_wav_header(16000, len(body)) + body, "bad_rate", expected_rate=8000)
    _fails_fast(_wav_header(16000, len(body), tag=7, bits=8) + body, "bad_rate")  # G.711 is 8 kHz only
    _fails_fast(_wav_header(3, len(body)) + body, "bad_rate")
    with pytest.raises(AudioError) as info:
        decode_raw(body, encoding="mulaw", rate=16000, target_rate=16000)
    assert info.value.code == "bad_rate"


def test_library_argument_errors_name_the_argument() -> None:
    with pytest.raises(TypeError, match="data"):
        decode_audio("not bytes", target_rate=16000)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rate"):
        decode_audio(b"\x00\x01", encoding="mulaw", target_rate=16000)
    with pytest.raises(ValueError, match="encoding"):
        decode_raw(b"\x00\x01", encoding="gsm", rate=8000, target_rate=16000)


def test_wav_header_reader_skips_unknown_chunks() -> None:
    body = bytes(400)
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, 8000, 16000, 2, 16)
    extra = b"LIST" + struct.pack("<I", 5) + b"abcde" + b"\x00"  # odd size: padded
    data = (
        b"RIFF" + struct.pack("<I", 0) + b"WAVE" + fmt + extra + b"data" + struct.pack("<I", len(body)) + body
    )
    info = read_wav_header(data)
    assert (info.rate, info.channels, info.bits, info.data_size) == (8000, 1, 16, 400)

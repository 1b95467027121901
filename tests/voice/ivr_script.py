"""Scripted edges for the call-flow tests (tests/voice/test_ivr_flow.py).

What the recogniser made of the caller comes from a scripted session in place of the speech model;
the dialogue answers with the chat service's real ``ChatReply`` shapes; the work-order desk files
numbered orders. Everything between them (voice.ivr, voice/prompts.yaml, the espeak-ng voice) is real.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from api.schemas import ChatMessage, ChatReply, HandoffInfo
from voice.ivr import CallbackRequest, Hangup, IvrCall, IvrConfig, Play, Transfer
from voice.recognizer import Event, Final, NoInput, SpeechStarted, Transcript
from voice.tts import EspeakPinyinTTS

CONFIG = IvrConfig(no_input_s=1.0)
FRAME = b"\x00\x00" * 160  # 20 ms of line audio

# Replies as the dialogue gives them (bot/domain, api/texts.py).
ANSWER = "异地就医备案可以在国家医保服务平台APP办理，备案后在就医地直接结算。"
ABSTAIN = (
    "这个问题我暂时没法给您准确答复，为免说错耽误您办事，"
    "可以为您转接人工客服，或者登记工单，由工作人员在规定时限内回复您。"
)
REPHRASE = "抱歉，我没太听明白。您能说得具体一点吗？比如想办什么事、遇到了什么问题、在哪里参保。"
ASK_REGION = "这个问题各地政策不一样。请问您的医保是在哪个省、哪个市参保的（参保地）？"
ASK_NAME = "好的，请问怎么称呼您？"
OFFLINE = (
    "现在不在人工服务时间（工作日08:30-17:30），人工客服暂时接不了。"
    "我可以帮您登记一个回电工单，工作人员会在24小时内给您回电。需要登记吗？"
)
GOODBYE = "感谢您的来电，祝您生活愉快，再见！挂机前请为本次服务打个分。"
ANYTHING_MORE = "好的。请问还有什么医保方面的问题需要帮忙吗？"


def chat(kind: Any, text: str = "", *, handoff: str | None = None, ticket_id: str | None = None) -> ChatReply:
    """A reply of the chat service (``api.services.conversations.respond``)."""
    return ChatReply(
        session_id="CA-flow",
        replies=[ChatMessage(text=text, kind=kind)] if text else [],
        kind=kind,
        handoff=HandoffInfo(status=handoff) if handoff else None,  # type: ignore[arg-type]
        ticket_id=ticket_id,
    )


@dataclass
class Dialogue:
    """Stands in for the chat service: answers from a script, records what it was asked."""

    script: list[ChatReply]
    asked: list[str] = field(default_factory=list)

    def __call__(self, session_id: str, text: str) -> ChatReply:
        assert session_id == "CA-flow"
        assert len(self.asked) < len(self.script), f"the dialogue was not expected to hear {text!r}"
        self.asked.append(text)
        return self.script[len(self.asked) - 1]


@dataclass
class Desk:
    """Stands in for the work-order service."""

    requests: list[CallbackRequest] = field(default_factory=list)

    def __call__(self, request: CallbackRequest) -> str:
        self.requests.append(request)
        return f"GD2026120100{len(self.requests)}"


class ScriptedSession:
    """The recogniser's side of a call: recognises what the test says was said, keeps its timer.

    Like ``voice.recognizer.StreamingSession``, it reports ``NoInput`` only when the IVR armed the
    no-input timer (``listen``) and the caller then stayed silent for ``no_input_s``.
    """

    def __init__(self, *, no_input_s: float, **_: Any) -> None:
        self.no_input_s = no_input_s
        self.time = 0.0
        self.in_utterance = False
        self.heard: list[str] = []
        self._listen_since: float | None = None

    @property
    def listening(self) -> bool:
        return self._listen_since is not None

    def listen(self, no_input_s: float | None = None) -> None:
        self._listen_since = self.time

    def stop_listening(self) -> None:
        self._listen_since = None

    def feed(self, chunk: bytes) -> list[Event]:
        start, self.time = self.time, self.time + len(chunk) / 2 / 8000
        if self.heard:
            self._listen_since = None
            text = self.heard.pop(0)
            return [
                SpeechStarted(start),
                Final(Transcript(text, (), start, self.time, "endpoint"), self.time),
            ]
        if self._listen_since is not None and self.time - self._listen_since >= self.no_input_s:
            self._listen_since = None
            return [NoInput(self.time)]
        return []


class ScriptedRecognizer:
    sample_rate = 8000

    def session(self, **options: Any) -> ScriptedSession:
        return ScriptedSession(**options)


class Caller:
    """The caller's side: says things, stays silent, presses keys; every prompt plays to its end."""

    def __init__(self, call: IvrCall) -> None:
        self.call = call
        self.actions: list[object] = []
        self.take(call.start())

    def take(self, actions: Sequence[object]) -> None:
        for action in actions:
            self.actions.append(action)
            if isinstance(action, Play):
                self.take(self.call.on_mark(action.mark))

    def says(self, text: str) -> None:
        """The recogniser heard ``text`` ("" is noise or mumbling it could not make out)."""
        session = self.call.session
        assert isinstance(session, ScriptedSession)
        session.heard.append(text)
        self.take(self.call.on_audio(FRAME))

    def silent(self) -> None:
        """Says nothing until the IVR reacts (or twice the no-input time has passed)."""
        before = len(self.actions)
        for _ in range(int(2 * CONFIG.no_input_s / 0.02)):
            self.take(self.call.on_audio(FRAME))
            if any(isinstance(a, Play | Transfer | Hangup) for a in self.actions[before:]):
                return

    def presses(self, digit: str) -> None:
        self.take(self.call.on_dtmf(digit))

    def heard(self) -> list[str]:
        """The prompts played so far, by name (``reply`` is the dialogue's own words)."""
        return [a.prompt for a in self.actions if isinstance(a, Play)]

    def last_text(self) -> str:
        return [a.text for a in self.actions if isinstance(a, Play)][-1]

    def ending(self) -> Transfer | Hangup | None:
        finals = [a for a in self.actions if isinstance(a, Transfer | Hangup)]
        assert len(finals) <= 1
        return finals[0] if finals else None


def call(
    tts: EspeakPinyinTTS, *replies: ChatReply, staffed: bool = True, desk: Desk | None = None
) -> tuple[Caller, Dialogue]:
    dialogue = Dialogue(list(replies))
    ivr = IvrCall(
        call_id="CA-flow",
        recognizer=ScriptedRecognizer(),
        tts=tts,
        respond=dialogue,
        create_callback=desk if desk is not None else Desk(),
        caller="13800001234",
        config=CONFIG,
        staffed=lambda: staffed,
    )
    return Caller(ivr), dialogue

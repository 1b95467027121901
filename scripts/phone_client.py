"""A softphone-free test caller: streams WAV files to the IVR WebSocket as a phone line would.

Each step is a WAV file to say, ``dtmf:D`` to press a key, or ``wait:S`` to stay silent S seconds.
Audio goes out as 20 ms G.711 mu-law frames in real time (``--fast`` drops the pacing); the bot's
audio is "played" on a local clock and its marks are echoed when playback ends, as Twilio does.
The caller waits for each prompt to finish before the next step unless ``--barge-in`` is given.

    .venv/bin/python scripts/phone_client.py question.wav wait:2 dtmf:9 problem.wav
    .venv/bin/python scripts/phone_client.py --url ws://127.0.0.1:8000/api/voice/stream --from 138... q.wav
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voice.audio import AudioError, decode_audio, pcm16_to_ulaw, ulaw_to_pcm16  # noqa: E402

log = logging.getLogger("phone_client")
FRAME_BYTES = 320  # 20 ms of 8 kHz int16
SPEAKERS = {"caller": "来电人", "bot": "机器人", "system": "系统"}


class Line:
    """Client side of one call: sends frames, plays (times) the bot's audio, echoes marks."""

    def __init__(self, ws: Any, stream_sid: str, *, fast: bool, out: IO[str] | None = None) -> None:
        self.ws = ws
        self.out = out if out is not None else sys.stdout  # where the call's transcript is printed
        self.sid = stream_sid
        self.fast = fast
        self.lock = threading.Lock()
        self.play_end = 0.0  # on the call clock (seconds of audio sent)
        self.marks: list[tuple[str, float]] = []
        self.clock = 0.0
        self.ended: str | None = None
        self.received_audio = 0
        self.marks_seen = 0
        self.reply_waits: list[float] = []  # line-clock seconds from end of speech to the bot's reply

    def send(self, message: dict[str, Any]) -> None:
        from websockets.exceptions import ConnectionClosedOK

        try:
            self.ws.send(json.dumps(message))
        except ConnectionClosedOK:  # the bot closed the line (after transfer or hang-up): the call is over
            with self.lock:
                self.ended = self.ended or "closed: by the server"

    def frame(self, pcm: bytes) -> None:
        payload = base64.b64encode(pcm16_to_ulaw(pcm)).decode()
        self.send(
            {"event": "media", "streamSid": self.sid, "media": {"track": "inbound", "payload": payload}}
        )
        self.clock += len(pcm) / 2 / 8000
        with self.lock:
            due = [m for m in self.marks if m[1] <= self.clock]
            self.marks = [m for m in self.marks if m[1] > self.clock]
        for name, _ in due:
            self.send({"event": "mark", "streamSid": self.sid, "mark": {"name": name}})
        if not self.fast:
            time.sleep(0.02)

    def await_prompt(self, seen: int, limit_s: float = 5.0) -> None:
        """Keep the line open (silence) until the bot has queued a prompt after ``seen`` marks."""
        start = self.clock
        while self.marks_seen <= seen and not self.ended and self.clock - start < limit_s:
            self.frame(bytes(FRAME_BYTES))
            if self.fast:
                time.sleep(0.005)  # let the reader thread catch up

    def playing(self) -> bool:
        with self.lock:
            return bool(self.marks) or self.play_end > self.clock

    def reader(self) -> None:
        for raw in self.ws:
            message = json.loads(raw)
            event = message.get("event")
            with self.lock:
                if event == "media":
                    audio = base64.b64decode(message["media"]["payload"])
                    self.received_audio += len(audio)
                    self.play_end = max(self.play_end, self.clock) + len(ulaw_to_pcm16(audio)) / 8000
                elif event == "mark":
                    self.marks.append((message["mark"]["name"], max(self.play_end, self.clock)))
                    self.marks_seen += 1
                elif event == "clear":
                    self.marks.clear()
                    self.play_end = self.clock
            if event == "transcript":
                entry = message["transcript"]
                who = SPEAKERS.get(entry["speaker"], entry["speaker"])
                if entry["kind"] in ("speech", "prompt", "answer", "dtmf") or entry["speaker"] == "bot":
                    self.out.write(f"[{entry['t']:7.2f}s] {who}: {entry['text']}\n")
                else:
                    self.out.write(f"[{entry['t']:7.2f}s] ({entry['text']})\n")
                self.out.flush()
            elif event in ("transfer", "hangup"):
                self.ended = f"{event}: {message[event].get('reason')}"
                self.out.write(
                    f"== {'转人工' if event == 'transfer' else '挂机'} ({message[event].get('reason')})\n"
                )
                return


def _load(path: str) -> bytes:
    try:
        return decode_audio(Path(path).read_bytes(), target_rate=8000, max_seconds=120).data
    except (OSError, AudioError) as exc:
        raise SystemExit(f"无法读取音频 {path}: {exc}") from exc


def call(
    url: str,
    steps: list[tuple[str, Any]],
    *,
    caller: str = "13800000000",
    fast: bool = False,
    barge_in: bool = False,
    max_seconds: float = 120.0,
    out: IO[str] | None = None,
) -> Line:
    """Place one call: ``steps`` are ("say", pcm16 8 kHz bytes), ("wait", seconds) or ("dtmf", key).

    Returns the finished line (``ended`` says whether the bot ended the call; ``reply_waits`` how long
    each answer took on the call clock). bench/bench_load.py places many of these at once.
    """
    from websockets.sync.client import connect

    sid = f"MZ{uuid.uuid4().hex[:16]}"
    # A phone line does not ping; a slow first answer (models warming up) must not end the call.
    with connect(url, max_size=None, ping_interval=None) as ws:
        line = Line(ws, sid, fast=fast, out=out)
        threading.Thread(target=line.reader, daemon=True).start()
        line.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        line.send(
            {
                "event": "start",
                "streamSid": sid,
                "start": {
                    "streamSid": sid,
                    "callSid": f"CA{uuid.uuid4().hex[:16]}",
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": {"from": caller},
                },
            }
        )
        silence = bytes(FRAME_BYTES)
        line.await_prompt(0)  # the greeting
        for kind, value in steps:
            if line.ended:
                break
            while not barge_in and line.playing() and not line.ended and line.clock < max_seconds:
                line.frame(silence)
            if kind == "say":
                seen = line.marks_seen
                for i in range(0, len(value), FRAME_BYTES):
                    if line.ended:  # the bot ended the call while the caller spoke
                        break
                    line.frame(value[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\0"))
                spoken_at = line.clock
                line.await_prompt(seen, limit_s=15.0)  # the bot answers before the caller goes on
                if line.marks_seen > seen:
                    line.reply_waits.append(line.clock - spoken_at)
            elif kind == "wait":
                for _ in range(int(value * 50)):
                    if line.ended:
                        break
                    line.frame(silence)
            else:
                seen = line.marks_seen
                line.send(
                    {"event": "dtmf", "streamSid": sid, "dtmf": {"track": "inbound_track", "digit": value}}
                )
                line.await_prompt(seen)
        while not line.ended and line.clock < max_seconds:
            line.frame(silence)
        if not line.ended:
            line.send({"event": "stop", "streamSid": sid, "stop": {}})
            line.out.write("== 客户端挂机（超时）\n")
    return line


def main(argv: list[str] | None = None) -> int:
    """Run one call; returns 0 when the bot ended it (transfer or hang-up)."""
    parser = argparse.ArgumentParser(description="模拟来电：把录音按电话线路的方式推送到语音导航接口")
    parser.add_argument("steps", nargs="+", help="录音文件、dtmf:9（按键）或 wait:2（静音秒数）")
    parser.add_argument("--url", default="ws://127.0.0.1:8000/api/voice/stream")
    parser.add_argument("--from", dest="caller", default="13800000000", help="主叫号码")
    parser.add_argument("--fast", action="store_true", help="不按实时节奏发送")
    parser.add_argument("--barge-in", action="store_true", help="不等提示音播完就说话")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="整通电话的最长时间")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    steps: list[tuple[str, Any]] = []
    for step in args.steps:
        if step.startswith("dtmf:"):
            steps.append(("dtmf", step[5:]))
        elif step.startswith("wait:"):
            steps.append(("wait", float(step[5:])))
        else:
            steps.append(("say", _load(step)))

    line = call(
        args.url,
        steps,
        caller=args.caller,
        fast=args.fast,
        barge_in=args.barge_in,
        max_seconds=args.max_seconds,
    )
    return 0 if line.ended else 1


if __name__ == "__main__":
    sys.exit(main())

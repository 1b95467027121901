"""``hotline run`` (``make run``): index, model, Rasa, action server, voice worker and API, with their URLs.

Builds the knowledge index when it is missing, trains the Rasa model when the training data
changed, starts the Rasa and action servers and the neural voice's synthesis worker unless they
already run, renders the IVR prompts into the audio cache in the background, then serves the API
in the foreground; Ctrl-C stops everything this command started.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from api.settings import Settings, get_settings

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` sub-command."""
    run = subparsers.add_parser("run", help="启动全部服务：对话引擎、动作服务和接口（按需建索引、训练模型）")
    run.add_argument("--no-rasa", action="store_true", help="只启动接口（对话引擎不可用时由知识库直接答复）")
    run.set_defaults(handler=_run)


def _index_missing(settings: Settings) -> bool:
    index = settings.index_dir
    return not index.exists() or not any(index.iterdir())


def _render_prompts(settings: Settings) -> None:
    """Every IVR prompt into the audio cache, so calls spend no CPU on them (cached ones are skipped)."""
    from voice.ivr_prompts import load_prompts
    from voice.tts import TTSError
    from voice.tts_voice import make_tts, prompt_texts

    try:
        voice = make_tts(**settings.tts_options, check=False)
        done = voice.render(prompt_texts(load_prompts(), settings.tts_options["fill"]).values())
    except TTSError as exc:
        log.warning("run.render_prompts.failed error=%s", exc)
        return
    log.info("run.render_prompts voice=%s rendered=%d", voice.voice_id, sum(d[2] == "rendered" for d in done))


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app
    from devtools.stack import Stack, ensure_running, ensure_tts_worker

    settings = get_settings()
    if _index_missing(settings):
        from api.services.knowledge import build_index

        log.info("run.index.build dir=%s", settings.index_dir)
        build_index(settings)
    if args.no_rasa:
        stack = Stack(settings)
        ensure_tts_worker(stack)
    else:
        stack = ensure_running(settings, tts=True)
    threading.Thread(target=_render_prompts, args=(settings,), name="render-prompts", daemon=True).start()
    base = f"http://{settings.api_host}:{settings.api_port}"
    voice: str = settings.tts_voice
    if voice == "neural":
        voice += f"  {settings.tts_worker_url}/health"
    sys.stdout.write(
        "\n12393 医保热线助手已启动：\n"
        f"  网页对话演示   {base}/chat/demo\n"
        f"  坐席工作台     {base}/console   （首个管理员：hotline users add NAME --role admin）\n"
        f"  接口文档       {base}/docs\n"
        f"  对话接口       POST {base}/api/chat   WebSocket ws://{settings.api_host}:{settings.api_port}/api/chat/ws\n"
        f"  Rasa 服务      {settings.rasa_url}\n"
        f"  动作服务       http://127.0.0.1:{settings.action_port}/health\n"
        f"  电话语音       {voice}\n"
        "按 Ctrl-C 停止。\n\n"
    )
    sys.stdout.flush()
    try:
        uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port, log_level="info")
    finally:
        stack.stop()
    return 0

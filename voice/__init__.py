"""Phone speech pipeline: a library with no environment and no web framework.

Modules: audio (decode any input to mono PCM at the model's rate, G.711, resampling), recognizer
(Vosk model shared per process, streaming sessions with endpointing and timeouts), vad (energy voice
activity), normalize (recogniser text cleanup and domain homophone repair), tts (speech out,
shortening for the ear), dtmf (key events and in-band tone detection), ivr (the per-call state
machine), stream (Twilio Media Streams protocol handler). Prompts live in prompts.yaml.
"""

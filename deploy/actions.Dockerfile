# The Rasa action server (rasa-sdk in the app's Python 3.11 environment: the actions call the same
# services as the API). Stateless: any number of replicas behind nginx.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api api
COPY knowledge knowledge
COPY bot bot
COPY voice voice
COPY inspection inspection
COPY vocab vocab
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu . \
 && useradd --system --uid 10001 hotline && mkdir -p /data && chown hotline /data
USER hotline
# rasa-sdk binds to SANIC_HOST; inside the compose network it must listen on every interface.
ENV HOTLINE_DATA_DIR=/data HOTLINE_ACTION_PORT=5055 SANIC_HOST=0.0.0.0 PYTHONUNBUFFERED=1
EXPOSE 5055
CMD ["python", "-m", "rasa_sdk", "--actions", "bot.actions", "--port", "5055"]

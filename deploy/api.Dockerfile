# The API (FastAPI under uvicorn). Several replicas run behind nginx (deploy/nginx.conf).
# docker compose builds it with the repository root as context.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng sox libgomp1 \
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
ENV HOTLINE_DATA_DIR=/data HOTLINE_API_HOST=0.0.0.0 HOTLINE_API_PORT=8000 PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["uvicorn", "api.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--forwarded-allow-ips", "*"]

# Rasa 3.6 (Python 3.10) with the model trained from bot/ and nlu_data/ at build time, so every
# replica serves the same model. Trackers live in PostgreSQL and locks in Redis
# (deploy/rasa/endpoints.yml), so any replica can take any turn of any conversation.
FROM python:3.10-slim
WORKDIR /app
COPY bot/rasa-constraints.txt bot/rasa-constraints.txt
RUN pip install --no-cache-dir -r bot/rasa-constraints.txt \
 && useradd --system --uid 10001 rasa
COPY bot/config.yml bot/config.yml
COPY bot/domain bot/domain
COPY bot/credentials.yml bot/credentials.yml
COPY bot/__init__.py bot/rasa_server.py bot/
COPY nlu_data nlu_data
COPY deploy/rasa/endpoints.yml deploy/rasa/endpoints.yml
RUN rasa train --config bot/config.yml --domain bot/domain --data nlu_data --out models --fixed-model-name hotline \
 && chown -R rasa /app
USER rasa
ENV TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false PYTHONHASHSEED=0
EXPOSE 5005
# bot/rasa_server.py: `rasa run` with action replies checked by a validator built once
CMD ["python", "-m", "bot.rasa_server", "run", "--model", "models/hotline.tar.gz", "--endpoints", "deploy/rasa/endpoints.yml", \
     "--credentials", "bot/credentials.yml", "--interface", "0.0.0.0", "--port", "5005", "--response-timeout", "60"]

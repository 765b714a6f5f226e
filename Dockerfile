# The ckb API image. Built by docker-compose.yml; applies the schema, then serves.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY graph ./graph
COPY api ./api
COPY loaders ./loaders
COPY queries ./queries
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["sh", "-c", "ckb schema apply && exec ckb serve --host 0.0.0.0 --port 8000"]

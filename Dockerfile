# One image for the API and the workers. TENSORFLOW picks the build:
#   tensorflow-cpu (default) or "tensorflow[and-cuda]" for GPU workers.
FROM python:3.11-slim
ARG TENSORFLOW=tensorflow-cpu
ENV PYTHONUNBUFFERED=1 TRAINSERVE_HOME=/var/lib/trainserve TF_CPP_MIN_LOG_LEVEL=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY trainserve ./trainserve
COPY service ./service
COPY workers ./workers
COPY models ./models
COPY client ./client
RUN pip install --no-cache-dir "$TENSORFLOW" . ./client
EXPOSE 8000
CMD ["trainserve", "api", "--host", "0.0.0.0", "--port", "8000"]

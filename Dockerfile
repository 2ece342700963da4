# syntax=docker/dockerfile:1
# Causeway container image: a release build of the `causeway` binary on a slim Debian runtime.
#
#   docker build -t causeway:0.1.0 .
#   docker run --rm -p 2016:2016 -p 127.0.0.1:9090:9090 causeway:0.1.0
#
# Without DATABASE_URL and REDIS_URL the server runs on its in-memory backend (nothing persists);
# docker-compose.yml wires PostgreSQL and Redis.

FROM rust:1-bookworm AS builder
WORKDIR /src
# The whole tree minus .dockerignore: Cargo.toml, Cargo.lock, src/, migrations/ (compiled in with
# include_str!) and benches/ (declared in Cargo.toml).
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin causeway \
    && install -D -m 0755 target/release/causeway /out/causeway

FROM debian:bookworm-slim AS runtime
# ca-certificates: SMTP over TLS and any https endpoint the operator configures.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /out/causeway /usr/local/bin/causeway

# Listen on all interfaces inside the container; the admin port (/metrics, /healthz, /readyz)
# must stay off the public load balancer (see helm/causeway and k8s/).
ENV CAUSEWAY_LISTEN=0.0.0.0:2016 \
    CAUSEWAY_ADMIN_LISTEN=0.0.0.0:9090 \
    CAUSEWAY_LOG_FORMAT=json \
    RUST_LOG=info

# Numeric non-root user: Kubernetes' runAsNonRoot can verify it without a passwd entry.
USER 10001:10001
EXPOSE 2016 9090
# The binary handles SIGTERM itself (graceful shutdown, 20 s grace).
STOPSIGNAL SIGTERM
# For plain `docker run`; Kubernetes uses its own probes (/healthz, /readyz on the admin port).
# No curl in the image: bash's /dev/tcp asks the admin listener for /healthz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/causeway"]
CMD ["serve"]

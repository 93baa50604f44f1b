# TrueStock: a multi-stage build. Templates and static files are compiled into the binary, so the
# runtime image holds one file. Configuration comes from TRUESTOCK_* variables (see README.md).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin truestock

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin truestock
COPY --from=build /src/target/release/truestock /usr/local/bin/truestock
USER 10001:10001
ENV TRUESTOCK_BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["truestock", "healthcheck"]
ENTRYPOINT ["truestock"]
CMD ["serve"]

# Two-stage build: the binary embeds its templates, static files and
# OpenAPI spec, so the runtime image needs only the binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 1000 --home-dir /var/lib/sftpgo --create-home sftpgo \
    && mkdir -p /etc/sftpgo /srv/sftpgo && chown sftpgo /etc/sftpgo /srv/sftpgo
COPY --from=build /src/sftpgo /usr/local/bin/sftpgo
COPY sftpgo.json /etc/sftpgo/sftpgo.json
ENV SFTPGO_CONFIG_DIR=/var/lib/sftpgo \
    SFTPGO_CONFIG_FILE=/etc/sftpgo/sftpgo.json \
    SFTPGO_LOG_FILE_PATH=- \
    SFTPGO_DATA_PROVIDER__USERS_BASE_DIR=/srv/sftpgo
USER sftpgo
EXPOSE 2022 8080
HEALTHCHECK CMD ["sftpgo", "ping"]
ENTRYPOINT ["sftpgo"]
CMD ["serve"]

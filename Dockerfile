# syntax=docker/dockerfile:1
#
# okrbot's image: one static binary on distroless/static, running as the
# non-root user 65532, with the embedded store's data directory as a volume.
#
#   docker build --build-arg VERSION=v1.2.3 -t registry.example.com/okrbot:v1.2.3 .
#   docker run --read-only --tmpfs /tmp -p 3000:3000 -v okrbot-data:/data registry.example.com/okrbot:v1.2.3
#
# The root filesystem may be read-only: okrbot writes only to OKRBOT_DATA_DIR
# (/data) and, for SQLite's rare temporary files, to /tmp. No HEALTHCHECK:
# Kubernetes probes /healthz and /readyz (manifests/kubernetes).
# cmd/okrbot's TestDockerfile builds the binary with this file's own build
# command and runs it as user 65532 in a read-only directory.

ARG GO_VERSION=1.26.8

# The build runs on the builder's own platform and cross-compiles: the
# binary is pure Go (SQLite through modernc.org/sqlite, no cgo).
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# Set by BuildKit from --platform; a default here would override it.
ARG TARGETOS
ARG TARGETARCH
# timetzdata: the time zones people and channels live in are built into the
# binary, whatever the base image carries.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -tags timetzdata -ldflags "-s -w -X main.version=${VERSION}" -o /out/okrbot ./cmd/okrbot
# The data directory, owned by the user okrbot runs as, so that a volume
# mounted there without other instructions (docker run -v) is writable.
RUN mkdir -p /out/data

# distroless/static: CA certificates, /etc/passwd with "nonroot" (65532),
# no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/okrbot /okrbot
COPY --from=build --chown=65532:65532 /out/data /data
ENV OKRBOT_DATA_DIR=/data
VOLUME /data
USER 65532:65532
EXPOSE 3000
ENTRYPOINT ["/okrbot"]
CMD ["serve"]

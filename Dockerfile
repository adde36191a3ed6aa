# Build: docker build -t smsbridge .
# Run:   docker run -p 2525:2525 -p 8025:8025 -v smsbridge-data:/data \
#          -v $PWD/smsbridge.toml:/etc/smsbridge/smsbridge.toml:ro smsbridge
# In the container the configuration must listen on 0.0.0.0 (smtp.listen,
# http.listen) and keep its data under /data (store.path, receipts.maildir).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/smsbridge ./cmd/smsbridge \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/smsbridge /usr/local/bin/smsbridge
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 2525 8025
ENTRYPOINT ["/usr/local/bin/smsbridge"]
CMD ["serve", "-config", "/etc/smsbridge/smsbridge.toml", "-log", "json"]

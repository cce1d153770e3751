# syntax=docker/dockerfile:1
# golive as a small static container image (scratch + one static musl binary + CA
# certificates, running as a non-root user):
#   docker build --build-arg GOLIVE_COMMIT="$(git rev-parse --short=7 HEAD)" -t golive .
#   docker run --rm -v "$PWD:/work" -w /work golive check

FROM rust:1-alpine AS build
# musl-dev: the C library the static binary links; gcc (in the image) compiles
# aws-lc-sys, the crypto behind rustls.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
# No .git in the build context: the commit comes from the build (the release sets it).
ARG GOLIVE_COMMIT=unknown
# The root file system of the final image; the last command proves the binary static:
# it runs chrooted where there is no C library at all.
RUN GOLIVE_COMMIT="${GOLIVE_COMMIT}" cargo build --release --locked \
 && mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/work /rootfs/tmp \
 && cp target/release/golive /rootfs/usr/local/bin/golive \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && echo 'golive:x:65532:65532:golive:/work:/sbin/nologin' > /rootfs/etc/passwd \
 && echo 'golive:x:65532:' > /rootfs/etc/group \
 && chmod 1777 /rootfs/tmp \
 && chown 65532:65532 /rootfs/work \
 && chroot /rootfs /usr/local/bin/golive --version

FROM scratch
COPY --from=build /rootfs/ /
ENV PATH=/usr/local/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["golive"]
CMD ["--help"]

# tenantdb operator image. Build: docker build -t tenantdb:dev .
# Stage 1 installs the same Debian packages as scripts/setup (a test keeps the two lists equal).
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      libcpprest-dev nlohmann-json3-dev libpqxx-dev libpq-dev libyaml-cpp-dev libspdlog-dev \
      libgtest-dev libgmock-dev libcli11-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src ./src
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTENANTDB_BUILD_TESTS=OFF \
    && cmake --build /build --target tenantdb \
    && strip /build/src/tenantdb

# Stage 2: only the shared libraries the binary links, and pg_dump/pg_restore/psql for
# `tenantdb backup` and `tenantdb restore`. pg_dump refuses a server newer than itself and
# bookworm ships 15, so the client is the newest one (18) from the PostgreSQL project's own
# Debian repository (apt.postgresql.org), set up by the script Debian's postgresql-common ships
# with the repository's signing key (no download of a key or a script).
FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      postgresql-client-18 \
      libcpprest2.10 libpqxx-6.4 libpq5 libyaml-cpp0.7 libspdlog1.10 libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 65532 tenantdb \
    && useradd --system --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin tenantdb
COPY --from=build /build/src/tenantdb /usr/local/bin/tenantdb
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["tenantdb"]
CMD ["run"]

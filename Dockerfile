# pbx2mqtt and ami-sim in one image. Build: docker build -t pbx2mqtt .
# Run: docker run -v $PWD/config.toml:/etc/pbx2mqtt/config.toml:ro pbx2mqtt

# ---- build stage ------------------------------------------------------------------------
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libpaho-mqttpp-dev libpaho-mqtt-dev libboost-dev nlohmann-json3-dev \
      libtomlplusplus-dev libspdlog-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the build needs (tests/fixtures is embedded into ami-sim), not local build trees.
COPY CMakeLists.txt README.md config.toml.example ./
COPY src src
COPY tools tools
COPY tests tests
# The install rules (CPack) name the unit and the docs.
COPY packaging packaging
COPY docs docs
# Release: no -Werror there (g++ 12 -O2 false positives); the test suite is not built.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DPBX2MQTT_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" --target pbx2mqtt ami-sim \
 && strip /build/pbx2mqtt /build/tools/ami-sim/ami-sim

# ---- runtime stage ----------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpaho-mqttpp3-1 libpaho-mqtt1.3 libtomlplusplus3 libspdlog1.10 libfmt9 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin pbx2mqtt
COPY --from=build /build/pbx2mqtt /build/tools/ami-sim/ami-sim /usr/local/bin/
COPY config.toml.example /etc/pbx2mqtt/config.toml.example
USER pbx2mqtt
ENTRYPOINT ["pbx2mqtt", "-c", "/etc/pbx2mqtt/config.toml"]

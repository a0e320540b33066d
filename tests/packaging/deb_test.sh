#!/usr/bin/env bash
# The Debian package: builds it with CPack from this build tree and checks what it installs and
# declares (binary, systemd unit, conffile config, postinst adding the user, shared library
# dependencies). Usage: deb_test.sh <build dir>
set -euo pipefail
build=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "deb_test: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$out"/pbx2mqtt_*.deb 2>/dev/null | head -1)
[[ -n $deb ]] || fail "no pbx2mqtt_*.deb in $out: $(ls "$out")"
echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes)"
contents=$(dpkg-deb -c "$deb")
echo "$contents"
for path in ./usr/bin/pbx2mqtt ./usr/lib/systemd/system/pbx2mqtt.service ./etc/pbx2mqtt/config.toml \
            ./usr/share/doc/pbx2mqtt/README.md ./usr/share/doc/pbx2mqtt/topics.md ./usr/share/doc/pbx2mqtt/mosquitto.acl; do
  grep -qE " ${path//./\\.}\$" <<<"$contents" || fail "$path is not in the package"
done
grep -qE '^-rwxr-xr-x .* \./usr/bin/pbx2mqtt$' <<<"$contents" || fail "/usr/bin/pbx2mqtt is not executable"

control=$(mktemp -d -p "$out")
dpkg-deb -e "$deb" "$control"
grep -qx /etc/pbx2mqtt/config.toml "$control/conffiles" || fail "config.toml is not a conffile"
grep -q 'adduser --system' "$control/postinst" || fail "postinst does not add the pbx2mqtt user"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libpaho-mqttpp3-1 libpaho-mqtt1.3 libspdlog1.10 adduser; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib"
done

# The unit as installed: unprivileged, restarted on failure, reloaded with SIGHUP.
unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/pbx2mqtt.service)
for line in 'User=pbx2mqtt' 'Restart=on-failure' 'ExecReload=/bin/kill -HUP $MAINPID' \
            'ExecStart=/usr/bin/pbx2mqtt -c /etc/pbx2mqtt/config.toml' 'WantedBy=multi-user.target'; do
  grep -qxF "$line" <<<"$unit" || fail "the unit lacks '$line'"
done
# The packaged config is the example, which the bridge accepts as it is.
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/pbx2mqtt/config.toml > "$out/config.toml"
"$build/pbx2mqtt" --check-config -c "$out/config.toml" >"$out/check.log" 2>&1 || { cat "$out/check.log" >&2; fail "the packaged config does not load"; }
echo "deb_test: ok"

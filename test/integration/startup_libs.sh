#!/usr/bin/env bash
# archive_command and restore_command start pgark once per WAL segment, so what the dynamic
# loader does at start-up is paid per segment: libpq, libcurl and libxml2 (with GnuTLS, Kerberos,
# LDAP and ICU behind them) must be loaded only when a command needs them (dlopen), never linked.
# Measured: linking libcurl and libxml2 made every start 5 ms slower (2.6 ms -> 7.5 ms CPU).
source "$(dirname "$0")/lib/harness.sh"
command -v readelf >/dev/null || skip "readelf (binutils) is not installed"

step "the binary links none of the libraries only some commands use"
needed=$(readelf -d "$PGARK" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no NEEDED entries in $PGARK"
for lib in libpq libcurl libxml2 libgnutls libldap libicu; do
  if grep -q "^$lib" <<<"$needed"; then fail "$PGARK links $lib: load it with dlopen where it is used"; fi
done

# With PGARK_STATIC_LIBS (the default, see CMakeLists.txt) the libraries every command needs are
# linked into the binary, so the loader opens and relocates only libc and libm.
cache="$(dirname "$PGARK_SRC_BIN")/CMakeCache.txt"
if [ -f "$cache" ] && grep -q '^PGARK_STATIC_LIBS:BOOL=ON' "$cache"; then
  step "a PGARK_STATIC_LIBS build needs only libc, libm and the loader"
  others=$(grep -vE '^(libc|libm|ld-linux-x86-64)\.so' <<<"$needed" || true)
  [ -z "$others" ] || fail "$PGARK needs shared libraries besides libc and libm: $others"
fi

step "and still starts"
out=$("$PGARK" version)
assert_contains "$out" "pgark"
echo "PASS: $TEST_NAME"

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

step "and still starts"
out=$("$PGARK" version)
assert_contains "$out" "pgark"
echo "PASS: $TEST_NAME"
